import { TransitionError } from './errors';
import type { GrantStatus } from './types';

/** Allowed status changes: the lifecycle of DESIGN.md as a table. */
const TRANSITIONS: Readonly<Record<GrantStatus, readonly GrantStatus[]>> = {
  PENDING: ['APPROVED', 'DENIED', 'EXPIRED', 'REVOKED', 'FAILED'],
  APPROVED: ['GRANTING', 'REVOKED', 'FAILED'],
  GRANTING: ['ACTIVE', 'REVOKING', 'FAILED'],
  ACTIVE: ['REVOKING'],
  REVOKING: ['REVOKED', 'FAILED'],
  DENIED: [],
  EXPIRED: [],
  REVOKED: [],
  FAILED: ['REVOKING'],
};

/** Statuses in which AWS resources of the grant may exist. */
export const LIVE_STATUSES: readonly GrantStatus[] = ['GRANTING', 'ACTIVE', 'REVOKING'];

/** Statuses a grant never leaves. */
export const TERMINAL_STATUSES: readonly GrantStatus[] = ['DENIED', 'EXPIRED', 'REVOKED'];

export function canTransition(from: GrantStatus, to: GrantStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a grant may be in for it to move to `to`; the ledger uses them as a write condition. */
export function allowedSources(to: GrantStatus): GrantStatus[] {
  return (Object.keys(TRANSITIONS) as GrantStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

export function assertTransition(from: GrantStatus, to: GrantStatus): void {
  if (!canTransition(from, to)) throw new TransitionError(from, to);
}
