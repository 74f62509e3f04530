import { TransitionError } from './errors';
import type { GrantStatus } from './types';

/**
 * Allowed status changes: the lifecycle of DESIGN.md as a table. Every status change goes through it: the ledger
 * refuses a transition it does not hold (see Ledger.transition). REVOKING to REVOKING is a revoke started again (a
 * retry, or the sweeper finishing one that left residue): it records the new start in the history. REVOKED to
 * REVOKING is the one way back: SSM reported, after the revoke had ended, that the OS user's lock failed on an
 * instance, so the grant is reopened for the sweeper to lock it again.
 */
const TRANSITIONS: Readonly<Record<GrantStatus, readonly GrantStatus[]>> = {
  PENDING: ['APPROVED', 'DENIED', 'EXPIRED', 'REVOKED', 'FAILED'],
  APPROVED: ['GRANTING', 'REVOKED', 'FAILED'],
  GRANTING: ['ACTIVE', 'REVOKING', 'FAILED'],
  ACTIVE: ['REVOKING'],
  REVOKING: ['REVOKING', 'REVOKED', 'FAILED'],
  DENIED: [],
  EXPIRED: [],
  REVOKED: ['REVOKING'],
  FAILED: ['REVOKING'],
};

/** Statuses in which AWS resources of the grant may exist. */
export const LIVE_STATUSES: readonly GrantStatus[] = ['GRANTING', 'ACTIVE', 'REVOKING'];

/** Statuses whose workflow is over: only a lock reported failed after a revoke reopens a REVOKED grant. */
export const TERMINAL_STATUSES: readonly GrantStatus[] = ['DENIED', 'EXPIRED', 'REVOKED'];

export function canTransition(from: GrantStatus, to: GrantStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws a TransitionError unless the table lets a grant go from every one of `from` to `to`. */
export function assertTransitions(from: readonly GrantStatus[], to: GrantStatus): void {
  const refused = from.find((source) => !canTransition(source, to));
  if (refused !== undefined) throw new TransitionError(refused, to);
}
