import type { GrantUpdate } from '../../lambdas/adapters/ledger';
import { ingressRuleKey, RUN_AS_TAG } from '../../lambdas/domain/planner';
import { decide } from '../../lambdas/lifecycle/decision';
import { teardownGrant } from '../../lambdas/lifecycle/teardown';
import type { ProvisionResult } from '../../lambdas/lifecycle/provision';
import { failEveryCall } from '../helpers/persistent-fault';
import {
  ACCOUNT_ID,
  ALICE,
  BILLING_1,
  BILLING_2,
  BILLING_SG,
  createHarness,
  rejectionOf,
  requestInput,
  seedActive,
  seedPending,
  statusOf,
  testSettings,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-revoke-0001';
const OTHER_ID = 'grant-revoke-0002';
const ROLE_NAME = `jit-${GRANT_ID}`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/jit-access/${ROLE_NAME}`;
const settings = testSettings();
/** Every grant of this file starts at T0 for one hour. */
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
const POSTGRES_FROM_ACME = {
  securityGroupId: BILLING_SG,
  protocol: 'tcp',
  fromPort: 5432,
  toPort: 5432,
  cidr: '203.0.113.0/24',
} as const;
const NO_RESIDUE = {
  roles: [],
  policies: [],
  securityGroupRules: [],
  schedules: [],
  sessions: [],
  osAccounts: [],
};

let h: Harness;
let active: ProvisionResult;
beforeEach(async () => {
  h = createHarness();
  active = await seedActive(h, GRANT_ID);
  h.aws.clearCallLog();
});
afterEach(() => h.restore());

/** What the expiry schedule sends, at the expiry. */
const revokeAtExpiry = (grantId = GRANT_ID) => {
  h.clock.set(EXPIRES_AT);
  return h.handlers.revoke({ grantId, reason: 'expiry' });
};

describe('revoke (the expiry schedule target)', () => {
  it("removes the grant's resources in DESIGN's order, deny policy first and role last", async () => {
    // Prepare
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);
    const [firstRule, secondRule] = active.securityGroupRuleIds;

    // Act
    await revokeAtExpiry();

    // Assess
    // The stack's deny-all goes on first; both rules of the group close in one call; the role goes last.
    expect(h.aws.mutatingCalls.map((c) => `${c.command} ${c.target}`)).toEqual([
      `AttachRolePolicy ${ROLE_NAME}/${settings.revokedPolicyArn}`,
      'TerminateSession session-of-grant',
      'SendCommand lock acme-support',
      `RevokeSecurityGroupIngress ${firstRule},${secondRule}`,
      `DeleteSchedule ${ROLE_NAME}`,
      `DeleteRolePolicy ${ROLE_NAME}/jit-session-access`,
      `DetachRolePolicy ${ROLE_NAME}/${settings.revokedPolicyArn}`,
      `DeleteRole ${ROLE_NAME}`,
      `Publish jit-access: grant ${GRANT_ID} revoked`,
    ]);
  });

  it("terminates the grant's live sessions only, not another role's", async () => {
    // Prepare
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);
    // A role whose name starts with this grant's role name must not be mistaken for it.
    h.aws.startSession('session-of-someone-else', `${ROLE_NAME}0`, BILLING_1);

    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.aws.sessions.map((s) => [s.sessionId, s.status])).toEqual([
      ['session-of-grant', 'Terminated'],
      ['session-of-someone-else', 'Active'],
    ]);
  });

  it('records a clean residue check and ends REVOKED for the expiry', async () => {
    // Act
    const result = await revokeAtExpiry();

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKED');
    expect(grant?.revokeReason).toBe('expiry');
    expect(grant?.residueCheck?.residue).toEqual(NO_RESIDUE);
    expect(grant?.history.at(-1)).toMatchObject({ actor: 'expiry-schedule', event: 'revoked (expiry); residue: none' });
    expect(result).toMatchObject({ status: 'REVOKED', changed: true, residue: NO_RESIDUE });
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('reads the grant once before it starts the revoke: the path that ends access waits on no second read', async () => {
    // Prepare
    h.clock.set(EXPIRES_AT);
    const getGrant = jest.spyOn(h.ledger, 'getGrant');
    const startRevoke = h.ledger.startRevoke.bind(h.ledger);
    const readsBeforeStart: number[] = [];
    jest.spyOn(h.ledger, 'startRevoke').mockImplementation((...args) => {
      readsBeforeStart.push(getGrant.mock.calls.length);
      return startRevoke(...args);
    });

    // Act
    await h.handlers.revoke({ grantId: GRANT_ID });

    // Assess
    expect(readsBeforeStart).toEqual([1]);
  });

  it('takes the expiry as the reason when the event names none', async () => {
    // Prepare
    h.clock.set(EXPIRES_AT);

    // Act
    await h.handlers.revoke({ grantId: GRANT_ID });

    // Assess
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({ status: 'REVOKED', revokeReason: 'expiry' });
  });

  it('run twice makes no mutating call the second time', async () => {
    // Prepare
    await revokeAtExpiry();
    h.aws.clearCallLog();

    // Act
    const second = await revokeAtExpiry();

    // Assess
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(second).toMatchObject({ status: 'REVOKED', changed: false });
  });

  it('keeps an ingress rule that another active grant still holds', async () => {
    // Prepare
    h.clock.advanceMinutes(30);
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual(active.securityGroupRuleIds);
    expect(result.sharedRulesKept).toHaveLength(2);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(await statusOf(h, OTHER_ID)).toBe('ACTIVE');
  });

  it('a shared rule names only the grants still holding it once one of three is revoked, in one call', async () => {
    // Prepare
    const third = 'grant-revoke-0003';
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    await seedActive(h, third, requestInput({ targets: [BILLING_2] }));
    const whileThree = h.aws.rulesIn(BILLING_SG).map((r) => r.description);
    h.aws.clearCallLog();

    // Act
    await revokeAtExpiry(OTHER_ID);

    // Assess
    expect(whileThree).toEqual(Array(2).fill(`jit-access grants ${GRANT_ID}, ${OTHER_ID}, ${third}`));
    expect(h.aws.countOf('UpdateSecurityGroupRuleDescriptionsIngress')).toBe(1);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual(active.securityGroupRuleIds);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.description)).toEqual(
      Array(2).fill(`jit-access grants ${GRANT_ID}, ${third}`),
    );
  });

  test.each([
    ['the first grant ends first', GRANT_ID, OTHER_ID],
    ['the second grant ends first', OTHER_ID, GRANT_ID],
  ])('when %s, the rule stays open naming the other, and closes when the other ends', async (_order, first, last) => {
    // Prepare
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));

    // Act
    await revokeAtExpiry(first);
    const afterFirst = h.aws.rulesIn(BILLING_SG).map((r) => r.description);
    await revokeAtExpiry(last);

    // Assess
    expect(afterFirst).toEqual(Array(2).fill(`jit-access grant ${last}`));
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(await h.ledger.getRule(ingressRuleKey(POSTGRES_FROM_ACME))).toBeUndefined();
  });

  it('removes a shared ingress rule when its last holder is revoked', async () => {
    // Prepare
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    await revokeAtExpiry(GRANT_ID);

    // Act
    await revokeAtExpiry(OTHER_ID);

    // Assess
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(await h.ledger.getRule(ingressRuleKey(POSTGRES_FROM_ACME))).toBeUndefined();
  });

  it('cancels a grant still PENDING at its expiry, with nothing to delete', async () => {
    // Prepare
    await seedPending(h, 'grant-revoke-0003');
    h.aws.clearCallLog();

    // Act
    const result = await revokeAtExpiry('grant-revoke-0003');

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED', residue: NO_RESIDUE });
    expect(await statusOf(h, 'grant-revoke-0003')).toBe('REVOKED');
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('leaves the grant REVOKING with the role in its residue when the role cannot be deleted', async () => {
    // Prepare
    failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKING');
    expect(grant?.residueCheck?.residue).toEqual({ ...NO_RESIDUE, roles: [ROLE_ARN] });
    expect(result).toMatchObject({ status: 'REVOKING', residue: { roles: [ROLE_ARN] } });
  });

  it('still closes the rules and deletes the schedule when the deny policy cannot be put', async () => {
    // Prepare
    h.aws.failOn('PutRolePolicy');

    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.schedules.size).toBe(0);
    expect(h.aws.roles.size).toBe(0);
  });

  it('raises an alert naming what is left when the revoke is incomplete', async () => {
    // Prepare
    failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');

    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.aws.published.map((m) => m.subject)).toEqual([`jit-access: ALERT grant ${GRANT_ID} revoke incomplete`]);
    expect(h.aws.published[0]?.message).toContain(ROLE_ARN);
  });

  it("denies every credential issued before the revoke with the stack's deny-all, and writes no policy", async () => {
    // Prepare: the policy's deletion fails, so the role stays to be seen as the deny left it.
    failEveryCall(h.aws, 'DeleteRolePolicy', h.deps.roles, 'deleteRole');
    const sessionPolicy = h.aws.roles.get(ROLE_NAME)?.inlinePolicies.get('jit-session-access');

    // Act
    await revokeAtExpiry();

    // Assess
    const role = h.aws.roles.get(ROLE_NAME);
    expect(role?.attachedPolicyArns).toEqual([settings.revokedPolicyArn]);
    expect(role?.inlinePolicies.get('jit-session-access')).toEqual(sessionPolicy);
    expect(h.aws.mutatingCalls.filter((c) => c.command === 'PutRolePolicy')).toEqual([]);
  });

  it('touches nothing of a customer role that has the grant role name (grant id "readonly"), nor its sessions', async () => {
    // Prepare: a customer's own /jit-access/jit-readonly, with no jit-access tag and no boundary, and a live session.
    h.aws.seedRole('jit-readonly', '/jit-access/').inlinePolicies.set('read-only', {});
    h.aws.startSession('session-of-customer-role', 'jit-readonly', BILLING_1);
    h.aws.clearCallLog();

    // Act
    h.clock.set(EXPIRES_AT);
    await h.handlers.revoke({ grantId: 'readonly', reason: 'expiry' });

    // Assess
    expect(h.aws.roles.get('jit-readonly')?.inlinePolicies.get('read-only')).toEqual({});
    expect(h.aws.roles.get('jit-readonly')?.attachedPolicyArns).toEqual([]);
    expect(h.aws.sessions.find((s) => s.sessionId === 'session-of-customer-role')?.status).toBe('Active');
    // Only the stack's own schedule group is looked into for a schedule of that name; IAM and SSM are not touched.
    expect(h.aws.mutatingCalls.map((c) => c.command)).toEqual(['DeleteSchedule']);
  });
});

describe('revoke acts only at the expiry', () => {
  it('refuses a call two minutes before the expiry with NOT_EXPIRED, and changes nothing', async () => {
    // Prepare
    h.clock.set('2030-03-01T09:58:00.000Z');
    const writesBefore = h.ledger.writes.length;

    // Act
    const error = await rejectionOf(h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.ValidationError', field: 'grantId', code: 'NOT_EXPIRED' });
    expect(error.message).toBe(
      `grantId: grant ${GRANT_ID} runs until ${EXPIRES_AT}: the expiry schedule ends it then (people revoke through the API)`,
    );
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toHaveLength(writesBefore);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it("accepts a call within Scheduler's minute of precision before the expiry", async () => {
    // Prepare
    h.clock.set('2030-03-01T09:59:00.000Z');

    // Act
    const result = await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });

    // Assess
    expect(result.status).toBe('REVOKED');
  });

  it('accepts a late call, after the expiry', async () => {
    // Prepare
    h.clock.set('2030-03-01T10:07:00.000Z');

    // Act
    const result = await h.handlers.revoke({ grantId: GRANT_ID });

    // Assess
    expect(result.status).toBe('REVOKED');
  });

  it.each([
    ['kill-switch', { grantId: GRANT_ID, reason: 'kill-switch' }, 'reason'],
    ['vendor-disabled', { grantId: GRANT_ID, reason: 'vendor-disabled' }, 'reason'],
    ['an actor', { grantId: GRANT_ID, reason: 'expiry', actor: 'oncall' }, 'event'],
  ])('refuses an event with %s, even after the expiry, and changes nothing', async (_what, event, field) => {
    // Prepare
    h.clock.set(EXPIRES_AT);
    const writesBefore = h.ledger.writes.length;

    // Act
    const revoking = h.handlers.revoke(event);

    // Assess
    await expect(revoking).rejects.toMatchObject({ name: 'jit.ValidationError', code: 'INVALID_EVENT', field });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toHaveLength(writesBefore);
  });
});

describe('revoke when a step of its own bookkeeping fails', () => {
  const ledgerOutage = () => Object.assign(new Error('ledger unavailable'), { name: 'InternalServerError' });
  const ROLE_CALLS_AFTER_DENY = [
    `DeleteRolePolicy ${ROLE_NAME}/jit-session-access`,
    `DetachRolePolicy ${ROLE_NAME}/${settings.revokedPolicyArn}`,
    `DeleteRole ${ROLE_NAME}`,
  ];
  const callsMade = () => h.aws.mutatingCalls.map((c) => `${c.command} ${c.target}`);

  it('changes nothing for a denied grant, and answers no residue although it never had a residue check', async () => {
    // Prepare
    const deniedId = 'grant-revoke-0004';
    await seedPending(h, deniedId);
    await decide(h.deps, deniedId, ALICE, 'deny', 'not today');
    h.aws.clearCallLog();
    const writesBefore = h.ledger.writes.length;

    // Act
    const result = await teardownGrant(h.deps, deniedId, 'kill-switch', 'oncall');

    // Assess
    expect(result).toEqual({
      grantId: deniedId,
      status: 'DENIED',
      changed: false,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
    expect(h.ledger.writes).toHaveLength(writesBefore);
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('records a forced teardown of a grant already revoked as a history entry, without changing its status', async () => {
    // Prepare
    await revokeAtExpiry();
    h.aws.clearCallLog();
    const historyBefore = (await h.ledger.getGrant(GRANT_ID))?.history.length ?? 0;

    // Act
    const result = await teardownGrant(h.deps, GRANT_ID, 'expiry', 'sweeper', { force: true });

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(result).toEqual({
      grantId: GRANT_ID,
      status: 'REVOKED',
      changed: true,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
    expect(grant?.status).toBe('REVOKED');
    expect(grant?.history.slice(historyBefore)).toEqual([
      { at: EXPIRES_AT, actor: 'sweeper', event: 'teardown after the grant ended (expiry)' },
    ]);
    // Only what tolerates "already gone" runs again; no notification for a grant that had already ended.
    expect(callsMade()).toEqual(['SendCommand lock acme-support', `DeleteSchedule ${ROLE_NAME}`]);
    expect(h.aws.published).toEqual([]);
  });

  it('lists the sessions of a role it could not read as residue, without ending them or denying the role', async () => {
    // Prepare
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);
    h.aws.failOn('GetRole');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const residue = { ...NO_RESIDUE, sessions: ['session-of-grant'] };
    expect(result).toEqual({ grantId: GRANT_ID, status: 'REVOKING', changed: true, residue, sharedRulesKept: [] });
    expect(h.aws.sessions.map((s) => [s.sessionId, s.status])).toEqual([['session-of-grant', 'Active']]);
    expect(callsMade().filter((c) => c.startsWith('AttachRolePolicy') || c.startsWith('TerminateSession'))).toEqual([]);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKING');
    expect(grant?.residueCheck?.residue).toEqual(residue);
    expect(grant?.history.at(-1)).toEqual({
      at: EXPIRES_AT,
      actor: 'expiry-schedule',
      event: 'revoke incomplete (expiry); confirmed after 2 checks over 1 s',
      detail: JSON.stringify(residue),
    });
  });

  it('reports the lock of an instance SSM does not manage as unchecked when the instances cannot be read', async () => {
    // Prepare
    h.aws.unmanaged.add(BILLING_1);
    h.aws.failOn('DescribeInstances');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const residue = { ...NO_RESIDUE, osAccounts: [`lock of ${BILLING_1}: could not be checked`] };
    expect(result).toEqual({ grantId: GRANT_ID, status: 'REVOKING', changed: true, residue, sharedRulesKept: [] });
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKING');
    expect(grant?.history.at(-1)).toEqual({
      at: EXPIRES_AT,
      actor: 'expiry-schedule',
      event: 'revoke incomplete (expiry)',
      detail: JSON.stringify(residue),
    });
    // Everything else was still removed.
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.roles.size + h.aws.schedules.size).toBe(0);
  });

  it('starts the revoke step by step when the one-write start fails, and still ends REVOKED', async () => {
    // Prepare
    const startRevoke = jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    const writesBefore = h.ledger.writes.length;

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(startRevoke).toHaveBeenCalledTimes(1);
    expect(h.ledger.writes.slice(writesBefore)).toEqual(['transition', 'releaseOsUser', 'releaseRules', 'transition']);
    expect(result).toEqual({
      grantId: GRANT_ID,
      status: 'REVOKED',
      changed: true,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
    expect((await h.ledger.getGrant(GRANT_ID))?.history.slice(-2)).toEqual([
      { at: EXPIRES_AT, actor: 'expiry-schedule', event: 'revoke started (expiry)' },
      { at: EXPIRES_AT, actor: 'expiry-schedule', event: 'revoked (expiry); residue: none' },
    ]);
    expect(callsMade()).toEqual([
      `AttachRolePolicy ${ROLE_NAME}/${settings.revokedPolicyArn}`,
      'SendCommand lock acme-support',
      `RevokeSecurityGroupIngress ${active.securityGroupRuleIds.join(',')}`,
      `DeleteSchedule ${ROLE_NAME}`,
      ...ROLE_CALLS_AFTER_DENY,
      `Publish jit-access: grant ${GRANT_ID} revoked`,
    ]);
  });

  it('step by step, lets go of no OS user and sends no lock for a grant recorded without one', async () => {
    // Prepare: a grant whose plan names no OS user to run as, as one recorded before OS users were managed.
    const grant = await h.ledger.getGrant(GRANT_ID);
    if (!grant) throw new Error(`no grant ${GRANT_ID}`);
    const { [RUN_AS_TAG]: _runAs, ...tags } = grant.plan.role.tags;
    const plan = { ...grant.plan, role: { ...grant.plan.role, tags } };
    const entry = { at: EXPIRES_AT, actor: 'someone-with-table-access', event: 'edited the record' };
    await h.ledger.appendHistory(GRANT_ID, entry, { plan } as GrantUpdate);
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    const writesBefore = h.ledger.writes.length;

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(h.ledger.writes.slice(writesBefore)).toEqual(['transition', 'releaseRules', 'transition']);
    expect(h.aws.countOf('SendCommand')).toBe(0);
    expect(result).toEqual({
      grantId: GRANT_ID,
      status: 'REVOKED',
      changed: true,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
  });

  it('sends no lock and reports it unchecked when the OS user cannot be let go of', async () => {
    // Prepare
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseOsUser').mockRejectedValueOnce(ledgerOutage());

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const residue = {
      ...NO_RESIDUE,
      osAccounts: [`lock of acme-support on billing-db|${BILLING_1}: could not be checked`],
    };
    expect(result).toEqual({ grantId: GRANT_ID, status: 'REVOKING', changed: true, residue, sharedRulesKept: [] });
    expect(h.aws.countOf('SendCommand')).toBe(0);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKING');
    expect(grant?.history.at(-1)).toEqual({
      at: EXPIRES_AT,
      actor: 'expiry-schedule',
      event: 'revoke incomplete (expiry)',
      detail: JSON.stringify(residue),
    });
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
  });

  it('lets go of the rules one by one when releasing them at once fails, and closes them', async () => {
    // Prepare
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseRules').mockRejectedValueOnce(ledgerOutage());
    const writesBefore = h.ledger.writes.length;

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(h.ledger.writes.slice(writesBefore)).toEqual([
      'transition',
      'releaseOsUser',
      'releaseRule',
      'forgetRuleIfUnheld',
      'releaseRule',
      'forgetRuleIfUnheld',
      'transition',
    ]);
    expect(result).toEqual({
      grantId: GRANT_ID,
      status: 'REVOKED',
      changed: true,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
    expect(callsMade()).toContain(`RevokeSecurityGroupIngress ${active.securityGroupRuleIds.join(',')}`);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(await h.ledger.getRule(ingressRuleKey(POSTGRES_FROM_ACME))).toBeUndefined();
  });

  it('one by one, keeps the rules another active grant still holds, naming that grant', async () => {
    // Prepare
    h.clock.advanceMinutes(30);
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    jest.spyOn(h.ledger, 'releaseRules').mockRejectedValueOnce(ledgerOutage());

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result.status).toBe('REVOKED');
    expect(result.sharedRulesKept).toHaveLength(2);
    expect(result.sharedRulesKept).toContain(ingressRuleKey(POSTGRES_FROM_ACME));
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual(active.securityGroupRuleIds);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.description)).toEqual(Array(2).fill(`jit-access grant ${OTHER_ID}`));
    expect(h.aws.countOf('RevokeSecurityGroupIngress')).toBe(0);
    expect((await h.ledger.getRule(ingressRuleKey(POSTGRES_FROM_ACME)))?.holders).toEqual([OTHER_ID]);
  });

  it('one by one, keeps a rule acquired again between its release and its deletion', async () => {
    // Prepare
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseRules').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'forgetRuleIfUnheld').mockResolvedValueOnce(false);
    const [firstKey] = (await h.ledger.getGrant(GRANT_ID))?.plan.ingressRules.map(ingressRuleKey) ?? [];

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result.sharedRulesKept).toEqual([firstKey]);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual([active.securityGroupRuleIds[0]]);
  });
});
