import { LOCKOUT_ACTOR } from '../../lambdas/domain/lockout';
import { createLockoutHandler } from '../../lambdas/handlers/lockout';
import type { LockoutOutcome } from '../../lambdas/lifecycle/lockout';
import { metrics } from '../../lambdas/shared/powertools';
import { capturedInfoLogs } from '../helpers/logged-lines';
import {
  deniedCallEvent,
  failedAssumeRoleEvent,
  type CloudTrailEvent,
} from '../../scripts/local-aws/cloudtrail-events';
import {
  ACCOUNT_ID,
  BILLING_2,
  callApi,
  createHarness,
  DANA,
  ERIN,
  REGION,
  rejectionOf,
  requestBody,
  requestInput,
  seedActive,
  statusOf,
  testSettings,
  type Harness,
} from '../helpers/handler-deps';
import { parsedResponse, writeCounts, type ErrorBody } from './api/support';

const GRANT_ID = 'grant-lockout-0001';
const OTHER_ID = 'grant-lockout-0002';
const GLOBEX_ID = 'grant-lockout-globex';
const roleArnOf = (grantId: string, path = '/jit-access/', account = ACCOUNT_ID) =>
  `arn:aws:iam::${account}:role${path}jit-${grantId}`;
/** The account of acme's principal (cdk.json): only it can ever assume acme's grant roles. */
const ACME_ACCOUNT = '444455556666';
/** Every grant of this file is made at T0 (09:00) for one hour. */
const MINUTE = 60_000;
const at = (minutesAfterT0: number) => new Date(Date.parse('2030-03-01T09:00:00.000Z') + minutesAfterT0 * MINUTE);
const stack = { accountId: ACCOUNT_ID, region: REGION };
const { threshold } = testSettings().config.lockout;

let h: Harness;
let countAttempt: (event: unknown) => Promise<LockoutOutcome>;
beforeEach(async () => {
  h = createHarness();
  countAttempt = createLockoutHandler(() => h.deps);
  await seedActive(h, GRANT_ID);
  h.aws.clearCallLog();
});
afterEach(() => h.restore());

/** A call refused to the session of GRANT_ID's role, `minutes` after T0, with the clock moved there. */
function denied(minutes: number, overrides: Partial<Parameters<typeof deniedCallEvent>[0]> = {}): CloudTrailEvent {
  return deniedCallEvent({ ...stack, roleArn: roleArnOf(GRANT_ID), at: at(minutes), ...overrides });
}

/** Plays the events in order, the clock at each one's time plus CloudTrail's few minutes of delivery. */
async function play(events: readonly CloudTrailEvent[]): Promise<LockoutOutcome[]> {
  const outcomes: LockoutOutcome[] = [];
  for (const event of events) {
    h.clock.set(new Date(Date.parse(event.time) + 3 * MINUTE).toISOString());
    outcomes.push(await countAttempt(event));
  }
  return outcomes;
}

const burst = (count: number, from = 10) => Array.from({ length: count }, (_, i) => denied(from + i));
const vendorState = async (vendorId = 'acme') => (await h.ledger.vendorStates()).find((s) => s.vendorId === vendorId);
const unlock = (reason: unknown = 'the attempts were a misconfigured script') =>
  callApi(h, 'unlockVendor', ERIN, { params: { vendorId: 'acme' }, body: { reason } });
const nothingLeftInAws = () => h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size;

describe('lockout (the target of the CloudTrail rules)', () => {
  it('below the threshold only counts: the grant stays active and nothing changes in AWS', async () => {
    // Act
    const outcomes = await play(burst(threshold - 1));

    // Assess
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(threshold - 1).fill('counted'));
    expect(outcomes.at(-1)).toMatchObject({ attempts: threshold - 1, firstTime: true });
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
    expect(await vendorState()).toBeUndefined();
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await h.ledger.attemptsBetween('acme', at(0).toISOString(), at(60).toISOString())).toHaveLength(
      threshold - 1,
    );
  });

  it('at the threshold revokes the grant by the revoke path, locks the vendor and tells approvers', async () => {
    // Act
    const outcomes = await play(burst(threshold));

    // Assess
    expect(outcomes.at(-1)).toEqual({
      outcome: 'locked-out',
      grantId: GRANT_ID,
      vendorId: 'acme',
      attempts: threshold,
      revokedGrants: [],
    });
    // The kill switch's order: the stack's deny-all first, the role last.
    const calls = h.aws.mutatingCalls.map((c) => c.command);
    expect(calls[0]).toBe('AttachRolePolicy');
    expect(calls).toContain('DeleteRole');
    expect(nothingLeftInAws()).toBe(0);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant).toMatchObject({ status: 'REVOKED', revokeReason: 'lockout' });
    expect(grant?.residueCheck?.residue).toEqual({
      roles: [],
      policies: [],
      securityGroupRules: [],
      schedules: [],
      sessions: [],
      osAccounts: [],
    });
    expect(grant?.lockout).toMatchObject({ attempts: threshold, windowMinutes: 15 });
    expect(grant?.lockout?.completedAt).toBeDefined();
    expect(await vendorState()).toMatchObject({ disabled: true, actor: LOCKOUT_ACTOR });
    const notice = h.aws.published.find((p) => p.subject.includes('LOCKOUT'));
    expect(notice?.message).toContain(`Grant ${GRANT_ID} was revoked and vendor acme is locked`);
    expect(notice?.message).toContain('jit-access vendor unlock acme');
  });

  it("also revokes the vendor's other live grants, and leaves other vendors' grants alone", async () => {
    // Prepare
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    await seedActive(h, GLOBEX_ID, requestInput({ vendorId: 'globex', targets: [BILLING_2], ports: [] }));

    // Act
    const outcomes = await play(burst(threshold));

    // Assess
    expect(outcomes.at(-1)).toMatchObject({ outcome: 'locked-out', revokedGrants: [OTHER_ID] });
    expect(await statusOf(h, OTHER_ID)).toBe('REVOKED');
    expect(await statusOf(h, GLOBEX_ID)).toBe('ACTIVE');
    expect(h.aws.roles.has(`jit-${GLOBEX_ID}`)).toBe(true);
  });

  it("counts failed AssumeRole of a grant role from the vendor's own account, up to the lockout", async () => {
    // Prepare
    const events = Array.from({ length: threshold }, (_, i) =>
      failedAssumeRoleEvent({ ...stack, roleArn: roleArnOf(GRANT_ID), callerAccountId: ACME_ACCOUNT, at: at(10 + i) }),
    );

    // Act
    const outcomes = await play(events);

    // Assess
    expect(outcomes.at(-1)?.outcome).toBe('locked-out');
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });

  it('counts the same CloudTrail record once, however often EventBridge delivers it', async () => {
    // Prepare
    const record = denied(10);

    // Act
    const outcomes = await play(Array(threshold + 1).fill(record));

    // Assess
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(threshold + 1).fill('counted'));
    expect(outcomes.map((o) => (o.outcome === 'counted' ? o.firstTime : undefined))).toEqual([
      true,
      ...Array(threshold).fill(false),
    ]);
    expect(outcomes.at(-1)).toMatchObject({ attempts: 1 });
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('counts a CloudTrail event id once even when its records claim different times', async () => {
    // Prepare
    const records = Array.from({ length: threshold }, (_, i) => denied(10 + i, { eventId: 'one-cloudtrail-event' }));

    // Act
    const outcomes = await play(records);

    // Assess
    expect(outcomes.map((o) => (o.outcome === 'counted' ? o.firstTime : o.outcome))).toEqual([
      true,
      ...Array(threshold - 1).fill(false),
    ]);
    expect(await h.ledger.attemptsBetween('acme', at(0).toISOString(), at(60).toISOString())).toHaveLength(1);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('run twice with the record that locked the vendor out changes nothing the second time', async () => {
    // Prepare
    const events = burst(threshold);
    await play(events);
    h.aws.clearCallLog();
    const writes = h.ledger.writes.length;

    // Act
    const again = await play([events.at(-1) as CloudTrailEvent]);

    // Assess
    expect(again).toEqual([{ outcome: 'already-locked-out', grantId: GRANT_ID, vendorId: 'acme' }]);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.aws.published).toEqual([]);
    expect(h.ledger.writes.slice(writes).filter((w) => w !== 'recordAttempt')).toEqual([]);
  });

  it('of two records that cross the threshold together, exactly one revokes and locks', async () => {
    // Prepare
    await play(burst(threshold - 1));
    h.aws.clearCallLog();
    h.clock.set(at(20).toISOString());

    // Act
    const outcomes = await Promise.all([countAttempt(denied(15)), countAttempt(denied(16))]);

    // Assess
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['already-locked-out', 'locked-out']);
    expect(h.aws.countOf('DeleteRole')).toBe(1);
    expect(h.aws.published.filter((p) => p.subject.includes('LOCKOUT'))).toHaveLength(1);
  });

  it('does not count together attempts a window or more apart', async () => {
    // Prepare: one attempt every 4 minutes, so no 15-minute window holds more than 4.
    const spread = Array.from({ length: threshold + 2 }, (_, i) => denied(1 + 4 * i));

    // Act
    const outcomes = await play(spread);

    // Assess
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(threshold + 2).fill('counted'));
    expect(Math.max(...outcomes.map((o) => (o.outcome === 'counted' ? o.attempts : 0)))).toBe(4);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('ignores calls refused after the expiry: the policy clock refuses them, which is no attack', async () => {
    // Prepare
    const afterExpiry = Array.from({ length: threshold }, (_, i) => denied(60 + i));

    // Act
    const outcomes = await play(afterExpiry);

    // Assess
    expect(outcomes[0]).toEqual({
      outcome: 'ignored',
      why: `made at 2030-03-01T10:00:00.000Z, after grant ${GRANT_ID} expired at 2030-03-01T10:00:00.000Z`,
      grantId: GRANT_ID,
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(threshold).fill('ignored'));
    expect(await h.ledger.attemptsBetween('acme', at(0).toISOString(), at(120).toISOString())).toEqual([]);
  });

  const FORGED: readonly (readonly [string, () => CloudTrailEvent])[] = [
    ['a role outside the stack path', () => denied(10, { roleArn: roleArnOf(GRANT_ID, '/other/') })],
    ['a role nested under the path', () => denied(10, { roleArn: roleArnOf(GRANT_ID, '/jit-access/deeper/') })],
    ['a role of another account', () => denied(10, { roleArn: roleArnOf(GRANT_ID, '/jit-access/', '999988887777') })],
    ['a record of another account', () => denied(10, { accountId: '999988887777', roleArn: roleArnOf(GRANT_ID) })],
    ['a throttled call (no denial)', () => denied(10, { errorCode: 'ThrottlingException' })],
    ['a failed call that was no denial', () => denied(10, { errorCode: 'ValidationException' })],
    ['a record put on the bus by someone', () => ({ ...denied(10), source: 'custom.cloudtrail' })],
    [
      'a session ARN of another role',
      () => {
        const event = denied(10);
        const detail = event.detail as { userIdentity: { arn: string } };
        return {
          ...event,
          detail: {
            ...detail,
            userIdentity: { ...detail.userIdentity, arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/Admin/x` },
          },
        };
      },
    ],
    [
      'a failed AssumeRole from an account that is not the vendor’s',
      () =>
        failedAssumeRoleEvent({ ...stack, roleArn: roleArnOf(GRANT_ID), callerAccountId: '999988887777', at: at(10) }),
    ],
    [
      'a failed AssumeRole of a role outside the path',
      () =>
        failedAssumeRoleEvent({
          ...stack,
          roleArn: roleArnOf(GRANT_ID, '/other/'),
          callerAccountId: ACME_ACCOUNT,
          at: at(10),
        }),
    ],
  ];

  it.each(FORGED)('ignores %s, however many arrive', async (_, forge) => {
    // Prepare
    const events = Array.from({ length: threshold + 1 }, forge);

    // Act
    const outcomes = await play(events);

    // Assess
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(threshold + 1).fill('ignored'));
    expect(await h.ledger.attemptsBetween('acme', at(0).toISOString(), at(60).toISOString())).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('ignores a record of a grant role whose grant the ledger does not hold, and writes nothing', async () => {
    // Prepare
    const writes = h.ledger.writes.length;

    // Act
    const outcomes = await play([denied(10, { roleArn: roleArnOf('grant-never-made') })]);

    // Assess
    expect(outcomes).toEqual([
      { outcome: 'ignored', why: 'no grant grant-never-made in the ledger', grantId: 'grant-never-made' },
    ]);
    expect(h.ledger.writes).toHaveLength(writes);
  });

  it('finishes a lockout that stopped half-way when its own record is delivered again', async () => {
    // Prepare: the approvers' notice fails once, after the grant was revoked and the vendor disabled.
    h.aws.failWhen<{ Subject?: string }>('Publish', (input) => Boolean(input.Subject?.includes('LOCKOUT')), {
      times: 1,
    });
    const events = burst(threshold);
    await play(events.slice(0, -1));
    const stopped = await rejectionOf(play([events.at(-1) as CloudTrailEvent]));
    const halfWay = await h.ledger.getGrant(GRANT_ID);

    // Act
    const again = await play([events.at(-1) as CloudTrailEvent]);

    // Assess
    expect(stopped.name).toBe('AccessDenied');
    expect(halfWay?.lockout?.completedAt).toBeUndefined();
    expect(again).toEqual([
      { outcome: 'locked-out', grantId: GRANT_ID, vendorId: 'acme', attempts: threshold, revokedGrants: [] },
    ]);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.lockout?.completedAt).toBeDefined();
    expect(grant?.history.at(-1)?.event).toBe('lockout complete: vendor acme locked, approvers notified');
    expect(h.aws.published.filter((p) => p.subject.includes('LOCKOUT'))).toHaveLength(1);
    expect(await vendorState()).toMatchObject({ disabled: true, actor: LOCKOUT_ACTOR });
  });

  it('leaves a lockout stopped half-way to its own record: another record of the grant changes nothing', async () => {
    // Prepare: the approvers' notice fails once, after the grant was revoked and the vendor disabled.
    h.aws.failWhen<{ Subject?: string }>('Publish', (input) => Boolean(input.Subject?.includes('LOCKOUT')), {
      times: 1,
    });
    const events = burst(threshold);
    await play(events.slice(0, -1));
    await rejectionOf(play([events.at(-1) as CloudTrailEvent]));
    h.aws.clearCallLog();

    // Act
    const other = await play([denied(20)]);

    // Assess
    expect(other).toEqual([{ outcome: 'already-locked-out', grantId: GRANT_ID, vendorId: 'acme' }]);
    expect(h.aws.published).toEqual([]);
    expect((await h.ledger.getGrant(GRANT_ID))?.lockout?.completedAt).toBeUndefined();
  });

  it('tells people the vendor was disabled by the lockout, with the lockout as the reason', async () => {
    // Act
    await play(burst(threshold));

    // Assess
    expect(h.aws.published.filter((p) => p.subject === 'jit-access: vendor acme disabled')).toEqual([
      {
        subject: 'jit-access: vendor acme disabled',
        message: `Vendor acme was disabled by system:lockout. Reason: "lockout: ${threshold} denied attempts within 15 minutes (grant ${GRANT_ID})"\nGrants revoked: none`,
      },
    ]);
  });

  it('counts attempts from before another vendor was enabled again: only its own unlock restarts the count', async () => {
    // Prepare: globex is disabled and enabled again between acme's attempts.
    await play(burst(threshold - 1));
    await callApi(h, 'disableVendor', ERIN, { params: { vendorId: 'globex' }, body: { reason: 'audit' } });
    h.clock.set(at(14).toISOString());
    await callApi(h, 'enableVendor', ERIN, { params: { vendorId: 'globex' }, body: { reason: 'audit done' } });

    // Act
    const [outcome] = await play([denied(15)]);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'locked-out', grantId: GRANT_ID, attempts: threshold });
  });

  it("ignores a failed AssumeRole of a globex grant from acme's account: only the grant's own vendor counts", async () => {
    // Prepare
    await seedActive(h, GLOBEX_ID, requestInput({ vendorId: 'globex', targets: [BILLING_2], ports: [] }));
    const event = failedAssumeRoleEvent({
      ...stack,
      roleArn: roleArnOf(GLOBEX_ID),
      callerAccountId: ACME_ACCOUNT,
      at: at(10),
    });

    // Act
    const outcomes = await play([event]);

    // Assess
    expect(outcomes).toEqual([
      { outcome: 'ignored', why: `account ${ACME_ACCOUNT} is not in an account of vendor globex`, grantId: GLOBEX_ID },
    ]);
    expect(await h.ledger.attemptsBetween('globex', at(0).toISOString(), at(60).toISOString())).toEqual([]);
  });

  it('ignores a failed AssumeRole of a grant whose vendor left the config: no account is the vendor’s any more', async () => {
    // Prepare
    const config = h.deps.settings.config;
    const withoutAcme = { ...config, vendors: config.vendors.filter((v) => v.id !== 'acme') };
    countAttempt = createLockoutHandler(() => ({ ...h.deps, settings: { ...h.deps.settings, config: withoutAcme } }));
    const event = failedAssumeRoleEvent({
      ...stack,
      roleArn: roleArnOf(GRANT_ID),
      callerAccountId: ACME_ACCOUNT,
      at: at(10),
    });

    // Act
    const outcomes = await play([event]);

    // Assess
    expect(outcomes).toEqual([
      { outcome: 'ignored', why: `account ${ACME_ACCOUNT} is not in an account of vendor acme`, grantId: GRANT_ID },
    ]);
  });

  it('revokes the grant of a vendor no longer in the config without disabling it (the sweeper takes the rest)', async () => {
    // Prepare
    const config = h.deps.settings.config;
    const withoutAcme = { ...config, vendors: config.vendors.filter((v) => v.id !== 'acme') };
    countAttempt = createLockoutHandler(() => ({ ...h.deps, settings: { ...h.deps.settings, config: withoutAcme } }));

    // Act
    const outcomes = await play(burst(threshold));

    // Assess
    expect(outcomes.at(-1)).toEqual({
      outcome: 'locked-out',
      grantId: GRANT_ID,
      vendorId: 'acme',
      attempts: threshold,
      revokedGrants: [],
    });
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(await vendorState()).toBeUndefined();
    expect(h.aws.published.filter((p) => p.subject.includes('LOCKOUT'))).toHaveLength(1);
  });

  it('ignores records of a grant that has ended', async () => {
    // Prepare
    await callApi(h, 'revoke', ERIN, { params: { grantId: GRANT_ID }, body: { reason: 'the vendor is done' } });
    h.aws.clearCallLog();

    // Act
    const outcomes = await play(burst(threshold));

    // Assess
    expect(outcomes).toEqual(
      Array(threshold).fill({
        outcome: 'ignored',
        why: `grant ${GRANT_ID} is REVOKED: it no longer counts attempts`,
        grantId: GRANT_ID,
      }),
    );
    expect(await vendorState()).toBeUndefined();
  });
});

describe('a locked-out vendor, and POST /vendors/{vendorId}/unlock', () => {
  beforeEach(async () => {
    await play(burst(threshold));
  });

  it('refuses new requests for the vendor with 409 VENDOR_DISABLED naming vendorId', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'VENDOR_DISABLED', field: 'vendorId' });
    expect(answer.body.error.message).toContain('jit-access vendor unlock acme');
  });

  it("accepts requests again once an admin unlocks it, and records the admin's signed identity and reason", async () => {
    // Act
    const answer = await unlock();

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('unlockVendor', answer.body)).toEqual({ vendorId: 'acme', enabled: true, revokedGrants: [] });
    expect((await h.ledger.vendorHistory('acme')).at(-1)).toMatchObject({
      disabled: false,
      actor: 'erin',
      reason: 'unlocked: the attempts were a misconfigured script',
    });
    expect(h.aws.published.at(-1)).toEqual({
      subject: 'jit-access: vendor acme unlocked',
      message:
        `Vendor acme was unlocked by erin after a lockout (lockout: ${threshold} denied attempts within 15 minutes (grant ${GRANT_ID})). ` +
        'Reason: "the attempts were a misconfigured script"\nDenied attempts are counted afresh from now.',
    });
    expect((await callApi(h, 'createRequest', DANA, { body: requestBody() })).status).toBe(202);
  });

  it('counts attempts afresh after the unlock: those before it never count again', async () => {
    // Prepare
    await unlock();
    h.clock.set(at(18).toISOString());
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));

    // Act: within 15 minutes of the attempts that locked the vendor out.
    const [outcome] = await play([denied(19, { roleArn: roleArnOf(OTHER_ID) })]);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'counted', grantId: OTHER_ID, attempts: 1 });
    expect(await statusOf(h, OTHER_ID)).toBe('ACTIVE');
  });

  it('run twice writes nothing and tells nobody the second time', async () => {
    // Prepare
    await unlock();
    h.aws.clearCallLog();
    const before = writeCounts(h);

    // Act
    const second = await unlock();

    // Assess
    expect(second.status).toBe(200);
    expect(parsedResponse('unlockVendor', second.body)).toEqual({ vendorId: 'acme', enabled: true, revokedGrants: [] });
    expect(writeCounts(h)).toEqual(before);
    expect(h.aws.published).toEqual([]);
  });

  it('refuses without a reason with 400 naming the field reason, and writes nothing', async () => {
    // Prepare
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'unlockVendor', ERIN, { params: { vendorId: 'acme' }, body: {} });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.field).toBe('reason');
    expect(writeCounts(h)).toEqual(before);
    expect((await vendorState())?.disabled).toBe(true);
  });

  it('refuses a non-admin with 403 NOT_AN_ADMIN, and the vendor stays locked', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'unlockVendor', DANA, {
      params: { vendorId: 'acme' },
      body: { reason: 'we need them today' },
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('NOT_AN_ADMIN');
    expect((await vendorState())?.disabled).toBe(true);
  });

  it('is not undone by "vendor enable": 409 LOCKED_OUT points to unlock', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'enableVendor', ERIN, {
      params: { vendorId: 'acme' },
      body: { reason: 'the contract was renewed' },
    });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'LOCKED_OUT', field: 'vendorId' });
    expect(answer.body.error.message).toContain('jit-access vendor unlock acme');
    expect((await vendorState())?.disabled).toBe(true);
  });
});

describe('POST /vendors/{vendorId}/unlock of a vendor that is not locked out', () => {
  it('refuses a vendor an admin disabled with 409 NOT_LOCKED_OUT pointing to enable, and writes nothing', async () => {
    // Prepare
    await callApi(h, 'disableVendor', ERIN, { params: { vendorId: 'acme' }, body: { reason: 'the contract ended' } });
    const before = writeCounts(h);

    // Act
    const answer = await unlock();

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ error: { code: 'NOT_LOCKED_OUT', field: 'vendorId' } });
    expect((answer.body as ErrorBody).error.message).toContain('jit-access vendor enable acme');
    expect(writeCounts(h)).toEqual(before);
  });
});

describe('lockout: what an invocation leaves in the logs and the metrics', () => {
  /** The message and the handler's own keys of each line the logger wrote at info level, in order. */
  const logs = capturedInfoLogs();
  const loggedLines = () => logs.pick('message', 'eventId', 'outcome');

  afterEach(() => metrics.clearMetrics());

  it("ends its log with a line naming the CloudTrail event id and the attempt's outcome", async () => {
    // Prepare
    const event = denied(10, { eventId: 'event-lockout-log-0001' });

    // Act
    await play([event]);

    // Assess
    expect(loggedLines().at(-1)).toEqual({
      message: 'denied attempt handled',
      eventId: 'event-lockout-log-0001',
      outcome: { outcome: 'counted', grantId: GRANT_ID, vendorId: 'acme', attempts: 1, firstTime: true },
    });
  });

  it('logs a record it does not count with the reason and the grant it names', async () => {
    // Act
    await play([denied(10, { roleArn: roleArnOf('grant-never-made') })]);

    // Assess
    const lines = logs.pick('message', 'why', 'grantId');
    const notCounted = lines.filter((l) => l.message === 'CloudTrail record not counted as a denied attempt');
    expect(notCounted.map(({ why, grantId }) => ({ why, grantId }))).toEqual([
      { why: 'no grant grant-never-made in the ledger', grantId: 'grant-never-made' },
    ]);
  });

  it('warns when the attempts cross the threshold, naming the grant, the vendor and the attempts', async () => {
    // Prepare
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    // Act
    await play(burst(threshold));

    // Assess
    const lines = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines.map(({ message, grantId, vendorId, attempts }) => ({ message, grantId, vendorId, attempts }))).toEqual(
      [
        {
          message: 'denied attempts crossed the lockout threshold: revoking the grant and locking the vendor',
          grantId: GRANT_ID,
          vendorId: 'acme',
          attempts: threshold,
        },
      ],
    );
  });

  it('counts a record delivered again in no metric the second time', async () => {
    // Prepare
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const record = denied(10);

    // Act
    await play([record, record]);

    // Assess
    expect(addMetric.mock.calls).toEqual([['DeniedAttemptsCounted', 'Count', 1]]);
  });

  it('flushes the metric the attempt recorded before it answers', async () => {
    // Prepare
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    await play([denied(10)]);

    // Assess
    expect(addMetric.mock.calls).toEqual([['DeniedAttemptsCounted', 'Count', 1]]);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});
