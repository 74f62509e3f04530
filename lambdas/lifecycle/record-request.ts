import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ValidationError } from '../domain/errors';
import { extensionDelta } from '../domain/extension';
import { historyEntry } from '../domain/history';
import { approvalRequestMessage, breakGlassMessage, type ApprovalMessageInput } from '../domain/messages';
import { planHash } from '../domain/plan-hash';
import type { AccessRequest, GrantRecord, GrantStatus } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { auditLog } from '../shared/audit-log';
import { metrics } from '../shared/powertools';
import { checkRequest } from './check-request';

const HOUR_MS = 3_600_000;

export interface RecordedRequest {
  readonly grantId: string;
  readonly status: GrantStatus;
  readonly planHash: string;
}

/**
 * Writes the grant to the ledger and tells approvers. The request is re-checked first (what the step receives is a
 * claim), and the plan recorded is the one planned here, never one passed in. A normal request waits PENDING with its
 * task token; a break-glass one is APPROVED at once, with a review deadline, and every approver is told loudly.
 *
 * A retried step (Step Functions gives it a new token) replaces the token of a still-pending grant and notifies again,
 * so a publish that failed the first attempt is not lost; a duplicate delivery of the same token sends nothing.
 */
export async function recordRequest(
  deps: Dependencies,
  request: AccessRequest,
  taskToken: string | undefined,
): Promise<RecordedRequest> {
  const { ledger, notifier, clock, settings } = deps;
  if (!request.breakGlass && !taskToken) {
    throw new ValidationError('taskToken', 'MISSING_FIELD', 'a request that needs approval needs the task token');
  }
  const checked = await checkRequest(deps, request, { isNew: false });
  const now = clock();
  const hash = planHash(checked.plan);
  const reviewBy = new Date(now.getTime() + settings.config.breakGlass.reviewWithinHours * HOUR_MS).toISOString();
  const status: GrantStatus = request.breakGlass ? 'APPROVED' : 'PENDING';
  const record: GrantRecord = {
    grantId: request.grantId,
    status,
    request: checked.request,
    targets: checked.targets,
    plan: checked.plan,
    planHash: hash,
    approvals: [],
    ...(request.breakGlass ? { breakGlass: { reviewBy, review: 'PENDING' as const } } : {}),
    created: {},
    expiresAt: checked.plan.window.expiresAt,
    history: [
      historyEntry(
        now.toISOString(),
        request.requester,
        `${request.breakGlass ? 'break-glass ' : ''}requested: ${JSON.stringify(request.ticket)}`,
      ),
    ],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  // The deadline is noted first: a step that fails between the two writes is retried, and the sweeper drops a
  // deadline whose grant never got written.
  if (request.breakGlass) await ledger.addReviewDue({ grantId: request.grantId, reviewBy });
  const written = await ledger.createGrant(record, request.breakGlass ? undefined : taskToken);
  if (written === 'unchanged') return { grantId: request.grantId, status, planHash: hash };
  metrics.addMetric('GrantsRequested', MetricUnit.Count, 1);
  auditLog('grantRequested', {
    grantId: request.grantId,
    vendorId: request.vendorId,
    requester: request.requester.person,
    breakGlass: request.breakGlass === true,
    ticket: request.ticket,
  });

  const original = request.extends ? await ledger.getGrant(request.extends) : undefined;
  const message: ApprovalMessageInput = {
    request: checked.request,
    targets: checked.targets,
    plan: checked.plan,
    planHash: hash,
    minApprovals: settings.config.approvers.minApprovals,
    ...(original ? { delta: extensionDelta(original, checked.plan.window.expiresAt) } : {}),
  };
  if (request.breakGlass) {
    metrics.addMetric('BreakGlassGrants', MetricUnit.Count, 1);
    await notifier.publish(
      `jit-access: ALERT break-glass grant ${request.grantId} for ${request.vendorId}`,
      breakGlassMessage(message, reviewBy),
    );
  } else {
    await notifier.publish(
      `jit-access: approval needed for ${request.vendorId} (${request.grantId})`,
      approvalRequestMessage(message),
    );
  }
  return { grantId: request.grantId, status, planHash: hash };
}
