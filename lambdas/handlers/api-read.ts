import { makeSessionLogs } from '../adapters/logs';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { createApiFunction } from './api/http';
import { grantPlan } from './api/grant-plan';
import { listGrants } from './api/list-grants';
import { listVendors } from './api/list-vendors';
import { sessionLog } from './api/session-log';
import { showGrant } from './api/show-grant';
import { whoami } from './api/whoami';

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = { ...TEARDOWN_ADAPTERS, sessionLogs: makeSessionLogs };

/** The API's read-only routes: the ledger, the vendors, and the grant's session logs. */
export function createApiReadHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return createApiFunction('api-read', { whoami, listGrants, showGrant, grantPlan, sessionLog, listVendors }, deps);
}

export const handler = createApiReadHandler();
