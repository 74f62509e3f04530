/**
 * The teardown's steps one at a time: what a failed step logs (by its name, so an operator can tell which call to look
 * at) while the others still run, which role it will touch, when a grant counts as finished, how a lock SSM cannot
 * deliver ends, what the residue re-check reads again, and how long the teardown says it took.
 */
import { metrics } from '../../lambdas/shared/powertools';
import type { GrantUpdate } from '../../lambdas/adapters/ledger';
import { GRANT_TAG, ingressRuleKey, MANAGED_TAG, RUN_AS_TAG, scheduleNameFor } from '../../lambdas/domain/planner';
import type { GrantRecord, Residue } from '../../lambdas/domain/types';
import { anyLive, isFinished, isGrantRole, NO_RESIDUE, teardownGrant } from '../../lambdas/lifecycle/teardown';
import {
  ACCOUNT_ID,
  BILLING_1,
  BILLING_2,
  BILLING_SG,
  createHarness,
  requestInput,
  seedActive,
  seedPending,
  testSettings,
  type Harness,
} from '../helpers/handler-deps';
import { capturedInfoLogs, capturedLogs } from '../helpers/logged-lines';

const GRANT_ID = 'grant-steps-0001';
const OTHER_ID = 'grant-steps-0002';
const ROLE_NAME = `jit-${GRANT_ID}`;
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
const settings = testSettings();

/** What `attempt` logs for a step that failed; the steps with their own handling log the shorter message. */
const STEP_FAILED = 'revoke step failed; continuing, the residue check records what is left';
const OWN_STEP_FAILED = 'revoke step failed; continuing';
const LEFT_RESIDUE = 'revoke left residue; the sweeper will retry';

let h: Harness;
beforeEach(async () => {
  h = createHarness();
  await seedActive(h, GRANT_ID);
  h.aws.clearCallLog();
});
afterEach(() => {
  jest.restoreAllMocks();
  h.restore();
});

const revokeAtExpiry = () => {
  h.clock.set(EXPIRES_AT);
  return h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });
};

describe('a failed step of the teardown is logged by its name, and the steps after it still run', () => {
  const errors = capturedLogs('error');

  it.each([
    { fails: 'AttachRolePolicy', steps: ['deny everything to the role'] },
    { fails: 'DeleteSchedule', steps: ['delete expiry schedule'] },
    { fails: 'DeleteRole', steps: ['delete role'] },
    { fails: 'DescribeSessions', steps: ['terminate live sessions'] },
    { fails: 'RevokeSecurityGroupIngress', steps: ['close ingress rules'] },
  ])('$fails failing once logs $steps and the revoke still ends clean', async ({ fails, steps }) => {
    // Prepare
    h.aws.failOn(fails);

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(errors.pick('message', 'step')).toEqual(steps.map((step) => ({ message: STEP_FAILED, step })));
    expect(result).toMatchObject({ status: 'REVOKED', residue: NO_RESIDUE });
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('names the session it could not end, and ends it on the pass after the role is gone', async () => {
    // Prepare
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);
    h.aws.failOn('TerminateSession');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(errors.pick('message', 'step')).toEqual([
      { message: STEP_FAILED, step: 'terminate session session-of-grant' },
    ]);
    expect(h.aws.countOf('TerminateSession')).toBe(2);
    expect(h.aws.sessions.map((s) => s.status)).toEqual(['Terminated']);
    expect(result).toMatchObject({ status: 'REVOKED', residue: NO_RESIDUE });
  });

  it('names the session that would not end at all, and leaves it as residue', async () => {
    // Prepare
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);
    h.aws.failWhen('TerminateSession');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const residue = { ...NO_RESIDUE, sessions: ['session-of-grant'] };
    expect(errors.pick('message', 'step')).toEqual([
      { message: STEP_FAILED, step: 'terminate session session-of-grant' },
      { message: STEP_FAILED, step: 'terminate session session-of-grant' },
      { message: LEFT_RESIDUE, step: undefined },
    ]);
    expect(result).toMatchObject({ status: 'REVOKING', residue });
  });

  it('names the lock it could not send, and leaves it as residue', async () => {
    // Prepare
    h.aws.failOn('SendCommand');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const residue = { ...NO_RESIDUE, osAccounts: [`lock of acme-support on ${BILLING_1}: could not be checked`] };
    expect(errors.pick('message', 'step')).toEqual([
      { message: OWN_STEP_FAILED, step: 'lock the vendor OS user' },
      { message: LEFT_RESIDUE, step: undefined },
    ]);
    expect(result).toMatchObject({ status: 'REVOKING', residue });
  });

  it('names the rewrite of a shared rule’s description, and still keeps the rule for the grant that holds it', async () => {
    // Prepare
    h.clock.advanceMinutes(30);
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    h.aws.failOn('UpdateSecurityGroupRuleDescriptionsIngress');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(errors.pick('message', 'step')).toEqual([
      { message: STEP_FAILED, step: 'name the grants that still hold the shared rules' },
    ]);
    expect(result.status).toBe('REVOKED');
    expect(result.sharedRulesKept).toHaveLength(2);
    expect(h.aws.rulesIn(BILLING_SG)).toHaveLength(2);
  });

  it('names the listing of the rules when a rule could not be closed by its id, and reports them unchecked', async () => {
    // Prepare: the close by id fails, then so does the listing that would have found what is left.
    h.aws.failOn('RevokeSecurityGroupIngress');
    h.aws.failWhen('DescribeSecurityGroupRules');
    const groups = [...new Set([BILLING_SG, ...Object.values(settings.securityGroups)])];

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const residue = { ...NO_RESIDUE, securityGroupRules: [`rules of ${groups.join(', ')}: could not be checked`] };
    expect(errors.pick('message', 'step')).toEqual([
      { message: STEP_FAILED, step: 'close ingress rules' },
      { message: OWN_STEP_FAILED, step: 'list ingress rules' },
      { message: LEFT_RESIDUE, step: undefined },
    ]);
    expect(result).toMatchObject({ status: 'REVOKING', residue });
  });

  it('says which role it leaves alone, by its ARN, when the grant role name is not a jit-access role', async () => {
    // Prepare: the grant's role replaced by one jit-access did not make (no managed tag).
    h.aws.roles.delete(ROLE_NAME);
    const customer = h.aws.seedRole(ROLE_NAME, '/');

    // Act
    await revokeAtExpiry();

    // Assess
    expect(errors.pick('message', 'roleArn')).toEqual([
      { message: 'a role of the grant role name is not jit-access-made: left alone', roleArn: customer.arn },
    ]);
    expect(h.aws.roles.has(ROLE_NAME)).toBe(true);
  });
});

describe('isGrantRole: only the role jit-access made for this grant is touched', () => {
  const ours = {
    roleName: ROLE_NAME,
    arn: `arn:aws:iam::${ACCOUNT_ID}:role${settings.config.iamPath}${ROLE_NAME}`,
    path: settings.config.iamPath,
    permissionsBoundaryArn: settings.permissionsBoundaryArn,
    tags: { [MANAGED_TAG]: 'true', [GRANT_TAG]: GRANT_ID },
  };

  it('accepts the role with the managed and grant tags, the stack’s boundary and the stack’s path', () => {
    expect(isGrantRole(ours, GRANT_ID, settings)).toBe(true);
  });

  it.each([
    ['without the managed tag', { ...ours, tags: { [GRANT_TAG]: GRANT_ID } }],
    ['with the managed tag not "true"', { ...ours, tags: { [MANAGED_TAG]: 'yes', [GRANT_TAG]: GRANT_ID } }],
    ['tagged with another grant', { ...ours, tags: { [MANAGED_TAG]: 'true', [GRANT_TAG]: OTHER_ID } }],
    ['without the grant tag', { ...ours, tags: { [MANAGED_TAG]: 'true' } }],
    ['with another boundary', { ...ours, permissionsBoundaryArn: `${settings.permissionsBoundaryArn}-other` }],
    ['without a boundary', { ...ours, permissionsBoundaryArn: undefined }],
    ['on another path', { ...ours, path: '/' }],
  ])('refuses a role %s', (_case, role) => {
    expect(isGrantRole(role, GRANT_ID, settings)).toBe(false);
  });
});

describe('isFinished: a revoke has nothing left to do', () => {
  let grant: GrantRecord;
  beforeEach(async () => {
    const read = await h.ledger.getGrant(GRANT_ID);
    if (!read) throw new Error(`no grant ${GRANT_ID}`);
    grant = read;
  });
  const checked = (residue: Residue) => ({ checkedAt: EXPIRES_AT, residue });

  it.each([
    ['REVOKED', 'REVOKED', undefined, true],
    ['DENIED', 'DENIED', undefined, true],
    ['FAILED with a clean residue check', 'FAILED', checked(NO_RESIDUE), true],
    ['FAILED with residue', 'FAILED', checked({ ...NO_RESIDUE, roles: ['arn:aws:iam::111122223333:role/x'] }), false],
    ['FAILED never checked', 'FAILED', undefined, false],
    ['ACTIVE', 'ACTIVE', undefined, false],
    ['REVOKING with a clean residue check', 'REVOKING', checked(NO_RESIDUE), false],
  ] as const)('%s', (_label, status, residueCheck, finished) => {
    const { residueCheck: _none, ...rest } = grant;
    const record: GrantRecord = { ...rest, status, ...(residueCheck ? { residueCheck } : {}) };
    expect(isFinished(record)).toBe(finished);
  });
});

describe('a lock SSM would not send', () => {
  const setState = (instanceId: string, state: string) => {
    const i = h.aws.instances.findIndex((instance) => instance.instanceId === instanceId);
    const instance = h.aws.instances[i];
    if (!instance) throw new Error(`no instance ${instanceId}`);
    h.aws.instances.splice(i, 1, { ...instance, state });
  };

  it('to an instance that was terminated is settled as gone: nothing is left to lock', async () => {
    // Prepare
    h.aws.unmanaged.add(BILLING_1);
    setState(BILLING_1, 'terminated');
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED', residue: NO_RESIDUE });
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.osAccount?.[BILLING_1]).toMatchObject({ action: 'lock', status: 'gone' });
    expect(addMetric).not.toHaveBeenCalledWith('OsAccountLocksFailed', expect.anything(), expect.anything());
  });

  it('to an instance that still runs is residue, recorded and counted, for the sweeper', async () => {
    // Prepare
    h.aws.unmanaged.add(BILLING_1);
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    const residue = { ...NO_RESIDUE, osAccounts: [`${BILLING_1}: lock unreachable (command not sent)`] };
    expect(result).toMatchObject({ status: 'REVOKING', residue });
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.osAccount?.[BILLING_1]).toMatchObject({ action: 'lock', status: 'unreachable' });
    expect(addMetric).toHaveBeenCalledWith('OsAccountLocksFailed', 'Count', 1);
  });
});

describe('the residue re-check reads again only what was left', () => {
  it('re-reads only the schedule when only the schedule was left', async () => {
    // Prepare
    h.aws.failOn('DeleteSchedule');

    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.aws.countOf('DeleteSchedule')).toBe(2);
    expect(h.aws.countOf('GetRole')).toBe(1);
    expect(h.aws.countOf('DescribeSecurityGroupRules')).toBe(0);
  });

  it('re-reads only the role when only the role was left', async () => {
    // Prepare
    h.aws.failOn('DeleteRole');

    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.aws.countOf('DeleteRole')).toBe(2);
    expect(h.aws.countOf('DeleteSchedule')).toBe(1);
    expect(h.aws.countOf('GetSchedule')).toBe(0);
    expect(h.aws.countOf('DescribeSecurityGroupRules')).toBe(0);
  });

  it('does not delete again a role that is no longer this grant’s by the re-check, and reports it', async () => {
    // Prepare: the delete fails, and from then on the role carries another grant's tag.
    h.aws.failOn('DeleteRole');
    const getRole = h.deps.roles.getRole.bind(h.deps.roles);
    let reads = 0;
    jest.spyOn(h.deps.roles, 'getRole').mockImplementation(async (name) => {
      reads += 1;
      const role = await getRole(name);
      return reads === 1 || role === undefined ? role : { ...role, tags: { ...role.tags, [GRANT_TAG]: OTHER_ID } };
    });

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(h.aws.countOf('DeleteRole')).toBe(1);
    expect(result.status).toBe('REVOKING');
    expect(result.residue.roles).toEqual([`arn:aws:iam::${ACCOUNT_ID}:role${settings.config.iamPath}${ROLE_NAME}`]);
  });
});

describe('how long the teardown took', () => {
  const infos = capturedInfoLogs();

  it('has a lag of 0 s for a revoke at the very second of the expiry', async () => {
    // Act
    await revokeAtExpiry();

    // Assess
    const [line] = infos.pick('message', 'secondsAfterExpiry').filter((l) => l.secondsAfterExpiry !== undefined);
    expect(line?.secondsAfterExpiry).toBe(0);
  });

  it('counts the waits of the residue re-check in the teardown’s seconds', async () => {
    // Prepare: each wait moves the clock; IAM refuses the first delete of the role.
    jest.spyOn(h.deps, 'sleep').mockImplementation(async (ms) => {
      h.clock.set(new Date(h.clock.now().getTime() + ms).toISOString());
    });
    h.aws.failOn('DeleteRole');

    // Act
    await revokeAtExpiry();

    // Assess
    const finished = infos.pick('teardownSeconds', 'secondsAfterExpiry').filter((l) => l.teardownSeconds !== undefined);
    expect(finished).toEqual([{ teardownSeconds: 1, secondsAfterExpiry: 1 }]);
  });
});

describe('the ends of a teardown that the resource steps do not decide', () => {
  const PENDING_ID = 'grant-steps-0003';

  it('cancels a PENDING grant with its reason, a clean residue check and a history entry saying so', async () => {
    // Prepare
    await seedPending(h, PENDING_ID);
    h.clock.set(EXPIRES_AT);

    // Act
    const result = await teardownGrant(h.deps, PENDING_ID, 'kill-switch', 'oncall');

    // Assess
    expect(result).toEqual({
      grantId: PENDING_ID,
      status: 'REVOKED',
      changed: true,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
    const grant = await h.ledger.getGrant(PENDING_ID);
    expect(grant?.revokeReason).toBe('kill-switch');
    expect(grant?.residueCheck).toEqual({ checkedAt: EXPIRES_AT, residue: NO_RESIDUE });
    expect(grant?.history.at(-1)).toEqual({ at: EXPIRES_AT, actor: 'oncall', event: 'cancelled (kill-switch)' });
  });

  it('revokes a forced grant as it is now when a decision ended it while it was being cancelled', async () => {
    // Prepare: the cancel loses the race with a deny, which ends the grant first.
    await seedPending(h, PENDING_ID);
    const transition = h.ledger.transition.bind(h.ledger);
    jest.spyOn(h.ledger, 'transition').mockImplementationOnce(async (grantId, _from, _to, entry) => {
      await transition(grantId, ['PENDING'], 'DENIED', { ...entry, event: 'denied meanwhile' });
      return false;
    });

    // Act
    const forced = await teardownGrant(h.deps, PENDING_ID, 'kill-switch', 'oncall', { force: true });

    // Assess: with force, the resource steps ran for the grant as it is now (DENIED), and said so in its history.
    expect(forced).toMatchObject({ grantId: PENDING_ID, status: 'DENIED', changed: true, residue: NO_RESIDUE });
    expect((await h.ledger.getGrant(PENDING_ID))?.history.at(-1)?.event).toBe(
      'teardown after the grant ended (kill-switch)',
    );
  });

  it('without force, leaves a grant a decision ended while it was being cancelled as it is', async () => {
    // Prepare
    await seedPending(h, PENDING_ID);
    const transition = h.ledger.transition.bind(h.ledger);
    jest.spyOn(h.ledger, 'transition').mockImplementationOnce(async (grantId, _from, _to, entry) => {
      await transition(grantId, ['PENDING'], 'DENIED', { ...entry, event: 'denied meanwhile' });
      return false;
    });

    // Act
    const result = await teardownGrant(h.deps, PENDING_ID, 'kill-switch', 'oncall');

    // Assess
    expect(result).toMatchObject({ status: 'DENIED', changed: false });
  });

  it('answers UNKNOWN for a grant the ledger does not know, after removing whatever carries its name', async () => {
    // Prepare: a schedule of a grant id the ledger has no record of.
    const unknownId = 'grant-steps-0404';
    h.aws.seedSchedule(scheduleNameFor(unknownId), settings.scheduleGroupName);

    // Act
    const result = await teardownGrant(h.deps, unknownId, 'expiry', 'sweeper', { force: true });

    // Assess
    expect(result).toEqual({
      grantId: unknownId,
      status: 'UNKNOWN',
      changed: true,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
    // Only the active grant's schedule is left; no notification for a grant nobody knows.
    expect([...h.aws.schedules.keys()]).toEqual([`${settings.scheduleGroupName}/${scheduleNameFor(GRANT_ID)}`]);
    expect(h.aws.published).toEqual([]);
  });

  it('tells the subscribers a clean revoke in full: grant, vendor, reason, nothing remains', async () => {
    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.aws.published).toEqual([
      {
        subject: `jit-access: grant ${GRANT_ID} revoked`,
        message: `Grant ${GRANT_ID} for vendor acme was revoked (expiry). Nothing remains.`,
      },
    ]);
  });

  it('records the residue check of a grant that has no OS user to lock', async () => {
    // Prepare: a grant whose plan names no OS user to run as, as one recorded before OS users were managed.
    const grant = await h.ledger.getGrant(GRANT_ID);
    if (!grant) throw new Error(`no grant ${GRANT_ID}`);
    const { [RUN_AS_TAG]: _runAs, ...tags } = grant.plan.role.tags;
    const plan = { ...grant.plan, role: { ...grant.plan.role, tags } };
    await h.ledger.appendHistory(GRANT_ID, { at: EXPIRES_AT, actor: 'test', event: 'edited' }, { plan } as GrantUpdate);

    // Act
    await revokeAtExpiry();

    // Assess
    const revoked = await h.ledger.getGrant(GRANT_ID);
    expect(revoked?.residueCheck).toEqual({ checkedAt: EXPIRES_AT, residue: NO_RESIDUE });
    expect(h.aws.countOf('SendCommand')).toBe(0);
  });
});

describe('the bookkeeping steps that have their own handling log what they did instead', () => {
  const errors = capturedLogs('error');
  const warnings = capturedLogs('warn');
  const ledgerOutage = () => Object.assign(new Error('ledger unavailable'), { name: 'InternalServerError' });

  it('names the read of the role, then lists (not ends) the sessions of a role it could not read', async () => {
    // Prepare
    h.aws.failOn('GetRole');
    h.aws.failOn('DescribeSessions');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(errors.pick('message', 'step')).toEqual([
      { message: OWN_STEP_FAILED, step: 'read the role' },
      { message: STEP_FAILED, step: 'list the sessions of a role that could not be read' },
      { message: LEFT_RESIDUE, step: undefined },
    ]);
    expect(result.residue.sessions).toEqual([`${ROLE_NAME} sessions: could not be checked`]);
  });

  it('names the second pass over the sessions when its listing fails, and reports them unchecked', async () => {
    // Prepare: the first listing works, the one after the role is gone does not.
    h.aws.failOn('DescribeSessions', { nth: 2 });

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(errors.pick('message', 'step')).toEqual([
      { message: STEP_FAILED, step: 'terminate sessions started meanwhile' },
      { message: LEFT_RESIDUE, step: undefined },
    ]);
    expect(result).toMatchObject({
      status: 'REVOKING',
      residue: { ...NO_RESIDUE, sessions: [`${ROLE_NAME} sessions: could not be checked`] },
    });
  });

  it('names the read of the instances a lock could not reach', async () => {
    // Prepare
    h.aws.unmanaged.add(BILLING_1);
    h.aws.failOn('DescribeInstances');

    // Act
    await revokeAtExpiry();

    // Assess
    expect(errors.pick('message', 'step')).toEqual([
      { message: OWN_STEP_FAILED, step: 'read unreachable instances' },
      { message: LEFT_RESIDUE, step: undefined },
    ]);
  });

  it('warns when the one-write start fails, and names the release of the OS user when that fails too', async () => {
    // Prepare
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseOsUser').mockRejectedValueOnce(ledgerOutage());

    // Act
    await revokeAtExpiry();

    // Assess
    expect(warnings.pick('message')).toEqual([
      { message: 'starting the revoke in one write failed; doing it step by step' },
    ]);
    expect(errors.pick('message', 'step')).toEqual([
      { message: OWN_STEP_FAILED, step: 'let go of the OS user' },
      { message: LEFT_RESIDUE, step: undefined },
    ]);
  });

  it('warns when the rules cannot be let go of at once, and lets them go one by one', async () => {
    // Prepare
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseRules').mockRejectedValueOnce(ledgerOutage());

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(warnings.pick('message')).toEqual([
      { message: 'starting the revoke in one write failed; doing it step by step' },
      { message: 'releasing the rules at once failed; releasing them one by one' },
    ]);
    expect(result.status).toBe('REVOKED');
  });

  it('one by one, asks the ledger nothing more about a rule another grant still holds', async () => {
    // Prepare
    h.clock.advanceMinutes(30);
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    jest.spyOn(h.ledger, 'releaseRules').mockRejectedValueOnce(ledgerOutage());
    const getRule = jest.spyOn(h.ledger, 'getRule');
    const writesBefore = h.ledger.writes.length;

    // Act
    await revokeAtExpiry();

    // Assess: each rule is released and kept, never forgotten or read again.
    expect(h.ledger.writes.slice(writesBefore).filter((w) => w.endsWith('Rule') || w.endsWith('Unheld'))).toEqual([
      'releaseRule',
      'releaseRule',
    ]);
    expect(getRule).not.toHaveBeenCalled();
  });

  it('one by one, names the grant that acquired a rule between its release and its deletion', async () => {
    // Prepare: when the revoke would forget the rule, another grant has just acquired it.
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseRules').mockRejectedValueOnce(ledgerOutage());
    const grant = await h.ledger.getGrant(GRANT_ID);
    const [rule] = grant?.plan.ingressRules ?? [];
    if (!rule) throw new Error('the grant plans no rule');
    const forget = h.ledger.forgetRuleIfUnheld.bind(h.ledger);
    jest.spyOn(h.ledger, 'forgetRuleIfUnheld').mockImplementationOnce(async (key) => {
      await h.ledger.acquireRule(rule, key, OTHER_ID);
      return forget(key);
    });

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result.sharedRulesKept).toEqual([ingressRuleKey(rule)]);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.description)).toEqual([`jit-access grant ${OTHER_ID}`]);
  });

  it('one by one, closes a rule the ledger no longer holds for anyone by listing the groups', async () => {
    // Prepare: the ledger has already forgotten the first rule (a partial earlier release), so it has no id for it.
    jest.spyOn(h.ledger, 'startRevoke').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseRules').mockRejectedValueOnce(ledgerOutage());
    jest.spyOn(h.ledger, 'releaseRule').mockResolvedValueOnce(undefined);

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED', residue: NO_RESIDUE });
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.countOf('DescribeSecurityGroupRules')).toBeGreaterThan(0);
  });
});

describe('the residue re-check when a read fails', () => {
  it.each([
    ['GetRole', 'roles', `${ROLE_NAME}: could not be checked`],
    ['GetSchedule', 'schedules', `${ROLE_NAME}: could not be checked`],
  ] as const)('reports a %s that failed in the re-check as unchecked', async (read, kind, line) => {
    // Prepare: the delete fails every time, and so does the re-check's read.
    h.aws.failWhen(kind === 'roles' ? 'DeleteRole' : 'DeleteSchedule');
    h.aws.failWhen(read, () => h.aws.countOf(read) > 1);

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result.status).toBe('REVOKING');
    expect(result.residue[kind]).toEqual([line]);
  });

  it('reports the policies of a role still there as unchecked when they cannot be listed', async () => {
    // Prepare
    h.aws.failWhen('DeleteRole');
    h.aws.failWhen('ListRolePolicies');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result.residue.policies).toEqual([`${ROLE_NAME}/could not be checked`]);
  });
});

describe('anyLive: whether a holder may still use a shared rule', () => {
  it('is true for an ACTIVE grant before its expiry, false at its expiry', async () => {
    expect(await anyLive(h.deps, [GRANT_ID])).toBe(true);
    h.clock.set(EXPIRES_AT);
    expect(await anyLive(h.deps, [GRANT_ID])).toBe(false);
  });

  it('is true for a GRANTING grant, which has no expiry yet', async () => {
    // Prepare
    const grant = await h.ledger.getGrant(GRANT_ID);
    if (!grant) throw new Error(`no grant ${GRANT_ID}`);
    const { expiresAt: _expiresAt, ...granting } = grant;
    jest.spyOn(h.ledger, 'getGrant').mockResolvedValueOnce({ ...granting, status: 'GRANTING' });

    // Assess
    expect(await anyLive(h.deps, [GRANT_ID])).toBe(true);
  });

  it('is false for a grant being revoked, an unknown one and none', async () => {
    expect(await anyLive(h.deps, [])).toBe(false);
    expect(await anyLive(h.deps, ['grant-steps-0404'])).toBe(false);
    h.ledger.overwriteStatus(GRANT_ID, 'REVOKING');
    expect(await anyLive(h.deps, [GRANT_ID])).toBe(false);
  });
});
