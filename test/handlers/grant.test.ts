import { GrantFailedError } from '../../lambdas/domain/errors';
import { ingressRuleKey } from '../../lambdas/domain/planner';
import type { ValidatedWorkflowState } from '../../lambdas/handlers/validate-request';
import {
  ACCOUNT_ID,
  BILLING_1,
  BILLING_2,
  BILLING_SG,
  createHarness,
  rejectionOf,
  requestInput,
  seedActive,
  seedApproved,
  seedPending,
  statusOf,
  testSettings,
  T0,
  type Harness,
} from '../helpers/handler-deps';
import { exampleConfig } from '../helpers/config-fixture';
import { createGrantHandler } from '../../lambdas/handlers/grant';

const GRANT_ID = 'grant-grant-0001';
const ROLE_NAME = `jit-${GRANT_ID}`;
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
const settings = testSettings();

let h: Harness;
let approved: ValidatedWorkflowState;
beforeEach(async () => {
  h = createHarness();
  approved = await seedApproved(h, GRANT_ID);
  h.aws.clearCallLog();
});
afterEach(() => h.restore());

async function grantFailure(): Promise<GrantFailedError> {
  const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));
  if (error instanceof GrantFailedError) return error;
  throw error;
}

describe('grant', () => {
  it('creates the role under the stack path with the boundary, the run-as tag and the vendor trust policy', async () => {
    await h.handlers.grant({ grantId: GRANT_ID });

    const role = h.aws.roles.get(ROLE_NAME);
    expect(role).toMatchObject({
      path: '/jit-access/',
      arn: `arn:aws:iam::${ACCOUNT_ID}:role/jit-access/${ROLE_NAME}`,
      permissionsBoundaryArn: settings.permissionsBoundaryArn,
      maxSessionDuration: 3600,
    });
    expect(role?.tags).toMatchObject({
      SSMSessionRunAs: 'acme-support',
      'jit-access:grant-id': GRANT_ID,
      'jit-access:expires-at': EXPIRES_AT,
    });
    expect(role?.trustPolicy).toEqual(approved.plan.role.trustPolicy);
  });

  it('puts the planned session policy inline on the role', async () => {
    await h.handlers.grant({ grantId: GRANT_ID });

    const policies = h.aws.roles.get(ROLE_NAME)?.inlinePolicies;
    expect([...(policies?.keys() ?? [])]).toEqual(['jit-session-access']);
    expect(policies?.get('jit-session-access')).toEqual(approved.plan.role.inlinePolicy);
  });

  it('opens one ingress rule per vendor CIDR, tagged and described with the grant id', async () => {
    await h.handlers.grant({ grantId: GRANT_ID });

    const rules = h.aws.rulesIn(BILLING_SG);
    expect(rules.map((r) => r.cidr)).toEqual(['203.0.113.0/24', '198.51.100.16/28']);
    for (const rule of rules) {
      expect(rule).toMatchObject({ protocol: 'tcp', fromPort: 5432, toPort: 5432 });
      expect(rule.description).toBe(`jit-access grant ${GRANT_ID}`);
      expect(rule.tags).toEqual({ 'jit-access:grant-id': GRANT_ID, 'jit-access:managed': 'true' });
    }
  });

  it('creates a one-time schedule at expiry that invokes revoke, with retries and a dead-letter queue', async () => {
    await h.handlers.grant({ grantId: GRANT_ID });

    const schedule = h.aws.schedules.get(`${settings.scheduleGroupName}/${ROLE_NAME}`);
    expect(schedule?.input).toMatchObject({
      ScheduleExpression: 'at(2030-03-01T10:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: settings.revokeFunctionArn,
        RoleArn: settings.schedulerRoleArn,
        DeadLetterConfig: { Arn: settings.schedulerDlqArn },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      },
    });
    expect(JSON.parse(schedule?.input.Target?.Input ?? '{}')).toEqual({ grantId: GRANT_ID, reason: 'expiry' });
  });

  it('records every created id in the ledger and leaves the grant ACTIVE until expiry', async () => {
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('ACTIVE');
    expect(grant?.expiresAt).toBe(EXPIRES_AT);
    expect(grant?.created).toEqual({
      roleArn: result.roleArn,
      inlinePolicyName: 'jit-session-access',
      securityGroupRuleIds: h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId),
      scheduleArn: result.scheduleArn,
    });
    expect(result).toMatchObject({ status: 'ACTIVE', startAt: T0, expiresAt: EXPIRES_AT });
  });

  it('run twice makes no mutating call the second time and returns the same result', async () => {
    const first = await h.handlers.grant({ grantId: GRANT_ID });
    h.aws.clearCallLog();

    const second = await h.handlers.grant({ grantId: GRANT_ID });

    expect(h.aws.mutatingCalls).toEqual([]);
    expect(second).toEqual(first);
  });

  it.each([
    ['CreateRole', 1],
    ['PutRolePolicy', 1],
    ['AuthorizeSecurityGroupIngress', 1],
    ['AuthorizeSecurityGroupIngress', 2],
    ['CreateSchedule', 1],
  ])('a failure of %s (call %i) leaves no role, policy, rule or schedule and ends FAILED', async (command, nth) => {
    h.aws.failOn(command, { nth });

    const error = await grantFailure();

    expect(error.name).toBe('jit.GrantFailed');
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.schedules.size).toBe(0);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('FAILED');
    expect(grant?.residueCheck?.residue).toEqual({
      roles: [],
      policies: [],
      securityGroupRules: [],
      schedules: [],
      sessions: [],
    });
  });

  it('a failure of the final activation in the ledger removes everything and ends FAILED', async () => {
    h.ledger.failNextTransitionTo('ACTIVE');

    const error = await grantFailure();

    expect(error.step).toBe('activate');
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.schedules.size).toBe(0);
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });

  it('a failed grant releases its claim on the ingress rules in the ledger', async () => {
    h.aws.failOn('CreateSchedule');

    await grantFailure();

    for (const rule of approved.plan.ingressRules) {
      expect(await h.ledger.getRule(ingressRuleKey(rule))).toBeUndefined();
    }
  });

  it('shares the rules another active grant already opened instead of opening them again', async () => {
    const first = await h.handlers.grant({ grantId: GRANT_ID });
    h.aws.clearCallLog();

    const second = await seedActive(h, 'grant-grant-0002', requestInput({ targets: [BILLING_2] }));

    expect(h.aws.countOf('AuthorizeSecurityGroupIngress')).toBe(0);
    expect(second.securityGroupRuleIds).toEqual(first.securityGroupRuleIds);
    expect(h.aws.rulesIn(BILLING_SG)).toHaveLength(2);
    const holding = await h.ledger.getRule(ingressRuleKey(approved.plan.ingressRules[0]!));
    expect(holding?.holders).toEqual([GRANT_ID, 'grant-grant-0002']);
  });

  it('a failed grant keeps open the rules another active grant shares with it', async () => {
    const first = await h.handlers.grant({ grantId: GRANT_ID });
    await seedApproved(h, 'grant-grant-0002', requestInput({ targets: [BILLING_2] }));
    h.aws.failOn('CreateSchedule');

    await expect(h.handlers.grant({ grantId: 'grant-grant-0002' })).rejects.toMatchObject({ name: 'jit.GrantFailed' });

    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual(first.securityGroupRuleIds);
    const holding = await h.ledger.getRule(ingressRuleKey(approved.plan.ingressRules[0]!));
    expect(holding?.holders).toEqual([GRANT_ID]);
  });

  it('refuses to adopt a role of the same name that another party created: no session policy goes on it', async () => {
    h.aws.seedRole(ROLE_NAME, '/jit-access/', { 'jit-access:grant-id': 'someone-else' });

    const error = await grantFailure();

    expect(error.step).toBe('create role');
    expect(error.message).toContain('was not created by this grant');
    expect(h.aws.mutatingCalls).not.toContainEqual({
      command: 'PutRolePolicy',
      target: `${ROLE_NAME}/jit-session-access`,
    });
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });

  it('refuses a grant whose vendor config changed since approval, and creates nothing', async () => {
    const changed = exampleConfig((raw) => {
      raw.vendors[0]!.allowedCidrs = ['192.0.2.0/24'];
    });
    const grantWithNewConfig = createGrantHandler(() => ({
      ...h.deps,
      settings: { ...h.deps.settings, config: changed },
    }));

    await expect(grantWithNewConfig({ grantId: GRANT_ID })).rejects.toThrow(/config changed since/);
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('never adopts an identical ingress rule that jit-access did not open, and leaves it in place', async () => {
    const theirs = h.aws.seedIngressRule({
      groupId: BILLING_SG,
      protocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      cidr: '203.0.113.0/24',
      description: 'placed by the platform team',
      tags: {},
    });

    const error = await grantFailure();

    expect(error.step).toBe('open ingress rules');
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual([theirs.ruleId]);
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });

  it('refuses a grant that is still waiting for approval and creates nothing', async () => {
    const pendingId = 'grant-grant-0003';
    await seedPending(h, pendingId, requestInput({ targets: [BILLING_1] }));
    h.aws.clearCallLog();

    await expect(h.handlers.grant({ grantId: pendingId })).rejects.toMatchObject({ name: 'jit.TransitionError' });
    expect(h.aws.mutatingCalls).toEqual([]);
  });
});
