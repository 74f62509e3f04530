import * as z from 'zod/mini';
import { provisionGrant, type ProvisionResult } from '../lifecycle/provision';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({ grantId: z.string() });

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = TEARDOWN_ADAPTERS;

/** Creates the approved grant: role, session policy, ingress rules, expiry schedule. Undoes itself on failure. */
export function createGrantHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown): Promise<ProvisionResult> => {
    const { grantId } = parseEvent(eventSchema, event);
    return forGrant(grantId, () => provisionGrant(deps(), grantId));
  };
}

export const handler = createGrantHandler();
