import { failEveryCall } from '../helpers/persistent-fault';
import {
  BILLING_1,
  BILLING_2,
  BILLING_SG,
  callApi,
  createHarness,
  ERIN,
  rejectionOf,
  requestInput,
  seedActive,
  seedExecution,
  seedGrantRole,
  seedApproved,
  seedPending,
  statusOf,
  testSettings,
  WEB_SG,
  type Harness,
} from '../helpers/handler-deps';
import { exampleConfig } from '../helpers/config-fixture';
import { createSweeperHandler } from '../../lambdas/handlers/sweeper';
import { metrics } from '../../lambdas/shared/powertools';
import { capturedInfoLogs } from '../helpers/logged-lines';

const GRANT_ID = 'grant-sweep-0001';
const ORPHAN_ID = 'grant-orphan-0001';
const SCHEDULE_GROUP = testSettings().scheduleGroupName;
const NOTHING_FOUND = {
  expiredGrants: [],
  disabledVendorGrants: [],
  overdueReviews: [],
  failures: [],
  stuckGrants: [],
  orphanedRoles: [],
  orphanedSchedules: [],
  orphanedRules: [],
  unheldRules: [],
  orphanedSessions: [],
  staleOsUserHolds: [],
  strandedGrants: [],
  undeliveredDecisions: [],
};

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => {
  h.restore();
  jest.restoreAllMocks();
});

/** What jit-access made for a grant the ledger does not know: a role with its policy, a schedule, an open rule. */
function seedOrphans(): void {
  seedGrantRole(h, ORPHAN_ID).inlinePolicies.set('jit-session-access', {});
  h.aws.seedSchedule(`jit-${ORPHAN_ID}`, SCHEDULE_GROUP);
  h.aws.seedIngressRule({
    groupId: BILLING_SG,
    protocol: 'tcp',
    fromPort: 22,
    toPort: 22,
    cidr: '192.0.2.0/25',
    description: `jit-access grant ${ORPHAN_ID}`,
    tags: { 'jit-access:grant-id': ORPHAN_ID, 'jit-access:managed': 'true' },
  });
}

const sweep = () => h.handlers.sweeper();

/** erin disables acme at run time (the ledger's vendor state), as `jit-access vendor disable` does. */
const disableAcmeAtRunTime = () =>
  h.ledger.setVendorState({
    vendorId: 'acme',
    disabled: true,
    reason: 'the contract ended',
    actor: 'erin',
    at: '2030-03-01T09:10:00.000Z',
  });

/** Past the approval timeout and the sweeper's margin for a workflow to move a grant on. */
const pastApprovalTimeout = () => h.clock.advanceMinutes(testSettings().config.approvalTimeoutMinutes + 11);
/** An admin ends GRANT_ID through the API before its expiry. */
const killSwitch = () =>
  callApi(h, 'revoke', ERIN, { params: { grantId: GRANT_ID }, body: { reason: 'the vendor is done' } });

describe('sweeper', () => {
  it('revokes an ACTIVE grant past its expiry', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.clock.advanceMinutes(61);

    // Act
    const report = await sweep();

    // Assess
    expect(report.expiredGrants).toEqual([GRANT_ID]);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('revokes the active grant of a vendor that was disabled since, before its expiry', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    const disabled = exampleConfig((raw) => {
      raw.vendors[0]!.enabled = false;
    });
    const sweepWithVendorDisabled = createSweeperHandler(() => ({
      ...h.deps,
      settings: { ...h.deps.settings, config: disabled },
    }));

    // Act
    const report = await sweepWithVendorDisabled();

    // Assess
    expect(report.disabledVendorGrants).toEqual([GRANT_ID]);
    expect((await h.ledger.getGrant(GRANT_ID))?.revokeReason).toBe('vendor-disabled');
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('revokes the active grant of a vendor an admin disabled at run time', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await disableAcmeAtRunTime();

    // Act
    const report = await sweep();

    // Assess
    expect(report.disabledVendorGrants).toEqual([GRANT_ID]);
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({ status: 'REVOKED', revokeReason: 'vendor-disabled' });
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('leaves alone the grants of a vendor an admin enabled again', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await h.ledger.setVendorState({
      vendorId: 'acme',
      disabled: false,
      reason: 'the contract was renewed',
      actor: 'erin',
      at: '2030-03-01T09:10:00.000Z',
    });

    // Act
    const report = await sweep();

    // Assess
    expect(report.disabledVendorGrants).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('reports a rule in a JIT security group that jit-access did not open, and leaves it open', async () => {
    // Prepare
    const human = h.aws.seedIngressRule({
      groupId: BILLING_SG,
      protocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidr: '198.51.100.0/24',
      description: 'placed by the platform team',
      tags: {},
    });

    // Act
    const report = await sweep();

    // Assess
    expect(report.unheldRules).toEqual([human.ruleId]);
    expect(report.orphanedRules).toEqual([]);
    expect(h.aws.rulesIn(BILLING_SG)).toHaveLength(1);
  });

  it('reports IPv6, prefix-list and group-reference rules in a JIT group, and leaves them open', async () => {
    // Prepare
    const ports = { protocol: 'tcp', fromPort: 22, toPort: 22, description: 'emergency', tags: {} };
    const seeded = [
      h.aws.seedIngressRule({ ...ports, groupId: BILLING_SG, cidrIpv6: '2001:db8::/56' }),
      h.aws.seedIngressRule({ ...ports, groupId: BILLING_SG, prefixListId: 'pl-0123456789abcdef0' }),
      h.aws.seedIngressRule({ ...ports, groupId: WEB_SG, referencedGroupId: 'sg-0fedcba9876543210' }),
    ];

    // Act
    const report = await sweep();

    // Assess
    expect(report.unheldRules).toEqual(seeded.map((rule) => rule.ruleId));
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.aws.ingressRules).toHaveLength(3);
  });

  it('reports a rule no live grant holds beside the rules of an active grant, which it does not report', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    const granted = h.aws.rulesIn(BILLING_SG).map((rule) => rule.ruleId);
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
    const report = await sweep();

    // Assess
    expect(granted.length).toBeGreaterThan(0);
    expect(report.unheldRules).toEqual([human.ruleId]);
  });

  it('publishes the number of unheld rules, zero included, for the alarm', async () => {
    // Prepare
    const published = jest.spyOn(metrics, 'addMetric');
    h.aws.seedIngressRule({
      groupId: WEB_SG,
      protocol: '-1',
      fromPort: -1,
      toPort: -1,
      cidrIpv6: '::/0',
      description: undefined,
      tags: {},
    });

    // Act
    await sweep();
    h.aws.ingressRules.length = 0;
    await sweep();

    // Assess
    const counts = published.mock.calls.filter(([name]) => name === 'UnheldIngressRules').map(([, , value]) => value);
    expect(counts).toEqual([1, 0]);
  });

  it('leaves open a rule of a grant that opened it after the sweeper read the statuses and listed the roles', async () => {
    // Prepare: the role and schedule the listings did not see yet; only the rules are there when they are listed.
    await seedActive(h, GRANT_ID);
    jest.spyOn(h.ledger, 'grantsByStatus').mockResolvedValueOnce([]);
    h.aws.roles.clear();
    h.aws.schedules.clear();
    h.aws.clearCallLog();

    // Act
    const report = await sweep();

    // Assess
    expect(report.unheldRules).toEqual([]);
    expect(report.orphanedRules).toEqual([]);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.aws.rulesIn(BILLING_SG).length).toBeGreaterThan(0);
  });

  it('leaves alone a grant that became active after the sweeper read the statuses, and its rules', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    jest.spyOn(h.ledger, 'grantsByStatus').mockResolvedValueOnce([]);
    h.aws.clearCallLog();

    // Act
    const report = await sweep();

    // Assess
    expect(report.unheldRules).toEqual([]);
    expect(h.aws.mutatingCalls.map((c) => c.command)).not.toContain('RevokeSecurityGroupIngress');
    expect(h.aws.rulesIn(BILLING_SG).length).toBeGreaterThan(0);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('reports an item that failed and still removes the items after it', async () => {
    // Prepare
    const otherOrphan = 'grant-orphan-0002';
    seedGrantRole(h, ORPHAN_ID);
    h.aws.seedSchedule(`jit-${otherOrphan}`, SCHEDULE_GROUP);
    // The role's teardown checks the JIT groups' rules in one listing: that listing fails.
    h.aws.failOn('DescribeSecurityGroupRules', { nth: 1 });

    // Act
    const report = await sweep();

    // Assess
    expect(report.failures).toEqual([expect.stringMatching(new RegExp(`^jit-${ORPHAN_ID}: `))]);
    expect(report.orphanedSchedules).toEqual([`jit-${otherOrphan}`]);
    expect(h.aws.schedules.size).toBe(0);
  });

  it('revokes an expired grant whose schedule was deleted by hand', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.aws.schedules.clear();
    h.clock.advanceMinutes(61);

    // Act
    await sweep();

    // Assess
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
  });

  it('removes a jit- role that no ledger record knows', async () => {
    // Prepare
    seedGrantRole(h, ORPHAN_ID).inlinePolicies.set('jit-session-access', {});

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedRoles).toEqual([`jit-${ORPHAN_ID}`]);
    expect(h.aws.roles.size).toBe(0);
  });

  it('leaves alone a role named like a grant role under the path that jit-access did not make, and its sessions', async () => {
    // Prepare: a customer's own role (no jit-access tags, no boundary), as issue 8's /jit-access/jit-readonly.
    h.aws.seedRole('jit-readonly', '/jit-access/').inlinePolicies.set('read-only', {});
    h.aws.startSession('session-of-customer-role', 'jit-readonly', BILLING_1);

    // Act
    await sweep();

    // Assess
    expect(h.aws.roles.get('jit-readonly')?.inlinePolicies.get('read-only')).toEqual({});
    expect(h.aws.sessions.map((s) => s.status)).toEqual(['Active']);
    // Nothing of the role's is touched (a schedule of that name in the stack's own group would be jit-access's).
    expect(h.aws.mutatingCalls.filter((c) => c.command !== 'DeleteSchedule')).toEqual([]);
  });

  it('leaves alone a role outside the jit-access path', async () => {
    // Prepare
    h.aws.seedRole('jit-not-ours-0001', '/platform/');

    // Act
    await sweep();

    // Assess
    expect([...h.aws.roles.keys()]).toEqual(['jit-not-ours-0001']);
  });

  it('removes an expiry schedule that no ledger record knows', async () => {
    // Prepare
    h.aws.seedSchedule(`jit-${ORPHAN_ID}`, SCHEDULE_GROUP);

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedSchedules).toEqual([`jit-${ORPHAN_ID}`]);
    expect(h.aws.schedules.size).toBe(0);
  });

  it('removes a rule in a JIT security group that no live grant holds', async () => {
    // Prepare
    const orphanRule = h.aws.seedIngressRule({
      groupId: BILLING_SG,
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidr: '192.0.2.0/25',
      description: `jit-access grant ${ORPHAN_ID}`,
      tags: { 'jit-access:grant-id': ORPHAN_ID, 'jit-access:managed': 'true' },
    });

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedRules).toEqual([orphanRule.ruleId]);
    expect(report.unheldRules).toEqual([orphanRule.ruleId]);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
  });

  it('terminates a live session of a role whose grant is over', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await killSwitch();
    h.aws.startSession('late-session', `jit-${GRANT_ID}`, BILLING_1);

    // Act
    const report = await sweep();

    // Assess
    expect(report.orphanedSessions).toEqual(['late-session']);
    expect(h.aws.sessions[0]?.status).toBe('Terminated');
  });

  it("leaves a live grant's role, rules, schedule and sessions alone", async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await seedActive(h, 'grant-sweep-0002', requestInput({ targets: [BILLING_2] }));
    h.aws.startSession('live-session', `jit-${GRANT_ID}`, BILLING_1);
    h.aws.clearCallLog();
    h.clock.advanceMinutes(59);

    // Act
    const report = await sweep();

    // Assess
    expect(report).toEqual(NOTHING_FOUND);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('finishes a revoke that was left incomplete once it has been stuck for ten minutes', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    const refused = failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');
    await killSwitch();
    refused.mockRestore();
    h.clock.advanceMinutes(11);

    // Act
    const report = await sweep();

    // Assess
    expect(report.stuckGrants).toEqual([GRANT_ID]);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(h.aws.roles.size).toBe(0);
  });

  it('run twice changes nothing the second time', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    seedOrphans();
    h.clock.advanceMinutes(61);
    await sweep();
    h.aws.clearCallLog();

    // Act
    const second = await sweep();

    // Assess
    expect(second).toEqual(NOTHING_FOUND);
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  describe('grants the workflow left behind', () => {
    it('expires a PENDING grant whose execution was stopped, once past the approval timeout, and forgets its token', async () => {
      // Prepare
      await seedPending(h, GRANT_ID);
      seedExecution(h, GRANT_ID, 'ABORTED');
      pastApprovalTimeout();

      // Act
      const report = await sweep();

      // Assess
      expect(report).toEqual({ ...NOTHING_FOUND, strandedGrants: [GRANT_ID] });
      expect(await statusOf(h, GRANT_ID)).toBe('EXPIRED');
      expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
      const last = (await h.ledger.getGrant(GRANT_ID))?.history.at(-1);
      expect(last).toMatchObject({
        actor: 'sweeper',
        event: 'expired: the workflow execution is ABORTED while the grant was PENDING',
      });
    });

    it('asks nothing about a PENDING grant before its approval timeout, whatever its execution', async () => {
      // Prepare
      await seedPending(h, GRANT_ID);
      seedExecution(h, GRANT_ID, 'ABORTED');
      h.clock.advanceMinutes(testSettings().config.approvalTimeoutMinutes);

      // Act
      const report = await sweep();

      // Assess
      expect(report).toEqual(NOTHING_FOUND);
      expect(h.aws.countOf('DescribeExecution')).toBe(0);
      expect(await statusOf(h, GRANT_ID)).toBe('PENDING');
    });

    it('leaves a PENDING grant past its timeout alone while its execution still runs', async () => {
      // Prepare
      await seedPending(h, GRANT_ID);
      seedExecution(h, GRANT_ID, 'RUNNING');
      pastApprovalTimeout();

      // Act
      const report = await sweep();

      // Assess
      expect(report).toEqual(NOTHING_FOUND);
      expect(await statusOf(h, GRANT_ID)).toBe('PENDING');
    });

    it('fails an APPROVED grant whose execution failed before the grant step, with nothing created', async () => {
      // Prepare
      await seedApproved(h, GRANT_ID);
      seedExecution(h, GRANT_ID, 'FAILED');
      h.clock.advanceMinutes(11);
      h.aws.clearCallLog();

      // Act
      const report = await sweep();

      // Assess
      expect(report).toEqual({ ...NOTHING_FOUND, strandedGrants: [GRANT_ID] });
      expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
      expect(h.aws.mutatingCalls).toEqual([]);
    });

    it('treats an execution that does not exist as ended', async () => {
      // Prepare
      await seedApproved(h, GRANT_ID);
      h.clock.advanceMinutes(11);

      // Act
      const report = await sweep();

      // Assess
      expect(report.strandedGrants).toEqual([GRANT_ID]);
      expect((await h.ledger.getGrant(GRANT_ID))?.history.at(-1)?.event).toBe(
        'failed: the workflow execution is NOT FOUND while the grant was APPROVED',
      );
    });

    it('reports an APPROVED grant past its start whose execution still waits for the answer, and changes nothing', async () => {
      // Prepare: the approval was recorded but SendTaskSuccess never reached the workflow.
      await seedApproved(h, GRANT_ID);
      seedExecution(h, GRANT_ID, 'RUNNING');
      h.clock.advanceMinutes(11);
      h.aws.clearCallLog();

      // Act
      const report = await sweep();

      // Assess
      expect(report).toEqual({ ...NOTHING_FOUND, undeliveredDecisions: [GRANT_ID] });
      expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
      expect(h.aws.countOf('SendTaskSuccess')).toBe(0);
    });

    it('tears down what a GRANTING grant created when its execution ended mid-grant, leaving nothing', async () => {
      // Prepare: the grant step made everything, then its execution was stopped before it recorded ACTIVE.
      await seedActive(h, GRANT_ID);
      h.ledger.overwriteStatus(GRANT_ID, 'GRANTING');
      seedExecution(h, GRANT_ID, 'ABORTED');
      h.clock.advanceMinutes(11);

      // Act
      const report = await sweep();

      // Assess
      expect(report.strandedGrants).toEqual([GRANT_ID]);
      expect(report.failures).toEqual([]);
      expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
      expect((await h.ledger.getGrant(GRANT_ID))?.revokeReason).toBe('failure');
      expect(h.aws.roles.size).toBe(0);
      expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
      expect(h.aws.schedules.size).toBe(0);
    });

    it('moves a stranded grant on once: a second sweep changes nothing', async () => {
      // Prepare
      await seedPending(h, GRANT_ID);
      seedExecution(h, GRANT_ID, 'TIMED_OUT');
      pastApprovalTimeout();
      await sweep();
      h.aws.clearCallLog();

      // Act
      const second = await sweep();

      // Assess
      expect(second).toEqual(NOTHING_FOUND);
      expect(h.aws.mutatingCalls).toEqual([]);
      expect(await statusOf(h, GRANT_ID)).toBe('EXPIRED');
    });
  });
});

describe('sweeper: offboarding a vendor', () => {
  const APPROVED_ID = 'grant-sweep-approved';
  /** The cdk.json example without acme: its vendor entry deleted, as a platform team offboards it. */
  const withoutAcme = exampleConfig((raw) => {
    raw.vendors = raw.vendors.filter((v) => v.id !== 'acme');
  });
  const sweepWithoutAcme = () =>
    createSweeperHandler(() => ({ ...h.deps, settings: { ...h.deps.settings, config: withoutAcme } }))();
  /** Approved at T0 to start in two hours: the workflow waits, nothing exists yet. */
  const seedWaiting = () =>
    seedApproved(h, APPROVED_ID, requestInput({ targets: [BILLING_2], startAt: '2030-03-01T11:00:00.000Z' }));

  it('revokes the active grant of a vendor removed from the config, with the reason in the ledger', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);

    // Act
    const report = await sweepWithoutAcme();

    // Assess
    expect(report.disabledVendorGrants).toEqual([GRANT_ID]);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant).toMatchObject({ status: 'REVOKED', revokeReason: 'vendor-offboarded' });
    expect(grant?.history.map((e) => `${e.actor}: ${e.event}`)).toContain(
      'sweeper: revoked (vendor-offboarded); residue: none',
    );
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('cancels an approved grant of a removed vendor before its start, so it is never granted', async () => {
    // Prepare
    await seedWaiting();

    // Act
    const report = await sweepWithoutAcme();

    // Assess
    expect(report.disabledVendorGrants).toEqual([APPROVED_ID]);
    expect(await h.ledger.getGrant(APPROVED_ID)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'vendor-offboarded',
    });
    h.clock.set('2030-03-01T11:00:00.000Z');
    await rejectionOf(h.handlers.grant({ grantId: APPROVED_ID }));
    expect(h.aws.roles.size).toBe(0);
  });

  it('cancels an approved grant of a vendor an admin disabled', async () => {
    // Prepare
    await seedWaiting();
    await disableAcmeAtRunTime();

    // Act
    const report = await sweep();

    // Assess
    expect(report.disabledVendorGrants).toEqual([APPROVED_ID]);
    expect(await h.ledger.getGrant(APPROVED_ID)).toMatchObject({ status: 'REVOKED', revokeReason: 'vendor-disabled' });
  });

  it("leaves the other vendors' grants alone", async () => {
    // Prepare
    await seedActive(h, GRANT_ID, requestInput({ vendorId: 'globex', ports: [] }));

    // Act
    const report = await sweepWithoutAcme();

    // Assess
    expect(report.disabledVendorGrants).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('run twice changes nothing the second time', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await seedWaiting();
    await sweepWithoutAcme();
    h.aws.clearCallLog();
    const writes = h.ledger.writes.length;

    // Act
    const second = await sweepWithoutAcme();

    // Assess
    expect(second).toEqual(NOTHING_FOUND);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toHaveLength(writes);
  });
});

describe('sweeper: what a run leaves in the logs and the metrics', () => {
  /** The message and the report of each line the logger wrote at info level, in order. */
  const logs = capturedInfoLogs();
  const loggedLines = () => logs.pick('message', 'report');

  afterEach(() => metrics.clearMetrics());

  it('ends its log with a line holding the whole report', async () => {
    // Prepare
    seedGrantRole(h, ORPHAN_ID);

    // Act
    await sweep();

    // Assess
    expect(loggedLines().at(-1)).toEqual({
      message: 'sweep finished',
      report: { ...NOTHING_FOUND, orphanedRoles: [`jit-${ORPHAN_ID}`] },
    });
  });

  it('flushes the counts it recorded before it answers', async () => {
    // Prepare
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    await sweep();

    // Assess
    expect(addMetric).toHaveBeenCalledWith('ActiveGrants', 'Count', 0);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});
