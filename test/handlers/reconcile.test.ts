import { failEveryCall } from '../helpers/persistent-fault';
import {
  ALICE,
  BILLING_1,
  BOB,
  BILLING_2,
  BILLING_SG,
  callApi,
  createHarness,
  ERIN,
  requestInput,
  seedActive,
  seedExecution,
  seedGrantRole,
  seedApproved,
  seedPending,
  statusOf,
  T0,
  testSettings,
  type Harness,
} from '../helpers/handler-deps';
import { exampleConfig } from '../helpers/config-fixture';
import { capturedInfoLogs, capturedLogs } from '../helpers/logged-lines';
import { createSweeperHandler } from '../../lambdas/handlers/sweeper';
import { metrics } from '../../lambdas/shared/powertools';
import type { JitAccessConfig } from '../../lib/config/schema';
import { NO_RESIDUE } from '../../lambdas/lifecycle/teardown';

/**
 * The sweeper's reconciliation (lambdas/lifecycle/reconcile.ts) at its edges: the ten-minute margins, which grants it
 * asks the workflow about, what it passes on to the teardown, the holds and sessions it leaves to live grants, what it
 * logs and counts. test/handlers/sweeper.test.ts has the main paths.
 */

const GRANT_ID = 'grant-reconcile-0001';
const OTHER_ID = 'grant-reconcile-0002';
const ROLE_NAME = `jit-${GRANT_ID}`;
const SCHEDULE_GROUP = testSettings().scheduleGroupName;
const ACME_OS_USER = testSettings().config.vendors.find((vendor) => vendor.id === 'acme')?.osUser ?? '';
const TEN_MINUTES = 10;

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => {
  h.restore();
  jest.restoreAllMocks();
});

const sweep = () => h.handlers.sweeper();
/** The sweeper of a deployment whose cdk.json no longer lists acme (offboarded). */
const sweepWithout = (config: JitAccessConfig) =>
  createSweeperHandler(() => ({ ...h.deps, settings: { ...h.deps.settings, config } }))();
const withoutAcme = exampleConfig((raw) => {
  raw.vendors = raw.vendors.filter((vendor) => vendor.id !== 'acme');
});

/** An inbound rule jit-access opened (its tags) for `grantId`, that the ledger may not know. */
function seedManagedRule(grantId: string, fromPort = 22) {
  return h.aws.seedIngressRule({
    groupId: BILLING_SG,
    protocol: 'tcp',
    fromPort,
    toPort: fromPort,
    cidr: '192.0.2.0/25',
    description: `jit-access grant ${grantId}`,
    tags: { 'jit-access:grant-id': grantId, 'jit-access:managed': 'true' },
  });
}

/** GRANT_ID is revoked by erin while IAM refuses to delete its role: it stays REVOKING with the role in its residue. */
async function revokeLeavingTheRole(): Promise<void> {
  await seedActive(h, GRANT_ID);
  const refused = failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');
  await callApi(h, 'revoke', ERIN, { params: { grantId: GRANT_ID }, body: { reason: 'done' } });
  refused.mockRestore();
}

/** The values the sweeper published for one metric, in order. */
function published(spy: jest.SpyInstance, name: string): unknown[] {
  return spy.mock.calls.filter(([metric]) => metric === name).map(([, , value]) => value);
}

describe('sweeper: a revoke left unfinished, by how long and how it stands', () => {
  it('does not take over a revoke stuck for exactly ten minutes: only the role it left goes, as an orphan', async () => {
    // Prepare
    await revokeLeavingTheRole();
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKING');
    h.clock.advanceMinutes(TEN_MINUTES);

    // Act
    const report = await sweep();

    // Assess
    expect(report.stuckGrants).toEqual([]);
    expect(report.orphanedRoles).toEqual([ROLE_NAME]);
  });

  it('takes over a stale REVOKING grant that never recorded a residue check', async () => {
    // Prepare: the revoke crashed right after it marked the grant REVOKING.
    await seedActive(h, GRANT_ID);
    h.ledger.overwriteStatus(GRANT_ID, 'REVOKING');
    h.clock.advanceMinutes(TEN_MINUTES + 1);

    // Act
    const report = await sweep();

    // Assess
    expect(report.stuckGrants).toEqual([GRANT_ID]);
    expect(report.failures).toEqual([]);
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({ status: 'REVOKED', revokeReason: 'sweeper' });
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('leaves a stale FAILED grant whose residue check found nothing', async () => {
    // Prepare: the grant failed at its schedule; compensation removed everything and recorded a clean check.
    await seedApproved(h, GRANT_ID);
    h.aws.failOn('CreateSchedule', { errorName: 'ValidationException' });
    await h.handlers.grant({ grantId: GRANT_ID }).catch(() => undefined);
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({ status: 'FAILED', residueCheck: { residue: {} } });
    h.clock.advanceMinutes(TEN_MINUTES + 1);
    h.aws.clearCallLog();

    // Act
    const report = await sweep();

    // Assess
    expect(report.stuckGrants).toEqual([]);
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('finishes a stale FAILED grant whose residue check found something: the ledger saying FAILED does not stop it', async () => {
    // Prepare: a failed grant whose recorded check lists its role, still there.
    await seedApproved(h, GRANT_ID);
    h.aws.failOn('CreateSchedule', { errorName: 'ValidationException' });
    await h.handlers.grant({ grantId: GRANT_ID }).catch(() => undefined);
    const roleArn = seedGrantRole(h, GRANT_ID).arn;
    const residueCheck = { checkedAt: T0, residue: { ...NO_RESIDUE, roles: [roleArn] } };
    await h.ledger.appendHistory(GRANT_ID, { at: T0, actor: 'grant', event: 'residue found' }, { residueCheck });
    h.clock.advanceMinutes(TEN_MINUTES + 1);

    // Act
    const report = await sweep();

    // Assess
    expect(report.stuckGrants).toEqual([GRANT_ID]);
    expect(report.failures).toEqual([]);
    expect(h.aws.roles.has(ROLE_NAME)).toBe(false);
  });

  it("gives a stuck revoke's residue a short recheck (3.5 s in all), not the revoke's 15 s", async () => {
    // Prepare
    await revokeLeavingTheRole();
    h.clock.advanceMinutes(TEN_MINUTES + 1);
    const waits: number[] = [];
    jest.spyOn(h.deps, 'sleep').mockImplementation(async (ms) => {
      waits.push(ms);
    });
    failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');
    // Only the stuck revoke: the role it left is not listed, so no orphan teardown waits too.
    jest.spyOn(h.deps.roles, 'listRoles').mockResolvedValue([]);

    // Act
    const report = await sweep();

    // Assess
    expect(report.stuckGrants).toEqual([]);
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(3_500);
  });

  it('reports what a teardown left as a failure naming the grant and the residue, for the next run', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.clock.advanceMinutes(61);
    failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');

    // Act
    const report = await sweep();

    // Assess
    expect(report.expiredGrants).toEqual([]);
    const roleArn = `arn:aws:iam::111122223333:role/jit-access/${ROLE_NAME}`;
    expect(report.failures).toContain(
      `${GRANT_ID}: left for the next run: {"roles":["${roleArn}"],"policies":[],"securityGroupRules":[],"schedules":[],"sessions":[],"osAccounts":[]}`,
    );
  });

  it('revokes an expired grant with the reason "sweeper", passing on the record it read (no second read)', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.clock.advanceMinutes(61);
    const reads = jest.spyOn(h.ledger, 'getGrant');

    // Act
    const report = await sweep();

    // Assess
    expect(report.expiredGrants).toEqual([GRANT_ID]);
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({ status: 'REVOKED', revokeReason: 'sweeper' });
    expect(reads.mock.calls.filter(([id]) => id === GRANT_ID)).toHaveLength(1);
  });
});

describe('sweeper: which grants it asks the workflow about', () => {
  it('asks nothing about a PENDING grant at exactly the approval timeout plus ten minutes, and asks one minute later', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    seedExecution(h, GRANT_ID, 'RUNNING');
    h.clock.advanceMinutes(testSettings().config.approvalTimeoutMinutes + TEN_MINUTES);

    // Act
    await sweep();
    const asked = h.aws.countOf('DescribeExecution');
    h.clock.advanceMinutes(1);
    await sweep();

    // Assess
    expect(asked).toBe(0);
    expect(h.aws.countOf('DescribeExecution')).toBe(1);
  });

  it('asks about an APPROVED grant only ten minutes past its requested start, not past its approval', async () => {
    // Prepare: approved at T0 to start two hours later; the workflow waits in between.
    await seedApproved(h, GRANT_ID, requestInput({ startAt: '2030-03-01T11:00:00.000Z' }));
    seedExecution(h, GRANT_ID, 'RUNNING');

    // Act
    h.clock.advanceMinutes(TEN_MINUTES + 1);
    const beforeStart = await sweep();
    h.clock.set('2030-03-01T11:10:00.000Z');
    const atTenPastStart = await sweep();
    h.clock.advanceMinutes(1);
    const afterTenPastStart = await sweep();

    // Assess
    expect(beforeStart.undeliveredDecisions).toEqual([]);
    expect(atTenPastStart.undeliveredDecisions).toEqual([]);
    expect(afterTenPastStart.undeliveredDecisions).toEqual([GRANT_ID]);
    expect(h.aws.countOf('DescribeExecution')).toBe(1);
  });

  it('counts from the approval of an APPROVED grant whose requested start had passed when approvers agreed', async () => {
    // Prepare: to start at 09:30, approved only at 09:45.
    await seedPending(h, GRANT_ID, requestInput({ startAt: '2030-03-01T09:30:00.000Z' }));
    h.clock.set('2030-03-01T09:45:00.000Z');
    for (const approver of [ALICE, BOB]) await callApi(h, 'approve', approver, { params: { grantId: GRANT_ID } });
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
    seedExecution(h, GRANT_ID, 'RUNNING');

    // Act: 20 minutes after the start, 5 after the approval.
    h.clock.set('2030-03-01T09:50:00.000Z');
    const early = await sweep();
    h.clock.set('2030-03-01T09:56:00.000Z');
    const late = await sweep();

    // Assess
    expect(early.undeliveredDecisions).toEqual([]);
    expect(late.undeliveredDecisions).toEqual([GRANT_ID]);
  });

  it('asks nothing about a GRANTING grant at exactly ten minutes, and asks one minute later', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.ledger.overwriteStatus(GRANT_ID, 'GRANTING');
    seedExecution(h, GRANT_ID, 'RUNNING');
    h.clock.advanceMinutes(TEN_MINUTES);

    // Act
    await sweep();
    const asked = h.aws.countOf('DescribeExecution');
    h.clock.advanceMinutes(1);
    await sweep();

    // Assess
    expect(asked).toBe(0);
    expect(h.aws.countOf('DescribeExecution')).toBe(1);
  });

  it('asks nothing about the APPROVED and GRANTING grants it has just ended for an offboarded vendor', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    h.ledger.overwriteStatus(OTHER_ID, 'GRANTING');
    h.clock.advanceMinutes(TEN_MINUTES + 1);

    // Act
    const report = await sweepWithout(withoutAcme);

    // Assess
    expect([...report.disabledVendorGrants].sort()).toEqual([GRANT_ID, OTHER_ID]);
    expect(report.strandedGrants).toEqual([]);
    expect(h.aws.countOf('DescribeExecution')).toBe(0);
  });

  it('tears down a stranded GRANTING grant, says so in its history, and no longer counts it as active', async () => {
    // Prepare
    const metric = jest.spyOn(metrics, 'addMetric');
    await seedActive(h, GRANT_ID);
    h.ledger.overwriteStatus(GRANT_ID, 'GRANTING');
    seedExecution(h, GRANT_ID, 'ABORTED');
    h.clock.advanceMinutes(TEN_MINUTES + 1);

    // Act
    const report = await sweep();

    // Assess
    expect(report.strandedGrants).toEqual([GRANT_ID]);
    expect(published(metric, 'ActiveGrants')).toEqual([0]);
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toContainEqual(
      expect.objectContaining({
        actor: 'sweeper',
        event: 'the workflow execution is ABORTED while the grant was GRANTING: tearing down what it created',
      }),
    );
  });

  it('records that nothing was created when it fails a stranded APPROVED grant', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    seedExecution(h, GRANT_ID, 'FAILED');
    h.clock.advanceMinutes(TEN_MINUTES + 1);

    // Act
    await sweep();

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.history.at(-1)).toMatchObject({
      actor: 'sweeper',
      event: 'failed: the workflow execution is FAILED while the grant was APPROVED',
      detail: 'nothing was created',
    });
  });

  it('keeps the task token of a stranded grant that moved on before the sweeper could move it', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    seedExecution(h, GRANT_ID, 'ABORTED');
    h.clock.advanceMinutes(testSettings().config.approvalTimeoutMinutes + TEN_MINUTES + 1);
    jest.spyOn(h.ledger, 'transition').mockResolvedValueOnce(false);

    // Act
    const report = await sweep();

    // Assess
    expect(report.strandedGrants).toEqual([]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeDefined();
  });
});

describe('sweeper: orphans, and what only looks like one', () => {
  it("leaves roles and schedules whose names are not a grant's, asking nothing about them", async () => {
    // Prepare
    h.aws.seedRole('jit-Tools', '/jit-access/', {}, testSettings().permissionsBoundaryArn);
    h.aws.seedSchedule('weekly-report', SCHEDULE_GROUP);
    const reads = jest.spyOn(h.ledger, 'getGrant');
    h.aws.clearCallLog();

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedRoles).toEqual([]);
    expect(report.orphanedSchedules).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(reads).not.toHaveBeenCalled();
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('does not report the role and schedule of a grant that became active after it read the statuses', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    jest.spyOn(h.ledger, 'grantsByStatus').mockResolvedValueOnce([]);

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedRoles).toEqual([]);
    expect(report.orphanedSchedules).toEqual([]);
    expect(report.staleOsUserHolds).toEqual([]);
    expect((await h.ledger.osUserHolders([ACME_OS_USER])).get(ACME_OS_USER)).toHaveProperty(GRANT_ID);
  });

  it('keeps the OS user hold of a grant that became active after it read the statuses', async () => {
    // Prepare: the listings saw neither its role nor its schedule yet, so only its hold is left to judge.
    await seedActive(h, GRANT_ID);
    jest.spyOn(h.ledger, 'grantsByStatus').mockResolvedValueOnce([]);
    jest.spyOn(h.deps.roles, 'listRoles').mockResolvedValueOnce([]);
    jest.spyOn(h.deps.schedules, 'list').mockResolvedValueOnce([]);

    // Act
    const report = await sweep();

    // Assess
    expect(report.staleOsUserHolds).toEqual([]);
    expect((await h.ledger.osUserHolders([ACME_OS_USER])).get(ACME_OS_USER)).toHaveProperty(GRANT_ID);
  });

  it('removes a role left behind by a grant the ledger says is REVOKED', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await callApi(h, 'revoke', ERIN, { params: { grantId: GRANT_ID }, body: { reason: 'done' } });
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    seedGrantRole(h, GRANT_ID);

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedRoles).toEqual([ROLE_NAME]);
    expect(h.aws.roles.has(ROLE_NAME)).toBe(false);
  });

  it('closes a rule the ledger says only an ended grant holds, and lets go of that hold', async () => {
    // Prepare: the grant is over, its role and schedule are gone, its rule is still open and still held.
    await seedActive(h, GRANT_ID);
    h.ledger.overwriteStatus(GRANT_ID, 'REVOKED');
    h.aws.roles.clear();
    h.aws.schedules.clear();
    const ruleIds = h.aws.rulesIn(BILLING_SG).map((rule) => rule.ruleId);
    const released = jest.spyOn(h.ledger, 'releaseRule');

    // Act
    const report = await sweep();

    // Assess
    expect(ruleIds.length).toBeGreaterThan(0);
    expect(report.orphanedRules).toEqual(ruleIds);
    expect(released.mock.calls.map(([, holder]) => holder)).toEqual(ruleIds.map(() => GRANT_ID));
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
  });

  it('closes a rule the ledger has no holding for without letting go of any hold', async () => {
    // Prepare
    const rule = seedManagedRule('grant-reconcile-gone');
    const released = jest.spyOn(h.ledger, 'releaseRule');

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedRules).toEqual([rule.ruleId]);
    expect(released).not.toHaveBeenCalled();
  });

  it('leaves open a rule that a grant acquired between the listing and the close', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.ledger.overwriteStatus(GRANT_ID, 'REVOKED');
    h.aws.roles.clear();
    h.aws.schedules.clear();
    const open = h.aws.rulesIn(BILLING_SG).length;
    jest.spyOn(h.ledger, 'forgetRuleIfUnheld').mockResolvedValue(false);

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedRules).toEqual([]);
    expect(h.aws.rulesIn(BILLING_SG)).toHaveLength(open);
  });

  it('reads no grant for the rules, OS user holds and sessions of the live grants it listed', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.aws.startSession('live-session', ROLE_NAME, BILLING_1);
    const reads = jest.spyOn(h.ledger, 'getGrant');

    // Act
    await sweep();

    // Assess
    expect(reads).not.toHaveBeenCalled();
    expect(h.aws.countOf('GetRole')).toBe(0);
  });

  it("leaves alone sessions that are not a grant role's: a person's SSO role and an IAM user", async () => {
    // Prepare
    h.aws.startSession('person-session', 'AWSReservedSSO_Admins_0123456789abcdef', BILLING_1);
    h.aws.sessions.push({
      sessionId: 'user-session',
      target: BILLING_1,
      owner: 'arn:aws:iam::111122223333:user/ops',
      status: 'Active',
      startedAt: T0,
    });

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedSessions).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(h.aws.sessions.map((session) => session.status)).toEqual(['Active', 'Active']);
  });

  it("leaves, and does not report, the sessions of a customer's own jit- role, reading the role once", async () => {
    // Prepare
    h.aws.seedRole(`jit-${OTHER_ID}`, '/jit-access/', {}, undefined);
    h.aws.startSession('customer-1', `jit-${OTHER_ID}`, BILLING_1);
    h.aws.startSession('customer-2', `jit-${OTHER_ID}`, BILLING_2);
    h.aws.clearCallLog();
    jest.spyOn(h.deps.roles, 'listRoles').mockResolvedValueOnce([]);

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedSessions).toEqual([]);
    expect(h.aws.countOf('GetRole')).toBe(1);
    expect(h.aws.sessions.map((session) => session.status)).toEqual(['Active', 'Active']);
  });
});

describe('sweeper: what it counts', () => {
  it('counts expired and stuck grants together, and every kind of orphan', async () => {
    // Prepare: one expired grant, one stuck revoke, and one orphan of each kind, each of another grant.
    const metric = jest.spyOn(metrics, 'addMetric');
    await revokeLeavingTheRole();
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2], durationMinutes: 15 }));
    h.clock.advanceMinutes(TEN_MINUTES + 6);
    seedGrantRole(h, 'grant-orphan-role');
    h.aws.seedSchedule('jit-grant-orphan-schedule', SCHEDULE_GROUP);
    seedManagedRule('grant-orphan-rule', 2222);
    h.aws.startSession('orphan-session', 'jit-grant-orphan-session', BILLING_1);

    // Act
    const report = await sweep();

    // Assess
    expect(report).toMatchObject({
      expiredGrants: [OTHER_ID],
      stuckGrants: [GRANT_ID],
      orphanedRoles: ['jit-grant-orphan-role'],
      orphanedSchedules: ['jit-grant-orphan-schedule'],
      orphanedSessions: ['orphan-session'],
      failures: [],
    });
    expect(report.orphanedRules).toHaveLength(1);
    expect(published(metric, 'SweeperExpiredGrants')).toEqual([2]);
    expect(published(metric, 'SweeperOrphansFound')).toEqual([4]);
  });
});

describe('sweeper: what it logs', () => {
  const errors = capturedLogs('error');
  const warnings = capturedLogs('warn');
  capturedInfoLogs();

  it('logs an item that failed as an error naming it', async () => {
    // Prepare
    seedGrantRole(h, GRANT_ID);
    h.aws.failOn('DescribeSecurityGroupRules', { nth: 1 });

    // Act
    await sweep();

    // Assess
    const message = 'sweeper item failed; the next run retries it';
    const failed = errors.pick('message', 'item').filter((line) => line.message === message);
    expect(failed).toEqual([{ message, item: ROLE_NAME }]);
  });

  it('logs each unheld rule with its id, group and what it did with it', async () => {
    // Prepare
    const closed = seedManagedRule('grant-reconcile-gone');
    const human = h.aws.seedIngressRule({
      groupId: BILLING_SG,
      protocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      cidr: '192.0.2.0/24',
      description: 'someone else',
      tags: {},
    });

    // Act
    await sweep();

    // Assess
    const message = 'unheld ingress rule in a JIT security group';
    expect(warnings.pick('message', 'ruleId', 'securityGroupId', 'action')).toEqual([
      {
        message,
        ruleId: closed.ruleId,
        securityGroupId: BILLING_SG,
        action: 'closed: jit-access opened it for grants that are over',
      },
      { message, ruleId: human.ruleId, securityGroupId: BILLING_SG, action: 'left open: jit-access did not open it' },
    ]);
  });
});
