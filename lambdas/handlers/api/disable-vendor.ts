import { AccessDeniedError } from '../../domain/errors';
import { isAdmin } from '../../domain/identity';
import { disableVendor as disable } from '../../lifecycle/vendors';
import { param, type RouteImplementation } from './http';

/** POST /vendors/{vendorId}/disable: admins only; every live grant of the vendor is revoked now. */
export const disableVendor: RouteImplementation<'disableVendor'> = async (deps, call) => {
  if (!isAdmin(call.caller.person, deps.settings.config)) {
    throw new AccessDeniedError('NOT_AN_ADMIN', `${call.caller.person} is not an admin (jitAccess.admins): ask one`);
  }
  return disable(deps, param(call, 'vendorId'), call.caller, call.body.reason);
};
