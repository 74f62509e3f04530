import { ValidationError } from '../domain/errors';
import { grantWindow } from '../domain/expiry';
import { checkExtension } from '../domain/extension';
import { planGrant } from '../domain/planner';
import { checkQuotas } from '../domain/quotas';
import {
  requestedGroupNames,
  requestedInstanceIds,
  validateRequest,
  type InstanceFacts,
} from '../domain/request-validation';
import type { AccessRequest, GrantPlan, ResolvedTarget } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { planContext } from '../shared/dependencies';
import { disabledVendors } from './vendors';

/** A request that holds under every rule, with the targets it resolves to and the plan approvers are shown. */
export interface CheckedRequest {
  readonly grantId: string;
  /** When the grant may start (the requested start, or now). */
  readonly startAt: string;
  readonly request: AccessRequest;
  readonly targets: ResolvedTarget[];
  readonly plan: GrantPlan;
}

/**
 * Applies every rule to a request, against the current config, the runtime vendor states and the instances as EC2
 * describes them now, and plans it. Writes nothing. The API runs it to answer at once with a field-named error; the
 * workflow's validate and approval steps run it again, because what they receive is a claim.
 *
 * `isNew`: refuse a grant id the ledger already holds (a new request), or not (the approval step of one).
 */
export async function checkRequest(
  deps: Dependencies,
  request: AccessRequest,
  options: { readonly isNew: boolean },
): Promise<CheckedRequest> {
  const { settings, clock, network, ledger } = deps;
  if (options.isNew && (await ledger.getGrant(request.grantId))) {
    throw new ValidationError(
      'grantId',
      'DUPLICATE_GRANT',
      `grant ${request.grantId} already exists: use a new grant id`,
    );
  }
  const now = clock();
  const groupInstances: Record<string, InstanceFacts[]> = {};
  for (const group of settings.config.targetGroups.filter((g) => requestedGroupNames(request).includes(g.name))) {
    groupInstances[group.name] = await network.describeInstancesTagged(group.tagKey, group.tagValue);
  }
  const validated = validateRequest(request, {
    config: settings.config,
    now,
    instances: await network.describeInstances(requestedInstanceIds(request)),
    stackAccountId: settings.env.accountId,
    disabledVendors: await disabledVendors(deps),
    groupInstances,
  });
  if (request.extends) checkExtension(request, await ledger.getGrant(request.extends));
  const vendor = settings.config.vendors.find((v) => v.id === request.vendorId);
  if (!vendor) throw new ValidationError('vendorId', 'UNKNOWN_VENDOR', `unknown vendor ${request.vendorId}`);
  const window = grantWindow(validated.startAt, request.durationMinutes, now);
  const plan = planGrant(validated.request, validated.targets, vendor, window, planContext(settings));
  const ruleCounts: Record<string, number> = {};
  for (const securityGroupId of new Set(plan.ingressRules.map((r) => r.securityGroupId))) {
    ruleCounts[securityGroupId] = (await network.listIngressRules(securityGroupId)).length;
  }
  checkQuotas(plan, ruleCounts);
  return {
    grantId: request.grantId,
    startAt: validated.startAt,
    request: validated.request,
    targets: validated.targets,
    plan,
  };
}
