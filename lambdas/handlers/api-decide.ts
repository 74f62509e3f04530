import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { approve } from './api/approve';
import { deny } from './api/deny';
import { disableVendor } from './api/disable-vendor';
import { enableVendor } from './api/enable-vendor';
import { createApiFunction } from './api/http';
import { revoke } from './api/revoke';

/** The API's routes that decide: votes (answering the workflow), the kill switch, vendor disable and enable. */
export function createApiDecideHandler(deps: () => Dependencies = lambdaDependencies) {
  return createApiFunction('api-decide', { approve, deny, revoke, disableVendor, enableVendor }, deps);
}

export const handler = createApiDecideHandler();
