import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { createApiFunction } from './api/http';
import { grantPlan } from './api/grant-plan';
import { listGrants } from './api/list-grants';
import { listVendors } from './api/list-vendors';
import { sessionLog } from './api/session-log';
import { showGrant } from './api/show-grant';
import { whoami } from './api/whoami';

/** The API's read-only routes: the ledger, the vendors, and the grant's session logs. */
export function createApiReadHandler(deps: () => Dependencies = lambdaDependencies) {
  return createApiFunction('api-read', { whoami, listGrants, showGrant, grantPlan, sessionLog, listVendors }, deps);
}

export const handler = createApiReadHandler();
