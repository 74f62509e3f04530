import type { JitAccessConfig } from '../../lib/config/schema';
import { ApprovalError } from './errors';
import { isApprover, personOf } from './identity';
import type { BreakGlassReview, GrantStatus, Vote } from './types';

export type Decision = 'approve' | 'deny';

/** What decides whether a vote may be cast: who asked (a person), and whether the grant still waits for votes. */
export interface VoteContext {
  readonly requester: string;
  readonly status: GrantStatus;
  readonly breakGlass?: { readonly review: BreakGlassReview };
}

/**
 * Refuses a vote that may not count: not an approver, the requester (compared as people, so a second identity of
 * the requester is refused too), or a grant no longer waiting for votes. A break-glass grant waits for its review
 * votes after access was given.
 */
export function assertMayVote(voter: string, grant: VoteContext, config: JitAccessConfig): void {
  if (!isApprover(voter, config)) {
    throw new ApprovalError(
      'NOT_AN_APPROVER',
      `${voter} is not an approver: approvers are listed in jitAccess.approvers.people (${config.approvers.people.join(', ')})`,
    );
  }
  if (voter === grant.requester) {
    throw new ApprovalError(
      'SELF_APPROVAL',
      `${voter} requested this grant and cannot vote on it: ask another approver`,
    );
  }
  if (!isOpenForVotes(grant)) {
    throw new ApprovalError('NOT_PENDING', `the grant is ${grant.status}, no longer waiting for a decision`);
  }
}

export function isOpenForVotes(grant: VoteContext): boolean {
  return grant.status === 'PENDING' || grant.breakGlass?.review === 'PENDING';
}

/**
 * The people whose approvals count now: approve votes for exactly the plan approvers were shown (`planHash`), whose
 * signed ARN is still the person the vote names under the current config (a ledger record is a claim), by people who
 * are approvers now, never the requester, each person once.
 */
export function countedApprovals(
  votes: readonly Vote[],
  context: { readonly requester: string; readonly planHash: string; readonly stackAccountId: string },
  config: JitAccessConfig,
): string[] {
  const people = votes
    .filter((vote) => vote.decision === 'approve' && vote.planHash === context.planHash)
    .filter((vote) => personOf(vote.arn, config, context.stackAccountId) === vote.person)
    .map((vote) => vote.person)
    .filter((person) => isApprover(person, config) && person !== context.requester);
  return [...new Set(people)].sort();
}

/** Whether the distinct approvals collected reach the configured number. */
export function hasEnoughApprovals(approvals: readonly string[], minApprovals: number): boolean {
  return new Set(approvals).size >= minApprovals;
}
