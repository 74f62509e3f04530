import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { historyEntry } from '../domain/history';
import {
  LOCKOUT_ACTOR,
  attemptsInBusiestWindow,
  claimOf,
  lockoutMessage,
  lockoutReason,
  principalAccounts,
  type CloudTrailApiCall,
  type DeniedAttempt,
} from '../domain/lockout';
import type { GrantLockout, GrantRecord, GrantStatus } from '../domain/types';
import { auditLog } from '../shared/audit-log';
import type { Dependencies } from '../shared/dependencies';
import { logger, metrics } from '../shared/powertools';
import { teardownGrant } from './teardown';
import { disableVendor } from './vendors';

/** Only a grant whose role may exist counts attempts; an ended one is over already. */
const COUNTING_STATUSES: readonly GrantStatus[] = ['GRANTING', 'ACTIVE'];

export type LockoutOutcome =
  | { readonly outcome: 'ignored'; readonly why: string; readonly grantId?: string }
  | {
      readonly outcome: 'counted';
      readonly grantId: string;
      readonly vendorId: string;
      /** False when this CloudTrail event was counted before (a redelivery). */
      readonly firstTime: boolean;
      readonly attempts: number;
    }
  | {
      readonly outcome: 'locked-out';
      readonly grantId: string;
      readonly vendorId: string;
      readonly attempts: number;
      readonly revokedGrants: readonly string[];
    }
  | { readonly outcome: 'already-locked-out'; readonly grantId: string; readonly vendorId: string };

/**
 * Counts a denied attempt against its grant's vendor and, when the vendor's attempts within the configured window
 * reach the threshold, revokes the grant, locks the vendor (disable, actor `system:lockout`) and notifies approvers.
 *
 * Idempotent: an attempt is recorded once per CloudTrail event id; the lockout is marked on the grant by a
 * conditional write before anything is done, so of two runs that cross the threshold together only one acts; a grant
 * whose lockout completed ignores every later event, so running the events again changes nothing (and a late event
 * never locks a vendor an admin has unlocked since). A run that failed half-way is finished by the retry of its own
 * event: every step it repeats is idempotent.
 */
export async function countDeniedAttempt(deps: Dependencies, event: CloudTrailApiCall): Promise<LockoutOutcome> {
  const { settings, ledger } = deps;
  const claim = claimOf(event, { ...settings.env, iamPath: settings.config.iamPath });
  if (!claim.counts) return ignore(claim.why);
  const { attempt: claimed } = claim;
  const grant = await ledger.getGrant(claimed.grantId);
  if (!grant) return ignore(`no grant ${claimed.grantId} in the ledger`, claimed.grantId);
  const vendorId = grant.request.vendorId;

  if (grant.lockout && (grant.lockout.completedAt !== undefined || grant.lockout.eventId !== claimed.eventId)) {
    return { outcome: 'already-locked-out', grantId: grant.grantId, vendorId };
  }
  if (!grant.lockout) {
    if (!COUNTING_STATUSES.includes(grant.status)) {
      return ignore(`grant ${grant.grantId} is ${grant.status}: it no longer counts attempts`, grant.grantId);
    }
    // The policy clock refuses every call from the expiry on, before the schedule revokes: a vendor's tools retrying
    // in that minute are no attack, and must not lock the vendor out at the end of a grant it used as intended.
    if (grant.expiresAt !== undefined && Date.parse(claimed.at) >= Date.parse(grant.expiresAt)) {
      return ignore(`made at ${claimed.at}, after grant ${grant.grantId} expired at ${grant.expiresAt}`, grant.grantId);
    }
    if (claim.kind === 'failed-assume-role' && !isVendorAccount(deps, vendorId, claim.callerAccount)) {
      // Only the vendor's principals are trusted, so anyone else's AssumeRole can never succeed; counting it would let
      // whoever learns a role ARN lock the vendor out.
      metrics.addMetric('ForeignAssumeRoleAttempts', MetricUnit.Count, 1);
      return ignore(`${claimed.caller} is not in an account of vendor ${vendorId}`, grant.grantId);
    }
  }

  const attempt: DeniedAttempt = { ...claimed, vendorId };
  const firstTime = await ledger.recordAttempt(attempt);
  if (firstTime) metrics.addMetric('DeniedAttemptsCounted', MetricUnit.Count, 1);
  const { threshold, windowMinutes } = settings.config.lockout;
  const windowMs = windowMinutes * 60_000;
  const inWindow = await attemptsAround(deps, attempt, windowMs);
  const attempts = attemptsInBusiestWindow(
    inWindow.map((a) => a.at),
    attempt.at,
    windowMs,
  );

  if (firstTime) {
    auditLog('deniedAttempt', {
      grantId: grant.grantId,
      vendorId,
      action: attempt.action,
      errorCode: attempt.errorCode,
      caller: attempt.caller,
      attempts,
    });
  }

  let lockout = grant.lockout;
  if (!lockout) {
    if (attempts < threshold) {
      return { outcome: 'counted', grantId: grant.grantId, vendorId, firstTime, attempts };
    }
    lockout = { at: deps.clock().toISOString(), eventId: attempt.eventId, attempts, windowMinutes };
    const entry = historyEntry(lockout.at, LOCKOUT_ACTOR, lockoutReason(grant.grantId, attempts, windowMinutes));
    if (!(await ledger.markLockout(grant.grantId, lockout, entry))) {
      return { outcome: 'already-locked-out', grantId: grant.grantId, vendorId };
    }
    metrics.addMetric('VendorLockouts', MetricUnit.Count, 1);
  }
  return enforce(deps, grant, lockout, inWindow);
}

/**
 * The vendor's recorded attempts from a window before the attempt to a window after it (CloudTrail delivers out of
 * order), none from before the vendor was last unlocked: an unlock starts the count again.
 */
async function attemptsAround(deps: Dependencies, attempt: DeniedAttempt, windowMs: number): Promise<DeniedAttempt[]> {
  const at = Date.parse(attempt.at);
  const state = (await deps.ledger.vendorStates()).find((s) => s.vendorId === attempt.vendorId);
  const unlockedAt = state && !state.disabled ? Date.parse(state.at) : Number.NEGATIVE_INFINITY;
  const from = new Date(Math.max(at - windowMs, unlockedAt)).toISOString();
  const to = new Date(at + windowMs).toISOString();
  return deps.ledger.attemptsBetween(attempt.vendorId, from, to);
}

/** Revoke → lock → notify → mark complete; each step is safe to repeat if a run stops before the mark. */
async function enforce(
  deps: Dependencies,
  grant: GrantRecord,
  lockout: GrantLockout,
  recent: readonly DeniedAttempt[],
): Promise<LockoutOutcome> {
  const vendorId = grant.request.vendorId;
  const reason = lockoutReason(grant.grantId, lockout.attempts, lockout.windowMinutes);
  logger.warn('denied attempts crossed the lockout threshold: revoking the grant and locking the vendor', {
    grantId: grant.grantId,
    vendorId,
    attempts: lockout.attempts,
  });
  await teardownGrant(deps, grant.grantId, 'lockout', LOCKOUT_ACTOR);
  // A vendor no longer in the config cannot be disabled (or requested for): the sweeper revokes its other grants.
  const configured = deps.settings.config.vendors.some((v) => v.id === vendorId);
  const revokedGrants = configured ? (await disableVendor(deps, vendorId, LOCKOUT_ACTOR, reason)).revokedGrants : [];
  const { threshold } = deps.settings.config.lockout;
  await deps.notifier.publish(
    `jit-access: LOCKOUT vendor ${vendorId} locked after ${lockout.attempts} denied attempts`,
    lockoutMessage({
      vendorId,
      grantId: grant.grantId,
      threshold,
      windowMinutes: lockout.windowMinutes,
      attempts: lockout.attempts,
      recent,
      revokedGrants,
    }),
  );
  const completedAt = deps.clock().toISOString();
  await deps.ledger.appendHistory(
    grant.grantId,
    historyEntry(completedAt, LOCKOUT_ACTOR, `lockout complete: vendor ${vendorId} locked, approvers notified`),
    { lockout: { ...lockout, completedAt } },
  );
  return { outcome: 'locked-out', grantId: grant.grantId, vendorId, attempts: lockout.attempts, revokedGrants };
}

function isVendorAccount(deps: Dependencies, vendorId: string, account: string | undefined): boolean {
  const vendor = deps.settings.config.vendors.find((v) => v.id === vendorId);
  return account !== undefined && vendor !== undefined && principalAccounts(vendor.principals).has(account);
}

function ignore(why: string, grantId?: string): LockoutOutcome {
  logger.info('CloudTrail record not counted as a denied attempt', { why, ...(grantId ? { grantId } : {}) });
  return { outcome: 'ignored', why, ...(grantId ? { grantId } : {}) };
}
