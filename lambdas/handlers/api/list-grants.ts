import { GRANT_STATUSES, type GrantRecord } from '../../domain/types';
import type { ResponseOf } from './contract';
import type { RouteImplementation } from './http';

const DEFAULT_LIMIT = 50;

function summary(grant: GrantRecord): ResponseOf<'listGrants'>['grants'][number] {
  return {
    grantId: grant.grantId,
    status: grant.status,
    vendorId: grant.request.vendorId,
    requester: grant.request.requester.person,
    ticket: grant.request.ticket,
    createdAt: grant.createdAt,
    startAt: grant.plan.window.startAt,
    ...(grant.expiresAt ? { expiresAt: grant.expiresAt } : {}),
    approvals: [...grant.approvals],
    ...(grant.breakGlass ? { breakGlassReview: grant.breakGlass.review } : {}),
    ...(grant.request.extends ? { extends: grant.request.extends } : {}),
  };
}

/** GET /grants: grants by status (one index query per status), filtered, newest first. */
export const listGrants: RouteImplementation<'listGrants'> = async (deps, { caller, query }) => {
  const statuses = query.status ? [query.status] : GRANT_STATUSES;
  const grants: GrantRecord[] = [];
  for (const status of statuses) grants.push(...(await deps.ledger.grantsByStatus(status)));
  const matching = grants
    .filter((g) => !query.vendor || g.request.vendorId === query.vendor)
    .filter((g) => query.mine !== 'true' || g.request.requester.person === caller.person)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const limit = query.limit ?? DEFAULT_LIMIT;
  return { grants: matching.slice(0, limit).map(summary), truncated: matching.length > limit };
};
