import { submitRequest } from '../../lifecycle/submit-request';
import type { RouteImplementation } from './http';

/** POST /grants: the caller requests access for a vendor; the requester is who signed the request. */
export const createRequest: RouteImplementation<'createRequest'> = (deps, { caller, body }) =>
  submitRequest(deps, body, caller);
