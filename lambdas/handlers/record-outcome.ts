import * as z from 'zod/mini';
import { grantedMessage } from '../domain/messages';
import type { GrantStatus, HistoryEntry } from '../domain/types';
import { makeLedger } from '../adapters/ledger';
import { makeNotifier } from '../adapters/notifier';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const OUTCOMES = ['granted', 'denied', 'cancelled', 'approval-timed-out', 'approval-failed', 'grant-failed'] as const;

const eventSchema = z.object({
  grantId: z.string(),
  outcome: z.enum(OUTCOMES),
  error: z.optional(z.partial(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }))),
});

/** The status each outcome ends in, and the statuses it may come from. */
const FINAL: Record<(typeof OUTCOMES)[number], { from: GrantStatus[]; to: GrantStatus } | undefined> = {
  granted: undefined,
  denied: { from: ['PENDING'], to: 'DENIED' },
  // The revoke that cancelled the request already made it REVOKED; this only records the workflow's end.
  cancelled: undefined,
  'approval-timed-out': { from: ['PENDING'], to: 'EXPIRED' },
  'approval-failed': { from: ['PENDING'], to: 'FAILED' },
  'grant-failed': { from: ['APPROVED', 'GRANTING'], to: 'FAILED' },
};

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = { ledger: makeLedger, notifier: makeNotifier };

/**
 * The workflow's last step on every path: records how the request ended (in the status where the outcome decides it,
 * and always in the history) and tells people. Safe to run twice: the second run finds the outcome recorded.
 */
export function createRecordOutcomeHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown): Promise<{ grantId: string; outcome: string; status: GrantStatus | 'UNKNOWN' }> => {
    const { grantId, outcome, error } = parseEvent(eventSchema, event);
    return forGrant(grantId, async () => {
      const { ledger, notifier, clock, settings } = deps();
      const entry: HistoryEntry = {
        at: clock().toISOString(),
        actor: 'workflow',
        event: outcome,
        ...(error?.Cause ? { detail: error.Cause.slice(0, 2000) } : {}),
      };
      const before = await ledger.getGrant(grantId);
      if (!before) return { grantId, outcome, status: 'UNKNOWN' };
      // Run twice (a retried state), the outcome is already in the history: nothing is recorded or sent again.
      if (before.history.some((e) => e.actor === entry.actor && e.event === outcome)) {
        return { grantId, outcome, status: before.status };
      }
      const final = FINAL[outcome];
      const moved = final ? await ledger.transition(grantId, final.from, final.to, entry) : false;
      // The approval step has ended on every outcome: its token must not outlive it.
      await ledger.forgetTaskToken(grantId);
      if (!moved) await ledger.appendHistory(grantId, entry);
      const message =
        outcome === 'granted'
          ? grantedMessage(before.plan, before.created.roleArn ?? '', settings.sessionDocumentName)
          : `Grant ${grantId} for vendor ${before.request.vendorId} ended: ${outcome}.${error?.Cause ? `\n${error.Cause}` : ''}`;
      await notifier.publish(`jit-access: grant ${grantId} ${outcome}`, message);
      return { grantId, outcome, status: moved && final ? final.to : before.status };
    });
  };
}

export const handler = createRecordOutcomeHandler();
