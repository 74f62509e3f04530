import { param, type RouteImplementation } from './http';
import { requireGrant } from './lookup';

/** GET /grants/{grantId}: the whole record (never the task token) and every vote. */
export const showGrant: RouteImplementation<'showGrant'> = async (deps, call) => {
  const grant = await requireGrant(deps, param(call, 'grantId'));
  return { grant, votes: await deps.ledger.listVotes(grant.grantId) };
};
