import * as z from 'zod/mini';
import { ValidationError } from '../domain/errors';
import { teardownGrant, type TeardownResult } from '../lifecycle/teardown';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

/** Scheduler fires within 60 s of the `at()` time; an earlier call is not an expiry. */
const EARLY_TOLERANCE_MS = 60_000;

const eventSchema = z.strictObject({ grantId: z.string(), reason: z._default(z.literal('expiry'), 'expiry') });

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = TEARDOWN_ADAPTERS;

/**
 * The expiry schedule's target: ends a grant at its expiry. People end grants through the API (revoke, vendor
 * disable); this function takes no actor and no other reason, and refuses a grant that has not expired yet.
 * Idempotent: run twice, the second run changes nothing.
 */
export function createRevokeHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown): Promise<TeardownResult> => {
    const { grantId } = parseEvent(eventSchema, event);
    return forGrant(grantId, async () => {
      const d = deps();
      const grant = await d.ledger.getGrant(grantId);
      if (grant?.expiresAt && Date.parse(grant.expiresAt) - EARLY_TOLERANCE_MS > d.clock().getTime()) {
        throw new ValidationError(
          'grantId',
          'NOT_EXPIRED',
          `grant ${grantId} runs until ${grant.expiresAt}: the expiry schedule ends it then (people revoke through the API)`,
        );
      }
      return teardownGrant(d, grantId, 'expiry', 'expiry-schedule', grant ? { grant } : {});
    });
  };
}

export const handler = createRevokeHandler();
