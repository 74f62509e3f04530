import { AccessDeniedError } from '../../domain/errors';
import { historyEntry } from '../../domain/history';
import { mayOverseeGrant } from '../../domain/identity';
import { quoted } from '../../domain/messages';
import type { GrantStatus } from '../../domain/types';
import { isClosedTask } from '../../adapters/sfn';
import { isFinished, SHORT_RESIDUE_RECHECK, teardownGrant } from '../../lifecycle/teardown';
import { param, type RouteImplementation } from './http';
import { requireGrant } from './lookup';

/** Statuses of a grant whose approval step is over (its token forgotten when it ended). */
const PAST_APPROVAL: readonly GrantStatus[] = ['GRANTING', 'ACTIVE', 'REVOKING'];

/**
 * POST /grants/{grantId}/revoke: the kill switch. Live sessions end at once and everything is removed; a request
 * still waiting for votes is cancelled and its workflow told so.
 */
export const revoke: RouteImplementation<'revoke'> = async (deps, call) => {
  const grant = await requireGrant(deps, param(call, 'grantId'));
  const { config } = deps.settings;
  if (!mayOverseeGrant(call.caller.person, grant.request.requester.person, config)) {
    throw new AccessDeniedError(
      'NOT_ALLOWED_TO_REVOKE',
      `${call.caller.person} may not revoke ${grant.grantId}: its requester (${grant.request.requester.person}), approvers and admins may`,
    );
  }
  // A grant already over is left as it is: revoking it again records nothing and changes nothing.
  if (!isFinished(grant)) {
    await deps.ledger.appendHistory(
      grant.grantId,
      historyEntry(deps.clock().toISOString(), call.caller, `revoke requested: ${quoted(call.body.reason)}`),
    );
  }
  // The waits for residue AWS may still list are short here: the caller waits behind API Gateway's 29 s.
  const result = await teardownGrant(deps, grant.grantId, 'kill-switch', call.caller, {
    grant,
    recheck: SHORT_RESIDUE_RECHECK,
  });
  // A grant that never passed the approval step may still have a workflow waiting on its token: a pending request,
  // or one whose cancellation (or decision) did not reach the workflow the first time.
  if (!PAST_APPROVAL.includes(grant.status)) {
    const token = await deps.ledger.getTaskToken(grant.grantId);
    if (token) {
      try {
        await deps.approvals.deny(token, 'jit.Cancelled', `cancelled by ${call.caller.person}`);
      } catch (error) {
        if (!isClosedTask(error)) throw error;
      }
      await deps.ledger.forgetTaskToken(grant.grantId);
    }
  }
  return result;
};
