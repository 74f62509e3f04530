import { AccessDeniedError } from '../../domain/errors';
import { isAdmin } from '../../domain/identity';
import { unlockVendor as unlock } from '../../lifecycle/vendors';
import { param, type RouteImplementation } from './http';

/** POST /vendors/{vendorId}/unlock: admins only; the signed caller and the reason go into the vendor's history. */
export const unlockVendor: RouteImplementation<'unlockVendor'> = async (deps, call) => {
  if (!isAdmin(call.caller.person, deps.settings.config)) {
    throw new AccessDeniedError('NOT_AN_ADMIN', `${call.caller.person} is not an admin (jitAccess.admins): ask one`);
  }
  return unlock(deps, param(call, 'vendorId'), call.caller, call.body.reason);
};
