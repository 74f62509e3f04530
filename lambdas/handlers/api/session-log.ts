import { sessionsOfRole } from '../../adapters/ssm';
import { AccessDeniedError } from '../../domain/errors';
import { mayOverseeGrant } from '../../domain/identity';
import { roleNameFor } from '../../domain/planner';
import { param, type RouteImplementation } from './http';
import { requireGrant } from './lookup';

/** GET /grants/{grantId}/session-log: what the grant's sessions logged since `since` (shadowing). */
export const sessionLog: RouteImplementation<'sessionLog'> = async (deps, call) => {
  const grant = await requireGrant(deps, param(call, 'grantId'));
  if (!mayOverseeGrant(call.caller.person, grant.request.requester.person, deps.settings.config)) {
    throw new AccessDeniedError(
      'NOT_ALLOWED_TO_WATCH',
      `${call.caller.person} may not watch ${grant.grantId}: its requester, approvers and admins may`,
    );
  }
  const sessions = sessionsOfRole(
    await deps.sessions.listSessionsSince(grant.plan.window.startAt),
    roleNameFor(grant.grantId),
  );
  const since = call.query.since ?? Date.parse(grant.plan.window.startAt);
  const page = await deps.sessionLogs.read(
    sessions.map((s) => s.sessionId),
    since,
    call.query.nextToken,
  );
  return {
    grantId: grant.grantId,
    sessions,
    events: [...page.events],
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
};
