import type { GrantWindow } from './types';

const MINUTE_MS = 60_000;
/** IAM role sessions last 1 to 12 hours. */
const MIN_ROLE_SESSION_SECONDS = 3_600;
const MAX_ROLE_SESSION_SECONDS = 43_200;

/**
 * The window a grant runs in. It starts when the grant is made (never before the requested start), so an approval
 * that arrives late still gives the vendor the full duration that was approved.
 */
export function grantWindow(requestedStartAt: string, durationMinutes: number, now: Date): GrantWindow {
  const start = new Date(Math.max(Date.parse(requestedStartAt), now.getTime()));
  start.setUTCMilliseconds(0);
  return {
    startAt: start.toISOString(),
    expiresAt: new Date(start.getTime() + durationMinutes * MINUTE_MS).toISOString(),
  };
}

/** EventBridge Scheduler one-time expression: `at(yyyy-mm-ddThh:mm:ss)` in UTC (Scheduler has 60 s precision). */
export function atExpression(isoInstant: string): string {
  return `at(${new Date(isoInstant).toISOString().slice(0, 19)})`;
}

/** The instant an `at(...)` expression fires, as an ISO string. */
export function atExpressionInstant(expression: string): string {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  if (!match) throw new Error(`not a one-time schedule expression: ${expression}`);
  return new Date(`${match[1]}Z`).toISOString();
}

/** Credentials never outlive the grant by more than IAM's minimum session (1 h); the policy clock ends them at expiry. */
export function roleSessionSeconds(window: GrantWindow): number {
  const seconds = Math.ceil((Date.parse(window.expiresAt) - Date.parse(window.startAt)) / 1000);
  return Math.min(MAX_ROLE_SESSION_SECONDS, Math.max(MIN_ROLE_SESSION_SECONDS, seconds));
}

export function isExpired(expiresAt: string | undefined, now: Date): boolean {
  return expiresAt !== undefined && Date.parse(expiresAt) <= now.getTime();
}
