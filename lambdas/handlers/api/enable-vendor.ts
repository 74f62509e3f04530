import { AccessDeniedError } from '../../domain/errors';
import { isAdmin } from '../../domain/identity';
import { enableVendor as enable } from '../../lifecycle/vendors';
import { param, type RouteImplementation } from './http';

/** POST /vendors/{vendorId}/enable: admins only; a vendor disabled in the config stays disabled. */
export const enableVendor: RouteImplementation<'enableVendor'> = async (deps, call) => {
  if (!isAdmin(call.caller.person, deps.settings.config)) {
    throw new AccessDeniedError('NOT_AN_ADMIN', `${call.caller.person} is not an admin (jitAccess.admins): ask one`);
  }
  return enable(deps, param(call, 'vendorId'), call.caller, call.body.reason);
};
