import { z } from 'zod';
import { ValidationError } from '../domain/errors';
import { grantWindow } from '../domain/expiry';
import { planGrant } from '../domain/planner';
import { checkQuotas } from '../domain/quotas';
import { parseAccessRequest, requestedInstanceIds, validateRequest } from '../domain/request-validation';
import type { AccessRequest, GrantPlan, ResolvedTarget } from '../domain/types';
import { lambdaDependencies, planContext, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({ input: z.unknown(), grantId: z.string() });

export interface ValidatedWorkflowState {
  readonly grantId: string;
  readonly startAt: string;
  readonly request: AccessRequest;
  readonly targets: ResolvedTarget[];
  readonly plan: GrantPlan;
}

/** First workflow step: applies every business rule and returns the plan approvers will see. Writes nothing. */
export function createValidateRequestHandler(deps: () => Dependencies = lambdaDependencies) {
  return async (event: unknown): Promise<ValidatedWorkflowState> => {
    const { input, grantId } = parseEvent(eventSchema, event);
    return forGrant(grantId, async () => {
      const { settings, clock, network, ledger } = deps();
      const request = parseAccessRequest(input, grantId);
      if (await ledger.getGrant(grantId)) {
        throw new ValidationError('grantId', 'DUPLICATE_GRANT', `grant ${grantId} already exists: use a new grant id`);
      }
      const now = clock();
      const instances = await network.describeInstances(requestedInstanceIds(request));
      const validated = validateRequest(request, { config: settings.config, now, instances });
      const vendor = settings.config.vendors.find((v) => v.id === request.vendorId);
      if (!vendor) throw new ValidationError('vendorId', 'UNKNOWN_VENDOR', `unknown vendor ${request.vendorId}`);
      const window = grantWindow(validated.startAt, request.durationMinutes, now);
      const plan = planGrant(validated.request, validated.targets, vendor, window, planContext(settings));
      const ruleCounts: Record<string, number> = {};
      for (const securityGroupId of new Set(plan.ingressRules.map((r) => r.securityGroupId))) {
        ruleCounts[securityGroupId] = (await network.listIngressRules(securityGroupId)).length;
      }
      checkQuotas(plan, ruleCounts);
      return { grantId, startAt: validated.startAt, request: validated.request, targets: validated.targets, plan };
    });
  };
}

export const handler = createValidateRequestHandler();
