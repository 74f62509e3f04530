import { extensionBody } from '../../domain/extension';
import { submitRequest } from '../../lifecycle/submit-request';
import { param, type RouteImplementation } from './http';
import { requireGrant } from './lookup';

/** POST /grants/{grantId}/extend: a new request for the same access, from the active grant's expiry. */
export const extend: RouteImplementation<'extend'> = async (deps, call) => {
  const original = await requireGrant(deps, param(call, 'grantId'));
  const { byMinutes, reason, ticket } = call.body;
  const body = extensionBody(original, byMinutes, { ...(reason ? { reason } : {}), ...(ticket ? { ticket } : {}) });
  return submitRequest(deps, body, call.caller, original.grantId);
};
