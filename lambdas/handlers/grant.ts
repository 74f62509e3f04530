import * as z from 'zod/mini';
import { provisionGrant, type ProvisionResult } from '../lifecycle/provision';
import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({ grantId: z.string() });

/** Creates the approved grant: role, session policy, ingress rules, expiry schedule. Undoes itself on failure. */
export function createGrantHandler(deps: () => Dependencies = lambdaDependencies) {
  return async (event: unknown): Promise<ProvisionResult> => {
    const { grantId } = parseEvent(eventSchema, event);
    return forGrant(grantId, () => provisionGrant(deps(), grantId));
  };
}

export const handler = createGrantHandler();
