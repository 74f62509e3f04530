import type { JitAccessConfig } from '../../lib/config/schema';
import { ApprovalError } from './errors';
import { matchesAnyPattern } from './principal-match';
import type { GrantStatus } from './types';

export type Decision = 'approve' | 'deny';

/** Refuses a vote that may not count: not an approver, the requester, or a grant no longer waiting. */
export function assertMayVote(
  approver: string,
  grant: { readonly requester: string; readonly status: GrantStatus },
  approvers: JitAccessConfig['approvers'],
): void {
  if (!matchesAnyPattern(approver, approvers.principals)) {
    throw new ApprovalError(
      'NOT_AN_APPROVER',
      `${approver} is not an approver: approvers are listed in jitAccess.approvers.principals`,
    );
  }
  if (approver === grant.requester) {
    throw new ApprovalError(
      'SELF_APPROVAL',
      `${approver} requested this grant and cannot approve or deny it: ask another approver`,
    );
  }
  if (grant.status !== 'PENDING') {
    throw new ApprovalError('NOT_PENDING', `the grant is ${grant.status}, no longer waiting for a decision`);
  }
}

/** Whether the distinct approvals collected reach the configured number. */
export function hasEnoughApprovals(approvals: readonly string[], minApprovals: number): boolean {
  return new Set(approvals).size >= minApprovals;
}
