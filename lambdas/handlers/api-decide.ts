import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { approve } from './api/approve';
import { deny } from './api/deny';
import { disableVendor } from './api/disable-vendor';
import { enableVendor } from './api/enable-vendor';
import { createApiFunction } from './api/http';
import { revoke } from './api/revoke';
import { unlockVendor } from './api/unlock-vendor';

/** The API's routes that decide: votes (answering the workflow), the kill switch, vendor disable, enable, unlock. */
export function createApiDecideHandler(deps: () => Dependencies = lambdaDependencies) {
  return createApiFunction('api-decide', { approve, deny, revoke, disableVendor, enableVendor, unlockVendor }, deps);
}

export const handler = createApiDecideHandler();
