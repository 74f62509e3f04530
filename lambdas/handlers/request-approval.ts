import { z } from 'zod';
import { approvalRequestMessage } from '../domain/messages';
import type { AccessRequest, GrantPlan, GrantRecord, ResolvedTarget } from '../domain/types';
import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({
  taskToken: z.string().min(1).max(1024),
  grantId: z.string(),
  request: z.custom<AccessRequest>((v) => typeof v === 'object' && v !== null),
  targets: z.custom<ResolvedTarget[]>((v) => Array.isArray(v)),
  plan: z.custom<GrantPlan>((v) => typeof v === 'object' && v !== null),
});

/**
 * The `.waitForTaskToken` step: keeps the token in the ledger (approvers never see it) and sends approvers the plan.
 * A retried step (Step Functions gives it a new token) replaces the token of the still-pending grant and notifies
 * again, so a publish that failed the first attempt is not lost; a duplicate delivery of the same token sends nothing.
 */
export function createRequestApprovalHandler(deps: () => Dependencies = lambdaDependencies) {
  return async (event: unknown): Promise<{ grantId: string; status: 'PENDING' }> => {
    const { taskToken, grantId, request, targets, plan } = parseEvent(eventSchema, event);
    return forGrant(grantId, async () => {
      const { ledger, notifier, clock, settings } = deps();
      const now = clock().toISOString();
      const record: GrantRecord = {
        grantId,
        status: 'PENDING',
        request,
        targets,
        plan,
        approvals: [],
        created: {},
        history: [{ at: now, actor: request.requester, event: `requested: ${request.ticket}` }],
        createdAt: now,
        updatedAt: now,
      };
      if ((await ledger.createGrant(record, taskToken)) !== 'unchanged') {
        await notifier.publish(
          `jit-access: approval needed for ${request.vendorId} (${grantId})`,
          approvalRequestMessage(request, targets, plan, settings.config.approvers.minApprovals),
        );
      }
      return { grantId, status: 'PENDING' };
    });
  };
}

export const handler = createRequestApprovalHandler();
