/**
 * The fakes refuse what AWS refuses, with AWS's error names, through the real adapters; and any call can be made to
 * fail. A product path that relies on AWS accepting one of these is caught by the handler tests.
 */
import { INLINE_POLICY_NAME, MANAGED_TAG } from '../../lambdas/domain/planner';
import type { IngressRule, PolicyDocument } from '../../lambdas/domain/types';
import { INBOUND_RULES_PER_GROUP, ROLE_INLINE_POLICY_CHARS } from '../helpers/fake-aws';
import { BILLING_SG, createHarness, rejectionOf, type Harness } from '../helpers/handler-deps';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

const postgresFrom = (cidr: string, securityGroupId = BILLING_SG): IngressRule => ({
  securityGroupId,
  protocol: 'tcp',
  fromPort: 5432,
  toPort: 5432,
  cidr,
});
const TAGS = { [MANAGED_TAG]: 'true' };

/** A policy of about `chars` characters, whitespace aside. */
function policyOf(chars: number): PolicyDocument {
  const padding = 'x'.repeat(chars - 120);
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Padding', Effect: 'Allow', Action: 'ssm:StartSession', Resource: `arn:aws:ssm:::${padding}` }],
  } as PolicyDocument;
}

describe('EC2 refusals', () => {
  it('refuses a rule in a security group that does not exist, and opens nothing', async () => {
    // Act
    const error = await rejectionOf(
      h.deps.network.authorizeIngress(postgresFrom('198.51.100.0/24', 'sg-0deadbeefdeadbeef'), 'jit', TAGS),
    );

    // Assess
    expect(error.name).toBe('InvalidGroup.NotFound');
    expect(h.aws.ingressRules).toEqual([]);
  });

  it('refuses closing a rule of a security group that does not exist', async () => {
    // Act
    const error = await rejectionOf(h.deps.network.revokeIngress('sg-0deadbeefdeadbeef', 'sgr-00000000000000001'));

    // Assess
    expect(error.name).toBe('InvalidGroup.NotFound');
  });

  it(`refuses rules past the group's ${INBOUND_RULES_PER_GROUP} inbound rules, all or nothing`, async () => {
    // Prepare
    for (let n = 1; n < INBOUND_RULES_PER_GROUP; n++) {
      h.aws.seedIngressRule({
        ...postgresFrom(`10.0.${n}.0/24`),
        groupId: BILLING_SG,
        description: undefined,
        tags: {},
      });
    }

    // Act
    const error = await rejectionOf(
      h.deps.network.authorizeIngressRules(
        BILLING_SG,
        [postgresFrom('198.51.100.0/24'), postgresFrom('203.0.113.0/24')],
        'jit',
        TAGS,
      ),
    );

    // Assess
    expect(error.name).toBe('RulesPerSecurityGroupLimitExceeded');
    expect(h.aws.rulesIn(BILLING_SG)).toHaveLength(INBOUND_RULES_PER_GROUP - 1);
  });
});

describe('IAM refusals', () => {
  it(`refuses inline policies over ${ROLE_INLINE_POLICY_CHARS} characters in all on one role`, async () => {
    // Prepare
    h.aws.seedRole('jit-big-policies', '/jit-access/');
    await h.deps.roles.putInlinePolicy('jit-big-policies', 'first', policyOf(6_000));

    // Act
    const error = await rejectionOf(h.deps.roles.putInlinePolicy('jit-big-policies', 'second', policyOf(6_000)));

    // Assess
    expect(error.name).toBe('LimitExceededException');
    expect([...(h.aws.roles.get('jit-big-policies')?.inlinePolicies.keys() ?? [])]).toEqual(['first']);
  });

  it('replaces a policy of the same name without counting the old one against the limit', async () => {
    // Prepare
    h.aws.seedRole('jit-replaced-policy', '/jit-access/');
    await h.deps.roles.putInlinePolicy('jit-replaced-policy', INLINE_POLICY_NAME, policyOf(6_000));

    // Act
    await h.deps.roles.putInlinePolicy('jit-replaced-policy', INLINE_POLICY_NAME, policyOf(6_000));

    // Assess
    expect(h.aws.roles.get('jit-replaced-policy')?.inlinePolicies.size).toBe(1);
  });
});

describe('Session Manager and Step Functions refusals', () => {
  it('refuses to terminate a session id it never issued, and accepts ending an ended one again', async () => {
    // Prepare
    h.aws.startSession('vendor-ended', 'jit-grant-1', 'i-0aaaaaaaaaaaaaaa1');
    await h.deps.sessions.terminateSession('vendor-ended');

    // Act
    const unknown = await rejectionOf(h.deps.sessions.terminateSession('vendor-never-started'));
    const again = h.deps.sessions.terminateSession('vendor-ended');

    // Assess
    expect(unknown.name).toBe('DoesNotExistException');
    await expect(again).resolves.toBeUndefined();
  });

  it('refuses a second answer to a task token with TaskTimedOut, whichever answer it is', async () => {
    // Prepare
    await h.deps.approvals.approve('token-answered-once', { approvedBy: ['alice', 'bob'] });

    // Act
    const success = await rejectionOf(h.deps.approvals.approve('token-answered-once', { approvedBy: ['alice'] }));
    const failure = await rejectionOf(h.deps.approvals.deny('token-answered-once', 'jit.Denied', 'too late'));

    // Assess
    expect(success.name).toBe('TaskTimedOut');
    expect(failure.name).toBe('TaskTimedOut');
    expect(h.aws.taskCallbacks).toHaveLength(1);
  });

  it('refuses a task token longer than Step Functions issues with InvalidToken', async () => {
    // Act
    const error = await rejectionOf(h.deps.approvals.deny('t'.repeat(1_025), 'jit.Denied', 'no'));

    // Assess
    expect(error.name).toBe('InvalidToken');
  });
});

describe('failure injection', () => {
  it('failNext fails the next call of the command only, with the error named', async () => {
    // Prepare
    h.aws.failNext('SendTaskFailure', 'ThrottlingException');

    // Act
    const first = await rejectionOf(h.deps.approvals.deny('token-a', 'jit.Denied', 'no'));
    await h.deps.approvals.deny('token-a', 'jit.Denied', 'no');

    // Assess
    expect(first.name).toBe('ThrottlingException');
    expect(h.aws.taskCallbacks).toEqual([{ kind: 'failure', taskToken: 'token-a', error: 'jit.Denied', cause: 'no' }]);
  });

  it('refuses to arm a fault on a command the fakes do not answer, so a misspelt fault cannot pass unnoticed', () => {
    // Act
    const arming = () => h.aws.failNext('SendTaskSucess');

    // Assess
    expect(arming).toThrow(/answer no command SendTaskSucess: name one of .*SendTaskSuccess/);
  });

  it('failWhen fails only the calls whose input matches, as many times as asked', async () => {
    // Prepare
    h.aws.seedSchedule('jit-grant-a', 'jit-access-expiry');
    h.aws.seedSchedule('jit-grant-b', 'jit-access-expiry');
    h.aws.failWhen<{ Name?: string }>('DeleteSchedule', (input) => input.Name === 'jit-grant-a', { times: 2 });

    // Act
    const errors = [
      await rejectionOf(h.deps.schedules.delete('jit-grant-a', 'jit-access-expiry')),
      await rejectionOf(h.deps.schedules.delete('jit-grant-a', 'jit-access-expiry')),
    ];
    await h.deps.schedules.delete('jit-grant-b', 'jit-access-expiry');
    await h.deps.schedules.delete('jit-grant-a', 'jit-access-expiry');

    // Assess
    expect(errors.map((e) => e.name)).toEqual(['AccessDenied', 'AccessDenied']);
    expect(h.aws.schedules.size).toBe(0);
  });
});
