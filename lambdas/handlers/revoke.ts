import { z } from 'zod';
import { REVOKE_REASONS } from '../domain/types';
import { teardownGrant, type TeardownResult } from '../lifecycle/teardown';
import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({
  grantId: z.string(),
  reason: z.enum(REVOKE_REASONS).default('expiry'),
  /** Who asked: the expiry schedule, or the on-call engineer pulling the kill switch. */
  actor: z.string().min(1).optional(),
});

/** Ends a grant (expiry schedule, kill switch, failure). Idempotent: run twice, the second run changes nothing. */
export function createRevokeHandler(deps: () => Dependencies = lambdaDependencies) {
  return async (event: unknown): Promise<TeardownResult> => {
    const { grantId, reason, actor } = parseEvent(eventSchema, event);
    return forGrant(grantId, () => teardownGrant(deps(), grantId, reason, actor ?? `revoke:${reason}`));
  };
}

export const handler = createRevokeHandler();
