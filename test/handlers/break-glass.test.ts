import {
  ALICE,
  BILLING_1,
  BILLING_2,
  BOB,
  callApi,
  createHarness,
  DANA,
  ERIN,
  requestBody,
  requestInput,
  seedActive,
  statusOf,
  type Harness,
} from '../helpers/handler-deps';
import { parsedResponse, type ErrorBody } from './api/support';

const GRANT_ID = 'grant-break-glass-0001';
const ROLE_NAME = `jit-${GRANT_ID}`;
const REVIEW_BY = '2030-03-02T09:00:00.000Z';
const AFTER_REVIEW_DEADLINE = '2030-03-02T09:01:00.000Z';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

/** Erin's break-glass grant made the way the workflow makes it: validate, record (no token), grant. */
async function breakGlassGrant(): Promise<void> {
  const input = requestInput({ requester: ERIN, breakGlass: true });
  const validated = await h.handlers.validateRequest({ input, grantId: GRANT_ID });
  await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });
  await h.handlers.grant({ grantId: GRANT_ID });
  h.aws.clearCallLog();
}

const vote = (route: 'approve' | 'deny', caller = ALICE) =>
  callApi(h, route, caller, {
    params: { grantId: GRANT_ID },
    body: route === 'deny' ? { reason: 'this was no emergency' } : { comment: 'the incident justified it' },
  });

describe('a break-glass grant', () => {
  it('is requested through the API by a break-glass person and starts a workflow marked break-glass', async () => {
    // Act
    const answer = await callApi(h, 'createRequest', ERIN, { body: requestBody({ breakGlass: true }) });

    // Assess
    expect(answer.status).toBe(202);
    expect(h.aws.executions[0]?.input).toMatchObject({ breakGlass: true, requester: { person: 'erin' } });
  });

  it('is granted without any vote', async () => {
    // Act
    await breakGlassGrant();

    // Assess
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
    expect(h.aws.roles.has(ROLE_NAME)).toBe(true);
    expect(await h.ledger.listVotes(GRANT_ID)).toEqual([]);
  });

  it('stays under review after one approval afterwards', async () => {
    // Prepare
    await breakGlassGrant();

    // Act
    const answer = await vote('approve', ALICE);

    // Assess
    expect(parsedResponse('approve', answer.body)).toEqual({
      grantId: GRANT_ID,
      status: 'ACTIVE',
      approvals: ['alice'],
      needed: 2,
      review: 'PENDING',
    });
  });

  it('is reviewed APPROVED by two approvers afterwards, and the access stays in place', async () => {
    // Prepare
    await breakGlassGrant();
    await vote('approve', ALICE);

    // Act
    const answer = await vote('approve', BOB);

    // Assess
    expect(parsedResponse('approve', answer.body)).toMatchObject({ status: 'ACTIVE', review: 'APPROVED' });
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({
      status: 'ACTIVE',
      approvals: ['alice', 'bob'],
      breakGlass: { reviewBy: REVIEW_BY, review: 'APPROVED' },
    });
    expect(h.aws.taskCallbacks).toEqual([]);
    expect(h.aws.roles.has(ROLE_NAME)).toBe(true);
  });

  it('reviewed APPROVED, is no longer due for review', async () => {
    // Prepare
    await breakGlassGrant();
    await vote('approve', ALICE);

    // Act
    await vote('approve', BOB);

    // Assess
    expect(await h.ledger.reviewsDueBy(AFTER_REVIEW_DEADLINE)).toEqual([]);
  });

  it('once reviewed, is not flagged by the sweeper after the deadline and its vendor stays enabled', async () => {
    // Prepare
    await breakGlassGrant();
    await vote('approve', ALICE);
    await vote('approve', BOB);
    h.clock.set(AFTER_REVIEW_DEADLINE);

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.overdueReviews).toEqual([]);
    expect(await h.ledger.vendorStates()).toEqual([]);
    expect((await h.ledger.getGrant(GRANT_ID))?.breakGlass?.review).toBe('APPROVED');
  });

  it('is revoked at once when an approver denies it afterwards', async () => {
    // Prepare
    await breakGlassGrant();
    h.aws.startSession('emergency-session', ROLE_NAME, BILLING_1);

    // Act
    const answer = await vote('deny', BOB);

    // Assess
    expect(parsedResponse('deny', answer.body)).toMatchObject({ status: 'REVOKED', review: 'DENIED' });
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'denied',
      breakGlass: { review: 'DENIED' },
    });
    expect(h.aws.sessions.map((s) => s.status)).toEqual(['Terminated']);
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('denied, is no longer due for review', async () => {
    // Prepare
    await breakGlassGrant();

    // Act
    await vote('deny', BOB);

    // Assess
    expect(await h.ledger.reviewsDueBy(AFTER_REVIEW_DEADLINE)).toEqual([]);
  });

  it('left unreviewed past the deadline, is flagged OVERDUE by the sweeper and its vendor disabled', async () => {
    // Prepare
    await breakGlassGrant();
    h.clock.set(AFTER_REVIEW_DEADLINE);

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.overdueReviews).toEqual([GRANT_ID]);
    expect((await h.ledger.getGrant(GRANT_ID))?.breakGlass).toEqual({ reviewBy: REVIEW_BY, review: 'OVERDUE' });
    expect(await h.ledger.vendorStates()).toEqual([
      expect.objectContaining({ vendorId: 'acme', disabled: true, actor: 'sweeper' }),
    ]);
  });

  it('left unreviewed past the deadline, ends every live grant of the vendor and refuses new requests', async () => {
    // Prepare
    await breakGlassGrant();
    h.clock.set(REVIEW_BY);
    await seedActive(h, 'grant-after-break-glass', requestInput({ targets: [BILLING_2] }));
    h.clock.set(AFTER_REVIEW_DEADLINE);

    // Act
    await h.handlers.sweeper();

    // Assess
    expect(await h.ledger.getGrant('grant-after-break-glass')).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'vendor-disabled',
    });
    const request = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: requestBody() });
    expect(request.status).toBe(409);
    expect(request.body.error.code).toBe('VENDOR_DISABLED');
  });

  it('left unreviewed, is not flagged before the deadline', async () => {
    // Prepare
    await breakGlassGrant();
    h.clock.set('2030-03-02T08:59:00.000Z');

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.overdueReviews).toEqual([]);
    expect((await h.ledger.getGrant(GRANT_ID))?.breakGlass?.review).toBe('PENDING');
    expect(await h.ledger.vendorStates()).toEqual([]);
  });

  it('flagged OVERDUE, takes no more review votes', async () => {
    // Prepare
    await breakGlassGrant();
    h.clock.set(AFTER_REVIEW_DEADLINE);
    await h.handlers.sweeper();

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', ALICE, { params: { grantId: GRANT_ID } });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('NOT_PENDING');
  });

  it('flagged OVERDUE, a second sweep changes nothing', async () => {
    // Prepare
    await breakGlassGrant();
    h.clock.set(AFTER_REVIEW_DEADLINE);
    await h.handlers.sweeper();
    const afterFirst = await h.ledger.getGrant(GRANT_ID);
    h.aws.clearCallLog();

    // Act
    const second = await h.handlers.sweeper();

    // Assess
    expect(second.overdueReviews).toEqual([]);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await h.ledger.getGrant(GRANT_ID)).toEqual(afterFirst);
  });
});

describe('a break-glass review deadline note the sweeper finds', () => {
  const EARLIER_DEADLINE = '2030-03-01T12:00:00.000Z';

  it('that its grant missed, flags the grant and disables the vendor, saying why in each', async () => {
    // Prepare
    await breakGlassGrant();
    h.clock.set(AFTER_REVIEW_DEADLINE);

    // Act
    await h.handlers.sweeper();

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toContainEqual(
      expect.objectContaining({
        actor: 'sweeper',
        event: `break-glass review overdue since ${REVIEW_BY}: flagged`,
      }),
    );
    expect(await h.ledger.vendorStates()).toEqual([
      expect.objectContaining({ reason: `break-glass grant ${GRANT_ID} was not reviewed by ${REVIEW_BY}` }),
    ]);
  });

  it('that outlived the review of its grant, is dropped: nothing is flagged and the vendor stays enabled', async () => {
    // Prepare: the review happened, but the note is still there (its removal failed).
    await breakGlassGrant();
    await vote('approve', ALICE);
    await vote('approve', BOB);
    await h.ledger.addReviewDue({ grantId: GRANT_ID, reviewBy: REVIEW_BY });
    h.clock.set(AFTER_REVIEW_DEADLINE);

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.overdueReviews).toEqual([]);
    expect(await h.ledger.vendorStates()).toEqual([]);
    expect(await h.ledger.reviewsDueBy(AFTER_REVIEW_DEADLINE)).toEqual([]);
  });

  it("with another deadline than its grant's (a retried step replaced it), is dropped before the grant's own", async () => {
    // Prepare
    await breakGlassGrant();
    await h.ledger.addReviewDue({ grantId: GRANT_ID, reviewBy: EARLIER_DEADLINE });
    h.clock.set('2030-03-01T12:01:00.000Z');

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.overdueReviews).toEqual([]);
    expect((await h.ledger.getGrant(GRANT_ID))?.breakGlass).toEqual({ reviewBy: REVIEW_BY, review: 'PENDING' });
    expect(await h.ledger.vendorStates()).toEqual([]);
    expect(await h.ledger.reviewsDueBy(AFTER_REVIEW_DEADLINE)).toEqual([{ grantId: GRANT_ID, reviewBy: REVIEW_BY }]);
  });

  it('of a grant the ledger does not know, is dropped without a failure', async () => {
    // Prepare
    await h.ledger.addReviewDue({ grantId: 'grant-unknown-0001', reviewBy: EARLIER_DEADLINE });
    h.clock.set(AFTER_REVIEW_DEADLINE);

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.overdueReviews).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(await h.ledger.reviewsDueBy(AFTER_REVIEW_DEADLINE)).toEqual([]);
  });
});
