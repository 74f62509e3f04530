import { ApprovalError } from '../../lambdas/domain/errors';
import { exampleConfig } from '../helpers/config-fixture';
import {
  ALICE,
  BOB,
  CAROL,
  createHarness,
  rejectionOf,
  requestInput,
  seedPending,
  statusOf,
  taskTokenFor,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-decide-0001';
const TOKEN = taskTokenFor(GRANT_ID);
const OUTSIDER = 'arn:aws:sts::111122223333:assumed-role/Developers/mallory';

let h: Harness;
afterEach(() => h.restore());

/** A PENDING grant requested by `requester` (alice may sponsor acme here, so she can be both). */
async function pendingGrant(requester?: string): Promise<void> {
  h = createHarness({
    config: exampleConfig((raw) => {
      raw.vendors[0]?.sponsors.push(ALICE);
    }),
  });
  await seedPending(h, GRANT_ID, requestInput(requester ? { requester } : {}));
  h.aws.clearCallLog();
}

async function approvalErrorOf(act: Promise<unknown>): Promise<ApprovalError> {
  const error = await rejectionOf(act);
  if (error instanceof ApprovalError) return error;
  throw error;
}

describe('decide', () => {
  it('refuses the requester and counts no vote', async () => {
    await pendingGrant(ALICE);

    const error = await approvalErrorOf(h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' }));

    expect(error.code).toBe('SELF_APPROVAL');
    expect(await h.ledger.listVotes(GRANT_ID)).toEqual([]);
  });

  it('refuses someone who is not an approver and counts no vote', async () => {
    await pendingGrant();

    const error = await approvalErrorOf(
      h.handlers.decide({ grantId: GRANT_ID, approver: OUTSIDER, decision: 'approve' }),
    );

    expect(error.code).toBe('NOT_AN_APPROVER');
    expect(await h.ledger.listVotes(GRANT_ID)).toEqual([]);
  });

  it('refuses a second vote of the same approver', async () => {
    await pendingGrant();
    await h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' });

    const error = await approvalErrorOf(h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' }));

    expect(error.code).toBe('DUPLICATE_VOTE');
    expect(await h.ledger.listVotes(GRANT_ID)).toHaveLength(1);
  });

  it('keeps the grant PENDING after one of two approvals and answers nothing', async () => {
    await pendingGrant();

    const result = await h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' });

    expect(result).toEqual({ grantId: GRANT_ID, status: 'PENDING', approvals: [ALICE], needed: 2 });
    expect(await statusOf(h, GRANT_ID)).toBe('PENDING');
    expect(h.aws.taskCallbacks).toEqual([]);
  });

  it('approves with two distinct approvers and sends exactly one SendTaskSuccess naming them', async () => {
    await pendingGrant();
    await h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' });

    const result = await h.handlers.decide({ grantId: GRANT_ID, approver: BOB, decision: 'approve' });

    expect(result.status).toBe('APPROVED');
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
    expect(h.aws.taskCallbacks).toEqual([{ kind: 'success', taskToken: TOKEN, output: { approvedBy: [ALICE, BOB] } }]);
  });

  it('refuses an approval that arrives after the grant was approved, and sends nothing', async () => {
    await pendingGrant();
    await h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' });
    await h.handlers.decide({ grantId: GRANT_ID, approver: BOB, decision: 'approve' });
    h.aws.clearCallLog();

    const error = await approvalErrorOf(h.handlers.decide({ grantId: GRANT_ID, approver: CAROL, decision: 'approve' }));

    expect(error.code).toBe('NOT_PENDING');
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('sends exactly one SendTaskSuccess when the last two votes arrive at once', async () => {
    await pendingGrant();
    await h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' });

    const results = await Promise.all([
      h.handlers.decide({ grantId: GRANT_ID, approver: BOB, decision: 'approve' }),
      h.handlers.decide({ grantId: GRANT_ID, approver: CAROL, decision: 'approve' }),
    ]);

    expect(h.aws.countOf('SendTaskSuccess')).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['APPROVED', 'APPROVED']);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
  });

  it('denies with exactly one SendTaskFailure carrying jit.Denied', async () => {
    await pendingGrant();

    const result = await h.handlers.decide({
      grantId: GRANT_ID,
      approver: BOB,
      decision: 'deny',
      comment: 'no change window',
    });

    expect(result.status).toBe('DENIED');
    expect(await statusOf(h, GRANT_ID)).toBe('DENIED');
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: TOKEN, error: 'jit.Denied', cause: `denied by ${BOB}: no change window` },
    ]);
    expect(h.aws.countOf('SendTaskSuccess')).toBe(0);
  });

  it('records a deny once in the history, with who denied and why', async () => {
    await pendingGrant();

    await h.handlers.decide({ grantId: GRANT_ID, approver: BOB, decision: 'deny', comment: 'no change window' });

    const history = (await h.ledger.getGrant(GRANT_ID))?.history ?? [];
    expect(history.filter((e) => e.actor === BOB)).toEqual([
      expect.objectContaining({ actor: BOB, event: 'denied: no change window' }),
    ]);
  });
});

describe('decide racing another vote', () => {
  it('reports the grant as approved when a deny loses the race to the last approval', async () => {
    await pendingGrant();
    await h.handlers.decide({ grantId: GRANT_ID, approver: ALICE, decision: 'approve' });
    h.ledger.runBeforeNextTransition(() =>
      h.handlers.decide({ grantId: GRANT_ID, approver: BOB, decision: 'approve' }),
    );
    h.aws.clearCallLog();

    const denial = await h.handlers.decide({ grantId: GRANT_ID, approver: CAROL, decision: 'deny' });

    expect(denial.status).toBe('APPROVED');
    expect(h.aws.taskCallbacks.map((c) => c.kind)).toEqual(['success']);
  });
});
