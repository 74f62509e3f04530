import { AuthorizeSecurityGroupIngressCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Network } from '../../lambdas/adapters/ec2';
import { MANAGED_TAG } from '../../lambdas/domain/planner';
import type { IngressRule } from '../../lambdas/domain/types';
import { FakeAws } from '../helpers/fake-aws';
import { rejectionOf } from '../helpers/handler-deps';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const GROUP = 'sg-0123456789abcdef0';
const TAGS = { [MANAGED_TAG]: 'true', 'jit-access:grant': 'grant-0001' };

const postgresFrom = (cidr: string): IngressRule => ({
  securityGroupId: GROUP,
  protocol: 'tcp',
  fromPort: 5432,
  toPort: 5432,
  cidr,
});

let aws: FakeAws;
let network: Ec2Network;
beforeEach(() => {
  aws = new FakeAws(ACCOUNT, REGION);
  aws.addSecurityGroup(GROUP);
  network = new Ec2Network({ region: REGION, maxAttempts: 1 });
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.restore();
});

const seedRule = (cidr: string, tags: Readonly<Record<string, string>>) =>
  aws.seedIngressRule({
    groupId: GROUP,
    protocol: 'tcp',
    fromPort: 5432,
    toPort: 5432,
    cidr,
    description: 'jit-access grant-0001',
    tags,
  });

describe('Ec2Network.authorizeIngress', () => {
  it('adopts the rule jit-access opened before (a retry) and answers its id', async () => {
    // Prepare
    const opened = seedRule('198.51.100.0/24', TAGS);

    // Act
    const ruleId = await network.authorizeIngress(postgresFrom('198.51.100.0/24'), 'jit-access grant-0001', TAGS);

    // Assess
    expect(ruleId).toBe(opened.ruleId);
    expect(aws.rulesIn(GROUP)).toEqual([opened]);
  });

  it('refuses to adopt the same rule when jit-access did not open it', async () => {
    // Prepare
    seedRule('198.51.100.0/24', { owner: 'network-team' });

    // Act
    const error = await rejectionOf(
      network.authorizeIngress(postgresFrom('198.51.100.0/24'), 'jit-access grant-0001', TAGS),
    );

    // Assess
    expect(error.message).toBe(
      `${GROUP} already has a rule for 198.51.100.0/24 tcp 5432-5432 that jit-access did not open: remove it, or keep this group for jit-access alone`,
    );
  });

  it('finds the id of the rule it opened when EC2 answers none', async () => {
    // Prepare
    // The fake's answer, without the ids of the rules it opened.
    type Send = (this: EC2Client, command: object) => Promise<Record<string, unknown>>;
    const send = EC2Client.prototype.send as unknown as Send;
    const withoutRuleIds: Send = async function (command) {
      const answer = await send.call(this, command);
      return command instanceof AuthorizeSecurityGroupIngressCommand ? { ...answer, SecurityGroupRules: [] } : answer;
    };
    jest.spyOn(EC2Client.prototype, 'send').mockImplementation(withoutRuleIds as never);

    // Act
    const ruleId = await network.authorizeIngress(postgresFrom('198.51.100.0/24'), 'jit-access grant-0001', TAGS);

    // Assess
    expect(aws.rulesIn(GROUP).map((r) => r.ruleId)).toEqual([ruleId]);
    expect(ruleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    expect(aws.countOf('DescribeSecurityGroupRules')).toBe(1);
  });

  it('fails with any other refusal, without looking for the rule', async () => {
    // Act
    const error = await rejectionOf(
      network.authorizeIngress(
        { ...postgresFrom('198.51.100.0/24'), securityGroupId: 'sg-0deadbeefdeadbeef' },
        'jit',
        TAGS,
      ),
    );

    // Assess
    expect(error).toMatchObject({
      name: 'InvalidGroup.NotFound',
      message: "The security group 'sg-0deadbeefdeadbeef' does not exist",
    });
    expect(aws.countOf('DescribeSecurityGroupRules')).toBe(0);
  });
});

describe('Ec2Network.revokeIngressRules', () => {
  it('closes the rules in one call', async () => {
    // Prepare
    const one = seedRule('198.51.100.0/24', TAGS);
    const two = seedRule('203.0.113.0/24', TAGS);

    // Act
    await network.revokeIngressRules(GROUP, [one.ruleId, two.ruleId]);

    // Assess
    expect(aws.rulesIn(GROUP)).toEqual([]);
    expect(aws.mutatingCalls).toEqual([
      { command: 'RevokeSecurityGroupIngress', target: `${one.ruleId},${two.ruleId}` },
    ]);
  });

  it('closes the others one at a time when one is already gone', async () => {
    // Prepare
    const one = seedRule('198.51.100.0/24', TAGS);
    const kept = seedRule('192.0.2.0/24', TAGS);
    const gone = 'sgr-000000000000000ff';

    // Act
    await network.revokeIngressRules(GROUP, [gone, one.ruleId]);

    // Assess
    expect(aws.rulesIn(GROUP)).toEqual([kept]);
    expect(aws.mutatingCalls).toEqual([
      { command: 'RevokeSecurityGroupIngress', target: `${gone},${one.ruleId}` },
      { command: 'RevokeSecurityGroupIngress', target: gone },
      { command: 'RevokeSecurityGroupIngress', target: one.ruleId },
    ]);
  });

  it('fails with any other error, and closes none', async () => {
    // Prepare
    const one = seedRule('198.51.100.0/24', TAGS);
    const two = seedRule('203.0.113.0/24', TAGS);
    aws.failNext('RevokeSecurityGroupIngress', 'UnauthorizedOperation');

    // Act
    const error = await rejectionOf(network.revokeIngressRules(GROUP, [one.ruleId, two.ruleId]));

    // Assess
    expect(error).toMatchObject({
      name: 'UnauthorizedOperation',
      message: 'injected fault: call 1 of RevokeSecurityGroupIngress',
    });
    expect(aws.rulesIn(GROUP)).toEqual([one, two]);
    expect(aws.countOf('RevokeSecurityGroupIngress')).toBe(1);
  });
});
