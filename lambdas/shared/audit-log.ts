import { logger } from './powertools';

/**
 * The structured log lines auditors query (the stack's saved Logs Insights queries read them, see
 * `lib/constructs/saved-queries.ts`): one message per event, always with the same fields. The queries are built from
 * this table, and a test checks that they name no other field, so a renamed field fails the build, not an audit.
 */
export const AUDIT_EVENTS = {
  /** A request written to the ledger (once per grant; a retried step that changes nothing logs nothing). */
  grantRequested: {
    message: 'audit: grant requested',
    fields: ['grantId', 'vendorId', 'requester', 'breakGlass', 'ticket'],
  },
  /** One person's vote, as the ledger recorded it. */
  voteRecorded: {
    message: 'audit: vote recorded',
    fields: ['grantId', 'vendorId', 'approver', 'decision', 'breakGlass'],
  },
  /** A teardown that ran (a second run that had nothing to do logs nothing). */
  revokeFinished: {
    message: 'audit: revoke finished',
    fields: ['grantId', 'vendorId', 'reason', 'clean', 'teardownSeconds', 'secondsAfterExpiry'],
  },
  /** A denied call by a grant role, or a failed AssumeRole of one, counted towards the vendor's lockout. */
  deniedAttempt: {
    message: 'audit: denied attempt counted',
    fields: ['grantId', 'vendorId', 'action', 'errorCode', 'caller', 'attempts'],
  },
} as const;

export type AuditEventName = keyof typeof AUDIT_EVENTS;
type FieldOf<E extends AuditEventName> = (typeof AUDIT_EVENTS)[E]['fields'][number];
type FieldValue = string | number | boolean;

/**
 * Logs one audit event with exactly its fields. Values a field may lack (no expiry, say) are given as `undefined` and
 * left out of the line, so a query's `ispresent(...)` tells them apart from zero.
 */
export function auditLog<E extends AuditEventName>(event: E, fields: Record<FieldOf<E>, FieldValue | undefined>): void {
  const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  logger.info(AUDIT_EVENTS[event].message, present);
}
