import { extensionDelta } from '../../domain/extension';
import { param, type RouteImplementation } from './http';
import { requireGrant } from './lookup';

/** GET /grants/{grantId}/plan: what the grant creates, the hash approvers were sent, and an extension's delta. */
export const grantPlan: RouteImplementation<'grantPlan'> = async (deps, call) => {
  const grant = await requireGrant(deps, param(call, 'grantId'));
  const original = grant.request.extends ? await deps.ledger.getGrant(grant.request.extends) : undefined;
  return {
    grantId: grant.grantId,
    planHash: grant.planHash,
    plan: grant.plan,
    ...(original ? { delta: extensionDelta(original, grant.plan.window.expiresAt) } : {}),
  };
};
