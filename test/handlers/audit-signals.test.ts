import { decide } from '../../lambdas/lifecycle/decision';
import { teardownGrant } from '../../lambdas/lifecycle/teardown';
import { createLockoutHandler } from '../../lambdas/handlers/lockout';
import { createSweeperHandler } from '../../lambdas/handlers/sweeper';
import { AUDIT_EVENTS, type AuditEventName } from '../../lambdas/shared/audit-log';
import { logger, metrics } from '../../lambdas/shared/powertools';
import { deniedCallEvent } from '../../scripts/local-aws/cloudtrail-events';
import {
  ACCOUNT_ID,
  ALICE,
  BILLING_2,
  BOB,
  createHarness,
  DANA,
  ERIN,
  REGION,
  requestInput,
  seedActive,
  seedApproved,
  seedPending,
  taskTokenFor,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-signals-0001';
const OTHER_ID = 'grant-signals-0002';
/** Every grant of this file starts at T0 (09:00) for one hour. */
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';

let h: Harness;
let addMetric: jest.SpiedFunction<typeof metrics.addMetric>;
let info: jest.SpiedFunction<typeof logger.info>;
beforeEach(() => {
  h = createHarness();
  addMetric = jest.spyOn(metrics, 'addMetric');
  info = jest.spyOn(logger, 'info');
});
afterEach(() => {
  h.restore();
  jest.restoreAllMocks();
});

/** The values published for one metric, in order. */
const published = (name: string) => addMetric.mock.calls.filter(([metric]) => metric === name).map(([, , v]) => v);

/** The attributes of every audit line of one event, in order. */
function auditLines(event: AuditEventName): Record<string, unknown>[] {
  return info.mock.calls
    .filter(([message]) => message === AUDIT_EVENTS[event].message)
    .map(([, attributes]) => attributes as unknown as Record<string, unknown>);
}

describe('requests, approvals and denials', () => {
  it('counts a request once and logs who asked, for which vendor, with the ticket', async () => {
    // Act
    const state = await seedPending(h, GRANT_ID);
    await h.handlers.requestApproval({ grantId: GRANT_ID, request: state.request, taskToken: taskTokenFor(GRANT_ID) });

    // Assess
    expect(published('GrantsRequested')).toEqual([1]);
    expect(auditLines('grantRequested')).toEqual([
      { grantId: GRANT_ID, vendorId: 'acme', requester: DANA.person, breakGlass: false, ticket: state.request.ticket },
    ]);
  });

  it('logs each vote with the approver, and counts the grant approved once when the last vote arrives', async () => {
    // Act
    await seedApproved(h, GRANT_ID);

    // Assess
    expect(published('GrantsApproved')).toEqual([1]);
    expect(auditLines('voteRecorded')).toEqual([
      { grantId: GRANT_ID, vendorId: 'acme', approver: ALICE.person, decision: 'approve', breakGlass: false },
      { grantId: GRANT_ID, vendorId: 'acme', approver: BOB.person, decision: 'approve', breakGlass: false },
    ]);
  });

  it('counts a denied grant and logs the denier', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);

    // Act
    await decide(h.deps, GRANT_ID, ALICE, 'deny', 'not this week');

    // Assess
    expect(published('GrantsDenied')).toEqual([1]);
    expect(published('GrantsApproved')).toEqual([]);
    expect(auditLines('voteRecorded')).toEqual([expect.objectContaining({ approver: 'alice', decision: 'deny' })]);
  });

  it('logs a break-glass request as such', async () => {
    // Prepare
    const input = requestInput({ requester: ERIN, breakGlass: true });
    const validated = await h.handlers.validateRequest({ input, grantId: GRANT_ID });

    // Act
    await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });

    // Assess
    expect(published('BreakGlassGrants')).toEqual([1]);
    expect(auditLines('grantRequested')).toEqual([
      expect.objectContaining({ grantId: GRANT_ID, requester: ERIN.person, breakGlass: true }),
    ]);
  });
});

describe('revoke', () => {
  it('logs the teardown duration and the lag after expiry once, though the schedule fires twice', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.clock.set('2030-03-01T10:00:42.000Z');

    // Act
    await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });
    await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });

    // Assess
    const [line, ...more] = auditLines('revokeFinished');
    expect(more).toEqual([]);
    expect(line).toMatchObject({ grantId: GRANT_ID, vendorId: 'acme', reason: 'expiry', clean: true });
    expect(line?.secondsAfterExpiry).toBe(42);
    expect(line?.teardownSeconds).toBeGreaterThanOrEqual(0);
    expect(published('TimeToRevokeSeconds')).toEqual([42]);
  });

  it('logs no lag for a grant ended before its expiry', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);

    // Act
    await teardownGrant(h.deps, GRANT_ID, 'kill-switch', ALICE);

    // Assess
    const [line] = auditLines('revokeFinished');
    expect(line).toMatchObject({ reason: 'kill-switch', clean: true });
    expect(line).not.toHaveProperty('secondsAfterExpiry');
    expect(published('TimeToRevokeSeconds')).toEqual([]);
  });
});

describe('the sweeper', () => {
  it('publishes how many grants are live, for the dashboard', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    const sweep = createSweeperHandler(() => h.deps);

    // Act
    await sweep();
    h.clock.set(EXPIRES_AT);
    await sweep();

    // Assess
    expect(published('ActiveGrants')).toEqual([2, 0]);
  });
});

describe('lockout', () => {
  it('logs each denied attempt of a grant role once, with the action refused', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    const countAttempt = createLockoutHandler(() => h.deps);
    const event = deniedCallEvent({
      accountId: ACCOUNT_ID,
      region: REGION,
      roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/jit-access/jit-${GRANT_ID}`,
      at: new Date('2030-03-01T09:10:00.000Z'),
    });
    h.clock.set('2030-03-01T09:12:00.000Z');

    // Act
    await countAttempt(event);
    await countAttempt(event);

    // Assess
    expect(auditLines('deniedAttempt')).toEqual([
      expect.objectContaining({
        grantId: GRANT_ID,
        vendorId: 'acme',
        action: expect.stringMatching(/^ssm:/),
        errorCode: 'AccessDeniedException',
        attempts: 1,
      }),
    ]);
  });
});

describe('every audit line', () => {
  it('carries only the fields its event declares, the fields the saved queries read', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.clock.set(EXPIRES_AT);

    // Act
    await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });

    // Assess
    const lines = (Object.keys(AUDIT_EVENTS) as AuditEventName[]).flatMap((event) =>
      auditLines(event).map((attributes) => ({ event, keys: Object.keys(attributes) })),
    );
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const { event, keys } of lines) {
      expect(AUDIT_EVENTS[event].fields).toEqual(expect.arrayContaining(keys));
    }
  });
});
