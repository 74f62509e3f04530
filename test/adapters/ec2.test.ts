import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { Ec2Network } from '../../lambdas/adapters/ec2';
import { MANAGED_TAG } from '../../lambdas/domain/planner';
import type { IngressRule } from '../../lambdas/domain/types';
import { FakeAws } from '../helpers/fake-aws';
import { rejectionOf } from '../helpers/handler-deps';
import { inputsOf, rejectionValueOf, rewriteAnswers, type Send } from '../helpers/sdk-answers';

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

describe('Ec2Network.listInboundRulesIn and listIngressRulesIn', () => {
  const base = { GroupId: GROUP, IsEgress: false, IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 };

  it('reads every kind of inbound rule as a person would, and as a grant plans only the IPv4 ones', async () => {
    // Prepare
    rewriteAnswers(EC2Client, [
      DescribeSecurityGroupRulesCommand,
      async () => ({
        SecurityGroupRules: [
          { ...base, SecurityGroupRuleId: 'sgr-ipv4', CidrIpv4: '198.51.100.0/24', Tags: [{ Key: 'k', Value: 'v' }] },
          { ...base, SecurityGroupRuleId: 'sgr-ipv6', IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv6: '::/0' },
          { ...base, SecurityGroupRuleId: 'sgr-list', PrefixListId: 'pl-0123' },
          { ...base, SecurityGroupRuleId: 'sgr-group', ReferencedGroupInfo: { GroupId: 'sg-0other' } },
          { ...base, SecurityGroupRuleId: 'sgr-none' },
          { ...base, SecurityGroupRuleId: 'sgr-egress', IsEgress: true, CidrIpv4: '0.0.0.0/0' },
          { ...base, CidrIpv4: '192.0.2.0/24' },
        ],
      }),
    ]);

    // Act
    const inbound = await network.listInboundRulesIn([GROUP]);
    const ingress = await network.listIngressRulesIn([GROUP]);

    // Assess
    const ipv4 = {
      ruleId: 'sgr-ipv4',
      securityGroupId: GROUP,
      protocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      cidr: '198.51.100.0/24',
      tags: { k: 'v' },
    };
    expect(inbound).toStrictEqual([
      {
        ruleId: 'sgr-ipv4',
        securityGroupId: GROUP,
        summary: 'tcp 5432-5432 from 198.51.100.0/24',
        tags: { k: 'v' },
        ingress: ipv4,
      },
      { ruleId: 'sgr-ipv6', securityGroupId: GROUP, summary: 'all traffic from ::/0', tags: {} },
      { ruleId: 'sgr-list', securityGroupId: GROUP, summary: 'tcp 5432-5432 from pl-0123', tags: {} },
      { ruleId: 'sgr-group', securityGroupId: GROUP, summary: 'tcp 5432-5432 from sg-0other', tags: {} },
      { ruleId: 'sgr-none', securityGroupId: GROUP, summary: 'tcp 5432-5432 from an unknown source', tags: {} },
    ]);
    expect(ingress).toStrictEqual([ipv4]);
  });

  it('prefers the IPv4 range, then IPv6, then the prefix list, when EC2 names several', async () => {
    // Prepare
    const all = {
      CidrIpv4: '198.51.100.0/24',
      CidrIpv6: '2001:db8::/32',
      PrefixListId: 'pl-1',
      ReferencedGroupInfo: { GroupId: 'sg-1' },
    };
    rewriteAnswers(EC2Client, [
      DescribeSecurityGroupRulesCommand,
      async () => ({
        SecurityGroupRules: [
          { ...base, SecurityGroupRuleId: 'a', ...all },
          { ...base, SecurityGroupRuleId: 'b', ...all, CidrIpv4: undefined },
          { ...base, SecurityGroupRuleId: 'c', ...all, CidrIpv4: undefined, CidrIpv6: undefined },
        ],
      }),
    ]);

    // Act
    const inbound = await network.listInboundRulesIn([GROUP]);

    // Assess
    expect(inbound.map((r) => r.summary)).toEqual([
      'tcp 5432-5432 from 198.51.100.0/24',
      'tcp 5432-5432 from 2001:db8::/32',
      'tcp 5432-5432 from pl-1',
    ]);
  });

  it('answers nothing for a page without rules, and asks nothing for no group', async () => {
    // Prepare
    const sent = rewriteAnswers(EC2Client, [DescribeSecurityGroupRulesCommand, async () => ({})]);

    // Act
    const answers = [await network.listInboundRulesIn([GROUP]), await network.listInboundRulesIn([])];

    // Assess
    expect(answers).toStrictEqual([[], []]);
    expect(sent).toHaveLength(1);
  });
});

describe('Ec2Network.describeInstances and describeInstancesTagged', () => {
  it('asks nothing and answers nothing for no instance id', async () => {
    // Prepare
    const sent = rewriteAnswers(EC2Client);

    // Act
    const facts = await network.describeInstances([]);

    // Assess
    expect(facts).toStrictEqual([]);
    expect(sent).toEqual([]);
  });

  it("filters a group's members by its tag and by the live states", async () => {
    // Prepare
    const sent = rewriteAnswers(EC2Client, [DescribeInstancesCommand, async () => ({ Reservations: [] })]);

    // Act
    await network.describeInstancesTagged('jit-access:target-group', 'billing-db');

    // Assess
    expect(inputsOf(sent, DescribeInstancesCommand)).toEqual([
      {
        Filters: [
          { Name: 'tag:jit-access:target-group', Values: ['billing-db'] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
        NextToken: undefined,
      },
    ]);
  });

  it('reads what EC2 leaves out as unknown or empty, and the platform from either field', async () => {
    // Prepare
    rewriteAnswers(EC2Client, [
      DescribeInstancesCommand,
      async () => ({
        Reservations: [
          {},
          {
            Instances: [
              { InstanceId: 'i-bare' },
              { InstanceId: 'i-windows', State: { Name: 'running' }, Platform: 'windows' },
              {
                InstanceId: 'i-linux',
                State: { Name: 'stopped' },
                PlatformDetails: 'Linux/UNIX',
                Tags: [{ Key: 'a', Value: 'b' }],
              },
            ],
          },
        ],
      }),
    ]);

    // Act
    const facts = await network.describeInstances(['i-bare', 'i-windows', 'i-linux']);

    // Assess
    expect(facts).toStrictEqual([
      { instanceId: 'i-bare', state: 'unknown', tags: {} },
      { instanceId: 'i-windows', state: 'running', tags: {}, platform: 'windows' },
      { instanceId: 'i-linux', state: 'stopped', tags: { a: 'b' }, platform: 'Linux/UNIX' },
    ]);
  });

  it('answers nothing for an answer without reservations', async () => {
    // Prepare
    rewriteAnswers(EC2Client, [DescribeInstancesCommand, async () => ({})]);

    // Act
    const facts = await network.describeInstances(['i-0123']);

    // Assess
    expect(facts).toStrictEqual([]);
  });
});

describe('Ec2Network.authorizeIngress and authorizeIngressRules, call by call', () => {
  it('takes the id EC2 answers without listing the group', async () => {
    // Act
    const ruleId = await network.authorizeIngress(postgresFrom('198.51.100.0/24'), 'jit-access grant-0001', TAGS);

    // Assess
    expect(aws.rulesIn(GROUP).map((r) => r.ruleId)).toEqual([ruleId]);
    expect(aws.countOf('DescribeSecurityGroupRules')).toBe(0);
  });

  it('finds the rule it opened when EC2 answers without a rule list', async () => {
    // Prepare
    const send = EC2Client.prototype.send as unknown as Send<EC2Client>;
    rewriteAnswers(EC2Client, [
      AuthorizeSecurityGroupIngressCommand,
      async function (this: EC2Client, command) {
        await send.call(this, command);
        return {};
      },
    ]);

    // Act
    const ruleId = await network.authorizeIngress(postgresFrom('198.51.100.0/24'), 'jit-access grant-0001', TAGS);

    // Assess
    expect(aws.rulesIn(GROUP).map((r) => r.ruleId)).toEqual([ruleId]);
  });

  it('names the rule when EC2 calls it a duplicate but does not list it', async () => {
    // Prepare
    rewriteAnswers(EC2Client, [
      AuthorizeSecurityGroupIngressCommand,
      () => Promise.reject(Object.assign(new Error('duplicate'), { name: 'InvalidPermission.Duplicate' })),
    ]);
    const rule = postgresFrom('198.51.100.0/24');

    // Act
    const error = await rejectionOf(network.authorizeIngress(rule, 'jit-access grant-0001', TAGS));

    // Assess
    expect(error.message).toBe(`rule ${JSON.stringify(rule)} was authorized but cannot be found`);
  });

  it('asks nothing for no rules', async () => {
    // Prepare
    const sent = rewriteAnswers(EC2Client);

    // Act
    const ids = await network.authorizeIngressRules(GROUP, [], 'jit', TAGS);

    // Assess
    expect(ids).toEqual(new Map());
    expect(sent).toEqual([]);
  });

  it('opens the rules in one call, one permission per protocol and ports with all of their ranges', async () => {
    // Prepare
    const sent = rewriteAnswers(EC2Client);
    const snmp = { ...postgresFrom('198.51.100.0/24'), protocol: 'udp' as const, fromPort: 161, toPort: 162 };

    // Act
    const ids = await network.authorizeIngressRules(
      GROUP,
      [postgresFrom('198.51.100.0/24'), snmp, postgresFrom('203.0.113.0/24')],
      'jit-access grant-0001',
      TAGS,
    );

    // Assess
    const permissions = inputsOf(sent, AuthorizeSecurityGroupIngressCommand).map((input) => input.IpPermissions);
    expect(permissions).toEqual([
      [
        {
          IpProtocol: 'tcp',
          FromPort: 5432,
          ToPort: 5432,
          IpRanges: [
            { CidrIp: '198.51.100.0/24', Description: 'jit-access grant-0001' },
            { CidrIp: '203.0.113.0/24', Description: 'jit-access grant-0001' },
          ],
        },
        {
          IpProtocol: 'udp',
          FromPort: 161,
          ToPort: 162,
          IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'jit-access grant-0001' }],
        },
      ],
    ]);
    expect([...ids.values()].sort()).toEqual(
      aws
        .rulesIn(GROUP)
        .map((r) => r.ruleId)
        .sort(),
    );
    expect(ids.size).toBe(3);
  });

  it('skips what EC2 answers beside the rules (an IPv6 rule), and opens the rest one at a time when it answers no list', async () => {
    // Prepare
    const send = EC2Client.prototype.send as unknown as Send<EC2Client>;
    let calls = 0;
    const sent = rewriteAnswers(EC2Client, [
      AuthorizeSecurityGroupIngressCommand,
      async function (this: EC2Client, command) {
        const answer = (await send.call(this, command)) as { SecurityGroupRules?: object[] };
        calls += 1;
        if (calls > 1) return answer;
        const ipv6 = { SecurityGroupRuleId: 'sgr-v6', GroupId: GROUP, IsEgress: false, CidrIpv6: '::/0' };
        return { SecurityGroupRules: [ipv6, ...(answer.SecurityGroupRules ?? []).slice(0, 1)] };
      },
    ]);

    // Act
    const ids = await network.authorizeIngressRules(
      GROUP,
      [postgresFrom('198.51.100.0/24'), postgresFrom('203.0.113.0/24')],
      'jit-access grant-0001',
      TAGS,
    );

    // Assess
    expect(ids.size).toBe(2);
    expect([...ids.values()]).not.toContain('sgr-v6');
    expect(inputsOf(sent, AuthorizeSecurityGroupIngressCommand)).toHaveLength(2);
  });

  it('opens each rule on its own, adopting its own, when one of them is already there', async () => {
    // Prepare
    const mine = seedRule('198.51.100.0/24', TAGS);

    // Act
    const ids = await network.authorizeIngressRules(
      GROUP,
      [postgresFrom('198.51.100.0/24'), postgresFrom('203.0.113.0/24')],
      'jit-access grant-0001',
      TAGS,
    );

    // Assess
    expect(ids.size).toBe(2);
    expect([...ids.values()]).toContain(mine.ruleId);
    expect(aws.rulesIn(GROUP)).toHaveLength(2);
  });

  it('fails with any other refusal, opening nothing one at a time', async () => {
    // Prepare
    aws.failNext('AuthorizeSecurityGroupIngress', 'RulesPerSecurityGroupLimitExceeded');

    // Act
    const error = await rejectionOf(
      network.authorizeIngressRules(GROUP, [postgresFrom('198.51.100.0/24')], 'jit-access grant-0001', TAGS),
    );

    // Assess
    expect(error).toMatchObject({ name: 'RulesPerSecurityGroupLimitExceeded' });
    expect(aws.countOf('AuthorizeSecurityGroupIngress')).toBe(1);
  });
});

describe('Ec2Network: rule descriptions and revokes, call by call', () => {
  it('asks nothing to describe no rule', async () => {
    // Prepare
    const sent = rewriteAnswers(EC2Client);

    // Act
    await network.describeIngressRules(GROUP, []);

    // Assess
    expect(sent).toEqual([]);
  });

  it('closes no rule with no call, and a single rule with one call even when it is already gone', async () => {
    // Act
    await network.revokeIngressRules(GROUP, []);
    await network.revokeIngressRules(GROUP, ['sgr-000000000000000ff']);

    // Assess
    expect(aws.countOf('RevokeSecurityGroupIngress')).toBe(1);
  });

  it('passes on a rejection that is not an Error, as it came', async () => {
    // Prepare
    const reject = () => Promise.reject(undefined);
    rewriteAnswers(
      EC2Client,
      [AuthorizeSecurityGroupIngressCommand, reject],
      [RevokeSecurityGroupIngressCommand, reject],
    );

    // Act
    const rejections = [
      await rejectionValueOf(network.authorizeIngress(postgresFrom('198.51.100.0/24'), 'jit', TAGS)),
      await rejectionValueOf(network.authorizeIngressRules(GROUP, [postgresFrom('198.51.100.0/24')], 'jit', TAGS)),
      await rejectionValueOf(network.revokeIngress(GROUP, 'sgr-1')),
      await rejectionValueOf(network.revokeIngressRules(GROUP, ['sgr-1', 'sgr-2'])),
    ];

    // Assess
    expect(rejections).toStrictEqual([undefined, undefined, undefined, undefined]);
  });
});
