import * as z from 'zod/mini';
import { provisionGrant, type ProvisionResult } from '../lifecycle/provision';
import { makeNetwork } from '../adapters/ec2';
import { makeRoles } from '../adapters/iam';
import { makeLedger } from '../adapters/ledger';
import { makeNotifier } from '../adapters/notifier';
import { makeSchedules } from '../adapters/scheduler';
import { makeOsAccounts, makeSessions } from '../adapters/ssm';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({ grantId: z.string() });

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = {
  ledger: makeLedger,
  roles: makeRoles,
  network: makeNetwork,
  schedules: makeSchedules,
  sessions: makeSessions,
  osAccounts: makeOsAccounts,
  notifier: makeNotifier,
};

/** Creates the approved grant: role, session policy, ingress rules, expiry schedule. Undoes itself on failure. */
export function createGrantHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown): Promise<ProvisionResult> => {
    const { grantId } = parseEvent(eventSchema, event);
    return forGrant(grantId, () => provisionGrant(deps(), grantId));
  };
}

export const handler = createGrantHandler();
