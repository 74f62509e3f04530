import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { isClosedTask } from '../adapters/sfn';
import { assertMayVote, countedApprovals, hasEnoughApprovals, type Decision } from '../domain/approval-rules';
import { ApprovalError } from '../domain/errors';
import { historyEntry } from '../domain/history';
import { isApprover, type Caller } from '../domain/identity';
import { quoted } from '../domain/messages';
import type { BreakGlassReview, GrantRecord, GrantStatus } from '../domain/types';
import { auditLog } from '../shared/audit-log';
import type { Dependencies } from '../shared/dependencies';
import { metrics } from '../shared/powertools';
import { teardownGrant } from './teardown';

export interface DecisionResult {
  readonly grantId: string;
  readonly status: GrantStatus;
  /** The people whose approvals count so far. */
  readonly approvals: readonly string[];
  readonly needed: number;
  /** For a break-glass grant: where its after-the-fact review stands. */
  readonly review?: BreakGlassReview;
}

/**
 * One person's vote. The voter is the signed caller; votes are conditional writes (one per person) that record the
 * hash of the plan the voter was shown, and the PENDING → APPROVED change is a conditional write too, so of two
 * concurrent last votes exactly one sends SendTaskSuccess. The task token leaves the ledger once it is answered.
 *
 * A break-glass grant is already granted: its votes are the review. Enough approvals close the review; a deny ends
 * the grant at once.
 */
export async function decide(
  deps: Dependencies,
  grantId: string,
  voter: Caller,
  decision: Decision,
  comment?: string,
): Promise<DecisionResult> {
  const { ledger, clock, settings } = deps;
  const needed = settings.config.approvers.minApprovals;
  const grant = await ledger.getGrant(grantId);
  if (!grant) throw new ApprovalError('UNKNOWN_GRANT', `there is no grant ${grantId}: check the id`);
  const requester = grant.request.requester.person;
  const unanswered = await answerNotYetSent(deps, grant, voter, requester);
  if (unanswered) return unanswered;
  assertMayVote(voter.person, { requester, status: grant.status, breakGlass: grant.breakGlass }, settings.config);

  const at = clock().toISOString();
  const vote = { person: voter.person, arn: voter.arn, decision, at, planHash: grant.planHash };
  if (!(await ledger.recordVote(grantId, comment ? { ...vote, comment } : vote))) {
    throw new ApprovalError('DUPLICATE_VOTE', `${voter.person} has already voted on ${grantId}: one vote per person`);
  }
  auditLog('voteRecorded', {
    grantId,
    vendorId: grant.request.vendorId,
    approver: voter.person,
    decision,
    breakGlass: grant.breakGlass !== undefined,
  });
  const note = comment ? `: ${quoted(comment)}` : '';
  const entry = historyEntry(at, voter, `${decision === 'approve' ? 'approved' : 'denied'}${note}`);
  if (grant.breakGlass?.review === 'PENDING') return review(deps, grant, voter, decision, entry);

  if (decision === 'deny') {
    // The deny is the status change itself; only a deny that lost a race is recorded on its own.
    const denied = await ledger.transition(grantId, ['PENDING'], 'DENIED', entry);
    if (denied) {
      metrics.addMetric('GrantsDenied', MetricUnit.Count, 1);
      await deps.approvals.deny(await taskToken(deps, grantId), 'jit.Denied', `denied by ${voter.person}${note}`);
      await ledger.forgetTaskToken(grantId);
    } else {
      await ledger.appendHistory(grantId, entry);
    }
    // A deny that lost the race to the last approval (or to another deny) reports what the grant really is.
    const current = denied ? 'DENIED' : ((await ledger.getGrant(grantId))?.status ?? 'DENIED');
    return { grantId, status: current, approvals: [], needed };
  }

  await ledger.appendHistory(grantId, entry);
  const approvals = countedApprovals(
    await ledger.listVotes(grantId),
    { requester, planHash: grant.planHash, stackAccountId: settings.env.accountId },
    settings.config,
  );
  if (!hasEnoughApprovals(approvals, needed)) return { grantId, status: 'PENDING', approvals, needed };
  const won = await ledger.transition(
    grantId,
    ['PENDING'],
    'APPROVED',
    historyEntry(at, voter, `approved by ${approvals.join(', ')}`),
    { approvals },
  );
  if (won) {
    metrics.addMetric('GrantsApproved', MetricUnit.Count, 1);
    await deps.approvals.approve(await taskToken(deps, grantId), { approvedBy: approvals });
    await ledger.forgetTaskToken(grantId);
  }
  const current = won ? 'APPROVED' : ((await ledger.getGrant(grantId))?.status ?? 'APPROVED');
  return { grantId, status: current, approvals, needed };
}

/** A vote on a break-glass grant after the fact: enough approvals close the review, a deny revokes the grant now. */
async function review(
  deps: Dependencies,
  grant: GrantRecord,
  voter: Caller,
  decision: Decision,
  entry: ReturnType<typeof historyEntry>,
): Promise<DecisionResult> {
  const { ledger, settings } = deps;
  const { grantId } = grant;
  const needed = settings.config.approvers.minApprovals;
  const reviewBy = grant.breakGlass?.reviewBy ?? entry.at;
  const requester = grant.request.requester.person;
  const approvals = countedApprovals(
    await ledger.listVotes(grantId),
    { requester, planHash: grant.planHash, stackAccountId: settings.env.accountId },
    settings.config,
  );
  if (decision === 'deny') {
    await ledger.appendHistory(grantId, entry, { breakGlass: { reviewBy, review: 'DENIED' } });
    await ledger.removeReviewDue({ grantId, reviewBy });
    const result = await teardownGrant(deps, grantId, 'denied', voter);
    return {
      grantId,
      status: result.status === 'UNKNOWN' ? grant.status : result.status,
      approvals,
      needed,
      review: 'DENIED',
    };
  }
  if (!hasEnoughApprovals(approvals, needed)) {
    await ledger.appendHistory(grantId, entry);
    return { grantId, status: grant.status, approvals, needed, review: 'PENDING' };
  }
  await ledger.appendHistory(grantId, entry, { breakGlass: { reviewBy, review: 'APPROVED' }, approvals });
  await ledger.removeReviewDue({ grantId, reviewBy });
  return { grantId, status: grant.status, approvals, needed, review: 'APPROVED' };
}

/**
 * A decision recorded in the ledger whose answer never reached the workflow (SendTaskSuccess/Failure failed after the
 * status changed): the token is still there. Any approver's retry sends it now, instead of a refusal that would strand
 * the grant. Undefined when there is nothing to finish.
 */
async function answerNotYetSent(
  deps: Dependencies,
  grant: GrantRecord,
  voter: Caller,
  requester: string,
): Promise<DecisionResult | undefined> {
  const { settings, ledger } = deps;
  const decided = grant.status === 'APPROVED' || grant.status === 'DENIED';
  if (!decided || grant.breakGlass || !isApprover(voter.person, settings.config) || voter.person === requester) {
    return undefined;
  }
  const token = await ledger.getTaskToken(grant.grantId);
  if (!token) return undefined;
  try {
    if (grant.status === 'APPROVED') {
      await deps.approvals.approve(token, { approvedBy: grant.approvals });
    } else {
      await deps.approvals.deny(token, 'jit.Denied', 'denied (answer sent again)');
    }
  } catch (error) {
    // The answer did reach the workflow (only the token's removal failed), or the step has ended: nothing waits.
    if (!isClosedTask(error)) throw error;
  }
  await ledger.forgetTaskToken(grant.grantId);
  return {
    grantId: grant.grantId,
    status: grant.status,
    approvals: grant.approvals,
    needed: settings.config.approvers.minApprovals,
  };
}

async function taskToken(deps: Dependencies, grantId: string): Promise<string> {
  const token = await deps.ledger.getTaskToken(grantId);
  if (!token) throw new Error(`grant ${grantId} has no task token in the ledger`);
  return token;
}
