import { decide } from '../../../lambdas/lifecycle/decision';
import {
  ALICE,
  BOB,
  CAROL,
  callApi,
  createHarness,
  DANA,
  rejectionOf,
  seedPending,
  statusOf,
  taskTokenFor,
  requestInput,
  type Harness,
} from '../../helpers/handler-deps';
import { exampleConfig } from '../../helpers/config-fixture';
import { parsedResponse, writeCounts, type ErrorBody } from './support';

const GRANT_ID = 'grant-decide-0001';
const TOKEN = taskTokenFor(GRANT_ID);
const onGrant = { params: { grantId: GRANT_ID } };

let h: Harness;
beforeEach(async () => {
  h = createHarness();
  await seedPending(h, GRANT_ID);
  h.aws.clearCallLog();
});
afterEach(() => h.restore());

const approve = (caller = ALICE, comment?: string) =>
  callApi(h, 'approve', caller, { ...onGrant, body: comment ? { comment } : {} });
const deny = (caller = BOB, reason = 'no change window today') =>
  callApi(h, 'deny', caller, { ...onGrant, body: { reason } });

describe('POST /grants/{grantId}/approve', () => {
  it('keeps the grant PENDING after one of two approvals and answers the workflow nothing', async () => {
    // Act
    const answer = await approve(ALICE);

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('approve', answer.body)).toEqual({
      grantId: GRANT_ID,
      status: 'PENDING',
      approvals: ['alice'],
      needed: 2,
    });
    expect(h.aws.taskCallbacks).toEqual([]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(TOKEN);
  });

  it('records the vote as the signed caller, with the hash of the plan approvers were shown', async () => {
    // Act
    await approve(CAROL, 'plan hash checked');

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(await h.ledger.listVotes(GRANT_ID)).toEqual([
      {
        person: 'carol',
        arn: CAROL.arn,
        decision: 'approve',
        at: '2030-03-01T09:00:00.000Z',
        planHash: grant?.planHash,
        comment: 'plan hash checked',
      },
    ]);
    expect(grant?.history.at(-1)).toMatchObject({
      actor: 'carol',
      actorArn: CAROL.arn,
      event: 'approved: "plan hash checked"',
    });
  });

  it('approves with two distinct approvers and sends exactly one SendTaskSuccess naming them', async () => {
    // Prepare
    await approve(ALICE);

    // Act
    const answer = await approve(BOB);

    // Assess
    expect(parsedResponse('approve', answer.body)).toMatchObject({ status: 'APPROVED', approvals: ['alice', 'bob'] });
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'success', taskToken: TOKEN, output: { approvedBy: ['alice', 'bob'] } },
    ]);
  });

  it('removes the task token from the ledger once the workflow is answered', async () => {
    // Prepare
    await approve(ALICE);

    // Act
    await approve(BOB);

    // Assess
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('the last approval sent twice answers the workflow once: the second is a 409 NOT_PENDING', async () => {
    // Prepare
    await approve(ALICE);
    await approve(BOB);
    const before = writeCounts(h);

    // Act
    const again = await callApi<ErrorBody>(h, 'approve', BOB, onGrant);

    // Assess
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('NOT_PENDING');
    expect(h.aws.countOf('SendTaskSuccess')).toBe(1);
    expect(writeCounts(h).awsMutatingCalls).toBe(before.awsMutatingCalls);
  });

  it('refuses an approval that arrives after the grant was approved with 409 NOT_PENDING, and sends nothing', async () => {
    // Prepare
    await approve(ALICE);
    await approve(BOB);
    h.aws.clearCallLog();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', CAROL, onGrant);

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('NOT_PENDING');
    expect(writeCounts(h)).toEqual(before);
  });

  it('sends exactly one SendTaskSuccess when the last two votes arrive at once', async () => {
    // Prepare
    await approve(ALICE);

    // Act
    const answers = await Promise.all([approve(BOB), approve(CAROL)]);

    // Assess
    expect(h.aws.countOf('SendTaskSuccess')).toBe(1);
    expect(answers.map((a) => parsedResponse('approve', a.body).status)).toEqual(['APPROVED', 'APPROVED']);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
  });

  it('the last approval retried after SendTaskSuccess failed still answers the workflow', async () => {
    // Prepare
    await approve(ALICE);
    h.aws.failOn('SendTaskSuccess');
    const failed = await approve(BOB);

    // Act
    await approve(BOB);

    // Assess
    expect(failed.status).toBe(500);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'success', taskToken: TOKEN, output: { approvedBy: ['alice', 'bob'] } },
    ]);
  });

  it('a retry that answered the workflow after a failed SendTaskSuccess is the last: one more is 409 NOT_PENDING', async () => {
    // Prepare
    await approve(ALICE);
    h.aws.failOn('SendTaskSuccess');
    await approve(BOB);
    const retried = await approve(BOB);

    // Act
    const again = await approve(ALICE);

    // Assess
    expect(retried.status).toBe(200);
    expect(again.status).toBe(409);
    expect((again.body as ErrorBody).error.code).toBe('NOT_PENDING');
    expect(h.aws.taskCallbacks).toHaveLength(1);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('refuses a second vote of the same approver with 409 DUPLICATE_VOTE saying one vote per person', async () => {
    // Prepare
    await approve(ALICE);
    const votes = await h.ledger.listVotes(GRANT_ID);

    // Act
    const again = await callApi<ErrorBody>(h, 'approve', ALICE, onGrant);

    // Assess
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({
      code: 'DUPLICATE_VOTE',
      message: `alice has already voted on ${GRANT_ID}: one vote per person`,
    });
    expect(await h.ledger.listVotes(GRANT_ID)).toEqual(votes);
  });

  it("does not let the requester's own approval send the answer a failed SendTaskSuccess left unsent", async () => {
    // Prepare: alice, an approver, sponsors acme too and requested the grant.
    h.restore();
    h = createHarness({ config: exampleConfig((raw) => raw.vendors[0]?.sponsors.push('alice')) });
    await seedPending(h, GRANT_ID, requestInput({ requester: ALICE }));
    await approve(BOB);
    h.aws.failOn('SendTaskSuccess');
    await approve(CAROL);
    h.aws.clearCallLog();

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', ALICE, onGrant);

    // Assess: refused as the requester's own vote.
    expect(answer.status).toBe(403);
    expect(h.aws.taskCallbacks).toEqual([]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(TOKEN);
  });

  it('answers 404 UNKNOWN_GRANT for a grant that does not exist', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', ALICE, { params: { grantId: 'grant-never-made' } });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error).toEqual({
      code: 'UNKNOWN_GRANT',
      message: 'there is no grant grant-never-made: check the id',
    });
  });

  it('refuses a grant id that is not one with 400 naming grantId', async () => {
    // Prepare
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', ALICE, { params: { grantId: 'G_1' } });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_FIELD', field: 'grantId' });
    expect(writeCounts(h)).toEqual(before);
  });

  // BUG (found with test/integration/hostile-requests.test.ts): comments took control and bidi characters, which
  // reach the terminals of everyone who runs "jit-access show".
  it('refuses a comment holding a terminal escape sequence with 400 naming comment, and records no vote', async () => {
    // Prepare
    const before = writeCounts(h);

    // Act
    const answer = await approve(ALICE, 'looks fine\u001b[1A\u001b[2Kapproved by security');

    // Assess
    expect(answer.status).toBe(400);
    expect((answer.body as ErrorBody).error).toEqual({
      code: 'INVALID_FIELD',
      field: 'comment',
      message: 'must be plain text on one line: remove the invisible or control character U+001B at character 11',
    });
    expect(writeCounts(h)).toEqual(before);
  });
});

describe('POST /grants/{grantId}/deny', () => {
  it('denies with exactly one SendTaskFailure carrying jit.Denied and the reason', async () => {
    // Act
    const answer = await deny(BOB, 'no change window today');

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('deny', answer.body)).toEqual({
      grantId: GRANT_ID,
      status: 'DENIED',
      approvals: [],
      needed: 2,
    });
    expect(await statusOf(h, GRANT_ID)).toBe('DENIED');
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: TOKEN, error: 'jit.Denied', cause: 'denied by bob: "no change window today"' },
    ]);
    expect(h.aws.countOf('SendTaskSuccess')).toBe(0);
  });

  it('removes the task token from the ledger once the workflow is answered', async () => {
    // Act
    await deny();

    // Assess
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('records a deny once in the history, with who denied and why', async () => {
    // Act
    await deny(BOB, 'no change window today');

    // Assess
    const history = (await h.ledger.getGrant(GRANT_ID))?.history ?? [];
    expect(history.filter((e) => e.actor === 'bob')).toEqual([
      expect.objectContaining({ actor: 'bob', actorArn: BOB.arn, event: 'denied: "no change window today"' }),
    ]);
  });

  it('sent twice, answers the workflow once: the second is a 409 NOT_PENDING', async () => {
    // Prepare
    await deny(BOB);

    // Act
    const again = await callApi<ErrorBody>(h, 'deny', BOB, { ...onGrant, body: { reason: 'still no window' } });

    // Assess
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('NOT_PENDING');
    expect(h.aws.countOf('SendTaskFailure')).toBe(1);
  });

  it('retried after SendTaskFailure failed, sends the deny to the workflow instead of answering NOT_PENDING', async () => {
    // Prepare
    h.aws.failOn('SendTaskFailure');
    const failed = await deny(BOB, 'no change window today');

    // Act
    const retried = await callApi(h, 'deny', BOB, { ...onGrant, body: { reason: 'no change window today' } });

    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(await statusOf(h, GRANT_ID)).toBe('DENIED');
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: TOKEN, error: 'jit.Denied', cause: 'denied (answer sent again)' },
    ]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('refuses a deny without a reason, naming the reason field', async () => {
    // Prepare
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'deny', BOB, { ...onGrant, body: {} });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'MISSING_FIELD', field: 'reason' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('reports the grant as approved when a deny loses the race to the last approval', async () => {
    // Prepare
    await approve(ALICE);
    h.ledger.runBeforeNextTransition(() => approve(BOB));
    h.aws.clearCallLog();

    // Act
    const answer = await deny(CAROL);

    // Assess
    expect(parsedResponse('deny', answer.body).status).toBe('APPROVED');
    expect(h.aws.taskCallbacks.map((c) => c.kind)).toEqual(['success']);
    expect((await h.ledger.getGrant(GRANT_ID))?.history.at(-1)).toMatchObject({
      actor: 'carol',
      event: 'denied: "no change window today"',
    });
  });
});

describe('a decision whose answer to the workflow cannot be sent', () => {
  it('reports the grant as denied when the last approval loses the race to a deny, and sends no success', async () => {
    // Prepare
    await approve(ALICE);
    h.ledger.runBeforeNextTransition(() => deny(CAROL));
    h.aws.clearCallLog();

    // Act
    const answer = await approve(BOB);

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('approve', answer.body)).toMatchObject({ status: 'DENIED', approvals: ['alice', 'bob'] });
    expect(h.aws.taskCallbacks.map((c) => c.kind)).toEqual(['failure']);
    expect(await statusOf(h, GRANT_ID)).toBe('DENIED');
  });

  it('a retry whose answer fails again with a fault that is not a closed task keeps the token and answers 500', async () => {
    // Prepare
    await approve(ALICE);
    h.aws.failOn('SendTaskSuccess');
    await approve(BOB);
    h.aws.failOn('SendTaskSuccess', { errorName: 'ServiceUnavailable' });

    // Act
    const retried = await approve(BOB);

    // Assess
    expect(retried.status).toBe(500);
    expect(h.aws.taskCallbacks).toEqual([]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(TOKEN);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
  });

  it('a retry that finds the workflow step already closed forgets the token and answers the decision', async () => {
    // Prepare
    await approve(ALICE);
    h.aws.failOn('SendTaskSuccess');
    await approve(BOB);
    h.aws.failOn('SendTaskSuccess', { errorName: 'TaskTimedOut' });

    // Act
    const retried = await approve(BOB);

    // Assess
    expect(retried.status).toBe(200);
    expect(parsedResponse('approve', retried.body)).toMatchObject({ status: 'APPROVED', approvals: ['alice', 'bob'] });
    expect(h.aws.taskCallbacks).toEqual([]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('fails naming the grant when the ledger holds no task token to answer a deny with', async () => {
    // Prepare
    jest.spyOn(h.ledger, 'getTaskToken').mockResolvedValue(undefined);

    // Act
    const error = await rejectionOf(decide(h.deps, GRANT_ID, BOB, 'deny', 'no change window today'));

    // Assess
    expect(error.message).toBe(`grant ${GRANT_ID} has no task token in the ledger`);
    expect(h.aws.taskCallbacks).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('DENIED');
  });
});

describe('GET /grants/{grantId} never shows the task token', () => {
  it('while the grant waits for votes', async () => {
    // Act
    const answer = await callApi(h, 'showGrant', DANA, onGrant);

    // Assess
    expect(answer.status).toBe(200);
    expect(JSON.stringify(answer.body)).not.toContain(TOKEN);
  });

  it('after it was approved', async () => {
    // Prepare
    await approve(ALICE);
    await approve(BOB);

    // Act
    const answer = await callApi(h, 'showGrant', DANA, onGrant);

    // Assess
    expect(JSON.stringify(answer.body)).not.toContain(TOKEN);
    expect(parsedResponse('showGrant', answer.body).votes.map((v) => v.person)).toEqual(['alice', 'bob']);
  });
});
