import { ingressRuleKey } from '../../lambdas/domain/planner';
import type { ProvisionResult } from '../../lambdas/lifecycle/provision';
import {
  ACCOUNT_ID,
  BILLING_1,
  BILLING_2,
  BILLING_SG,
  createHarness,
  requestInput,
  seedActive,
  seedApproved,
  seedPending,
  statusOf,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-revoke-0001';
const OTHER_ID = 'grant-revoke-0002';
const ROLE_NAME = `jit-${GRANT_ID}`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/jit-access/${ROLE_NAME}`;
const POSTGRES_FROM_ACME = {
  securityGroupId: BILLING_SG,
  protocol: 'tcp',
  fromPort: 5432,
  toPort: 5432,
  cidr: '203.0.113.0/24',
} as const;
const NO_RESIDUE = { roles: [], policies: [], securityGroupRules: [], schedules: [], sessions: [] };

let h: Harness;
let active: ProvisionResult;
beforeEach(async () => {
  h = createHarness();
  active = await seedActive(h, GRANT_ID);
  h.aws.clearCallLog();
});
afterEach(() => h.restore());

const revoke = (grantId = GRANT_ID) => h.handlers.revoke({ grantId, reason: 'kill-switch', actor: 'oncall' });

describe('revoke', () => {
  it("removes the grant's resources in DESIGN's order, deny policy first and role last", async () => {
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);
    const [firstRule, secondRule] = active.securityGroupRuleIds;

    await revoke();

    expect(h.aws.mutatingCalls.map((c) => `${c.command} ${c.target}`)).toEqual([
      `PutRolePolicy ${ROLE_NAME}/jit-revoked`,
      'TerminateSession session-of-grant',
      `RevokeSecurityGroupIngress ${firstRule}`,
      `RevokeSecurityGroupIngress ${secondRule}`,
      `DeleteSchedule ${ROLE_NAME}`,
      `DeleteRolePolicy ${ROLE_NAME}/jit-revoked`,
      `DeleteRolePolicy ${ROLE_NAME}/jit-session-access`,
      `DeleteRole ${ROLE_NAME}`,
      `Publish jit-access: grant ${GRANT_ID} revoked`,
    ]);
  });

  it("terminates the grant's live sessions only, not another role's", async () => {
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);
    // A role whose name starts with this grant's role name must not be mistaken for it.
    h.aws.startSession('session-of-someone-else', `${ROLE_NAME}0`, BILLING_1);

    await revoke();

    expect(h.aws.sessions.map((s) => [s.sessionId, s.status])).toEqual([
      ['session-of-grant', 'Terminated'],
      ['session-of-someone-else', 'Active'],
    ]);
  });

  it('records a clean residue check and ends REVOKED', async () => {
    const result = await revoke();

    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKED');
    expect(grant?.revokeReason).toBe('kill-switch');
    expect(grant?.residueCheck?.residue).toEqual(NO_RESIDUE);
    expect(result).toMatchObject({ status: 'REVOKED', changed: true, residue: NO_RESIDUE });
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('run twice makes no mutating call the second time', async () => {
    await revoke();
    h.aws.clearCallLog();

    const second = await revoke();

    expect(h.aws.mutatingCalls).toEqual([]);
    expect(second).toMatchObject({ status: 'REVOKED', changed: false });
  });

  it('keeps an ingress rule that another active grant still holds', async () => {
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));

    const result = await revoke();

    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual(active.securityGroupRuleIds);
    expect(result.sharedRulesKept).toHaveLength(2);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(await statusOf(h, OTHER_ID)).toBe('ACTIVE');
  });

  it('removes a shared ingress rule when its last holder is revoked', async () => {
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    await revoke(GRANT_ID);

    await revoke(OTHER_ID);

    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(await h.ledger.getRule(ingressRuleKey(POSTGRES_FROM_ACME))).toBeUndefined();
  });

  it('cancels a PENDING grant with nothing to delete', async () => {
    await seedPending(h, 'grant-revoke-0003');
    h.aws.clearCallLog();

    const result = await revoke('grant-revoke-0003');

    expect(result).toMatchObject({ status: 'REVOKED', residue: NO_RESIDUE });
    expect(await statusOf(h, 'grant-revoke-0003')).toBe('REVOKED');
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('leaves the grant REVOKING with the role in its residue when the role cannot be deleted', async () => {
    h.aws.failOn('DeleteRole');

    const result = await revoke();

    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKING');
    expect(grant?.residueCheck?.residue).toEqual({ ...NO_RESIDUE, roles: [ROLE_ARN] });
    expect(result).toMatchObject({ status: 'REVOKING', residue: { roles: [ROLE_ARN] } });
  });

  it('still closes the rules and deletes the schedule when the deny policy cannot be put', async () => {
    h.aws.failOn('PutRolePolicy');

    await revoke();

    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.schedules.size).toBe(0);
    expect(h.aws.roles.size).toBe(0);
  });

  it('raises an alert naming what is left when the revoke is incomplete', async () => {
    h.aws.failOn('DeleteRole');

    await revoke();

    expect(h.aws.published.map((m) => m.subject)).toEqual([`jit-access: ALERT grant ${GRANT_ID} revoke incomplete`]);
    expect(h.aws.published[0]?.message).toContain(ROLE_ARN);
  });

  it('denies every credential issued before the revoke, with a policy put before anything else', async () => {
    h.aws.failOn('ListRolePolicies');
    h.clock.set('2030-03-01T09:30:00.000Z');

    await revoke();

    expect(h.aws.roles.get(ROLE_NAME)?.inlinePolicies.get('jit-revoked')).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyEverythingOnceRevoked', Effect: 'Deny', Action: '*', Resource: '*' }],
    });
  });
});

describe('revoke racing the grant', () => {
  const RACING_ID = 'grant-revoke-0004';

  it('still ends the access when the grant starts between reading and cancelling it', async () => {
    await seedApproved(h, RACING_ID, requestInput({ targets: [BILLING_2], ports: [] }));
    h.ledger.runBeforeNextTransition(() => h.handlers.grant({ grantId: RACING_ID }));

    const result = await revoke(RACING_ID);

    expect(await statusOf(h, RACING_ID)).toBe('REVOKED');
    expect(result.status).toBe('REVOKED');
    expect(h.aws.roles.has(`jit-${RACING_ID}`)).toBe(false);
    expect(h.aws.schedules.has(`jit-access-expiry/jit-${RACING_ID}`)).toBe(false);
  });
});
