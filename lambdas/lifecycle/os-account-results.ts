import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { historyEntry } from '../domain/history';
import { outcomeOfFinalStatus, RUNNING_INVOCATION_STATUSES, unfinishedOn } from '../domain/os-accounts';
import type { GrantStatus } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { logger, metrics } from '../shared/powertools';

/** What SSM's "EC2 Command Invocation Status-change Notification" says of one command on one instance. */
export interface InvocationResult {
  readonly commandId: string;
  readonly documentName: string;
  readonly instanceId: string;
  readonly status: string;
}

export type InvocationRecorded =
  | { readonly outcome: 'ignored'; readonly why: string }
  | {
      readonly outcome: 'recorded' | 'already recorded';
      readonly grantId: string;
      readonly instanceId: string;
      readonly status: 'succeeded' | 'failed';
    };

const ACTOR = 'ssm';

/**
 * Records how a revoke's lock of the vendor's OS user ended on one instance, from SSM's status-change event, in place
 * of the revoke waiting for it. The event is checked before anything is written: it must be about the stack's
 * OS-account document and a final status; the command's own comment names the grant, and the ledger must show that
 * grant sent this very command as a lock. A lock that failed (or timed out) puts the instance in the grant's residue,
 * moves a REVOKED grant back to REVOKING for the sweeper (which sends the lock again), counts it for the alarm and
 * alerts. Safe to run twice with the same event: a result already recorded is not recorded again.
 *
 * Throws (Lambda retries, then the dead-letter queue) when the command is a lock the ledger does not show yet: the
 * event can arrive before the revoke's last write records the command.
 */
export async function recordInvocationResult(
  deps: Dependencies,
  result: InvocationResult,
): Promise<InvocationRecorded> {
  if (result.documentName !== deps.settings.osAccountDocumentName) {
    return { outcome: 'ignored', why: `document ${result.documentName} is not the stack's OS-account document` };
  }
  if ((RUNNING_INVOCATION_STATUSES as readonly string[]).includes(result.status)) {
    return { outcome: 'ignored', why: `status ${result.status} is not a result yet` };
  }
  const origin = await deps.osAccounts.origin(result.commandId);
  if (!origin) return { outcome: 'ignored', why: `command ${result.commandId} names no grant` };
  // The grant reads its unlock itself before it activates (fail closed): its events add nothing.
  if (origin.action === 'unlock') return { outcome: 'ignored', why: 'an unlock: the grant step reads it itself' };

  const grant = await deps.ledger.getGrant(origin.grantId);
  if (!grant || !(grant.lockCommandIds ?? []).includes(result.commandId)) {
    throw new Error(
      `command ${result.commandId} is not recorded as a lock of grant ${origin.grantId} (yet): retried, then dead-lettered`,
    );
  }
  const status = outcomeOfFinalStatus(result.status);
  const { instanceId, commandId } = result;
  const known = grant.osAccount?.[instanceId];
  if (known?.commandId === commandId && known.action === 'lock' && known.status === status) {
    return { outcome: 'already recorded', grantId: grant.grantId, instanceId, status };
  }
  const at = deps.clock().toISOString();
  const entry = { action: 'lock' as const, status, at, commandId };
  if (status === 'succeeded') {
    if (!(await deps.ledger.recordLockOutcome(grant.grantId, instanceId, entry))) {
      throw new Error(`grant ${grant.grantId} changed while its lock result was recorded: retried`);
    }
    await countFailedEndSnapshot(deps, commandId, instanceId);
    return { outcome: 'recorded', grantId: grant.grantId, instanceId, status };
  }

  const [residue] = unfinishedOn([{ instanceId, commandId, status }], 'lock') as [string];
  // A revoke that ended clean is reopened: the sweeper retries REVOKING and FAILED grants that left residue.
  const to: GrantStatus = grant.status === 'REVOKED' ? 'REVOKING' : grant.status;
  const failed = {
    from: grant.status,
    to,
    residue,
    entry: historyEntry(at, ACTOR, `OS user lock ${result.status} on ${instanceId}: left for the sweeper`, residue),
  };
  if (!(await deps.ledger.recordLockOutcome(grant.grantId, instanceId, entry, failed))) {
    throw new Error(`grant ${grant.grantId} changed while its lock result was recorded: retried`);
  }
  metrics.addMetric('OsAccountLocksFailed', MetricUnit.Count, 1);
  await countFailedEndSnapshot(deps, commandId, instanceId);
  logger.error('the OS user lock did not hold on an instance; the sweeper retries', { instanceId, commandId });
  await deps.notifier.publish(
    `jit-access: ALERT grant ${grant.grantId} revoke incomplete`,
    `The lock of the vendor's OS user failed on ${instanceId} (command ${commandId}, ${result.status}) for grant ${grant.grantId}. Left for the sweeper: ${residue}`,
  );
  return { outcome: 'recorded', grantId: grant.grantId, instanceId, status };
}

/**
 * A failed end snapshot never fails the lock (its step exits 0): it is counted as SnapshotFailed here, once, where the
 * lock's result arrives; the audit states it per instance from the evidence bucket either way.
 */
async function countFailedEndSnapshot(deps: Dependencies, commandId: string, instanceId: string): Promise<void> {
  if (!deps.settings.config.changeTracking.enabled) return;
  try {
    if (!(await deps.osAccounts.endSnapshotFailed(commandId, instanceId))) return;
    logger.warn('change snapshot failed', { commandId, instanceId, phase: 'end' });
    metrics.addMetric('SnapshotFailed', MetricUnit.Count, 1);
  } catch (error) {
    logger.warn('the end snapshot step could not be read; the audit states it from the evidence bucket', {
      commandId,
      instanceId,
      error: error as Error,
    });
  }
}
