import { z } from 'zod';
import { grantedMessage } from '../domain/messages';
import type { GrantStatus, HistoryEntry } from '../domain/types';
import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const OUTCOMES = ['granted', 'denied', 'approval-timed-out', 'grant-failed'] as const;

const eventSchema = z.object({
  grantId: z.string(),
  outcome: z.enum(OUTCOMES),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).partial().optional(),
});

/** The status each outcome ends in, and the statuses it may come from. */
const FINAL: Record<(typeof OUTCOMES)[number], { from: GrantStatus[]; to: GrantStatus } | undefined> = {
  granted: undefined,
  denied: { from: ['PENDING'], to: 'DENIED' },
  'approval-timed-out': { from: ['PENDING'], to: 'EXPIRED' },
  'grant-failed': { from: ['APPROVED', 'GRANTING'], to: 'FAILED' },
};

/** The workflow's last step on every path: records how the request ended and tells people. Safe to run twice. */
export function createRecordOutcomeHandler(deps: () => Dependencies = lambdaDependencies) {
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
      const final = FINAL[outcome];
      if (final) await ledger.transition(grantId, final.from, final.to, entry);
      const grant = await ledger.getGrant(grantId);
      if (!grant) return { grantId, outcome, status: 'UNKNOWN' };
      const message =
        outcome === 'granted'
          ? grantedMessage(grant.plan, grant.created.roleArn ?? '', settings.sessionDocumentName)
          : `Grant ${grantId} for vendor ${grant.request.vendorId} ended: ${outcome}.${error?.Cause ? `\n${error.Cause}` : ''}`;
      await notifier.publish(`jit-access: grant ${grantId} ${outcome}`, message);
      return { grantId, outcome, status: grant.status };
    });
  };
}

export const handler = createRecordOutcomeHandler();
