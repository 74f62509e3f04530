import { makeApprovals } from '../adapters/sfn';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { approve } from './api/approve';
import { deny } from './api/deny';
import { disableVendor } from './api/disable-vendor';
import { enableVendor } from './api/enable-vendor';
import { createApiFunction } from './api/http';
import { revoke } from './api/revoke';
import { unlockVendor } from './api/unlock-vendor';

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = { ...TEARDOWN_ADAPTERS, approvals: makeApprovals };

/** The API's routes that decide: votes (answering the workflow), the kill switch, vendor disable, enable, unlock. */
export function createApiDecideHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return createApiFunction('api-decide', { approve, deny, revoke, disableVendor, enableVendor, unlockVendor }, deps);
}

export const handler = createApiDecideHandler();
