import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GrantFailedError, TransitionError } from '../domain/errors';
import { grantWindow } from '../domain/expiry';
import { GRANT_TAG, ingressRuleKey, MANAGED_TAG, planGrant, samePlanApartFromWindow } from '../domain/planner';
import type { GrantPlan, GrantRecord } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { planContext } from '../shared/dependencies';
import { logger, metrics } from '../shared/powertools';
import { teardownGrant } from './teardown';

export interface ProvisionResult {
  readonly grantId: string;
  readonly status: 'ACTIVE';
  readonly roleArn: string;
  readonly startAt: string;
  readonly expiresAt: string;
  readonly securityGroupRuleIds: readonly string[];
  readonly scheduleArn: string;
}

const ACTOR = 'grant';

/**
 * Creates what the approved plan lists, recording each created id in the ledger as it goes. On any failure, the
 * revoke path removes what was created and the grant ends FAILED. Run again with the same grant id, it creates
 * nothing new: every create returns the existing resource of the same name.
 */
export async function provisionGrant(deps: Dependencies, grantId: string): Promise<ProvisionResult> {
  const grant = await deps.ledger.getGrant(grantId);
  if (!grant) throw new Error(`grant ${grantId} is not in the ledger`);
  if (grant.status === 'ACTIVE') return resultOf(grant, grant.plan);

  const plan = await startGranting(deps, grant);
  let step = 'create role';
  try {
    const roleArn = await deps.roles.createRole(plan.role);
    await deps.ledger.recordCreated(grantId, { roleArn });

    step = 'put session policy';
    await deps.roles.putInlinePolicy(plan.role.name, plan.role.inlinePolicyName, plan.role.inlinePolicy);
    await deps.ledger.recordCreated(grantId, { inlinePolicyName: plan.role.inlinePolicyName });

    step = 'open ingress rules';
    const securityGroupRuleIds: string[] = [];
    for (const rule of plan.ingressRules) {
      const key = ingressRuleKey(rule);
      // Acquire before opening: a rule another grant already opened is shared, never opened twice.
      const holding = await deps.ledger.acquireRule(rule, key, grantId);
      let ruleId = holding.ruleId;
      if (!ruleId) {
        ruleId = await deps.network.authorizeIngress(rule, `jit-access grant ${grantId}`, {
          [GRANT_TAG]: grantId,
          [MANAGED_TAG]: 'true',
        });
        await deps.ledger.setRuleId(key, ruleId);
      }
      securityGroupRuleIds.push(ruleId);
    }
    await deps.ledger.recordCreated(grantId, { securityGroupRuleIds });

    step = 'create expiry schedule';
    const scheduleArn = await deps.schedules.create({
      name: plan.schedule.name,
      groupName: plan.schedule.groupName,
      expression: plan.schedule.expression,
      targetArn: deps.settings.revokeFunctionArn,
      roleArn: deps.settings.schedulerRoleArn,
      deadLetterArn: deps.settings.schedulerDlqArn,
      input: { grantId, reason: 'expiry' },
    });
    await deps.ledger.recordCreated(grantId, { scheduleArn });

    step = 'activate';
    const activated = await deps.ledger.transition(grantId, ['GRANTING'], 'ACTIVE', {
      at: deps.clock().toISOString(),
      actor: ACTOR,
      event: `active until ${plan.window.expiresAt}`,
    });
    if (!activated) throw new Error('the grant was revoked while it was being created');

    metrics.addMetric('GrantsIssued', MetricUnit.Count, 1);
    return {
      grantId,
      status: 'ACTIVE',
      roleArn,
      startAt: plan.window.startAt,
      expiresAt: plan.window.expiresAt,
      securityGroupRuleIds,
      scheduleArn,
    };
  } catch (error) {
    logger.error('grant failed; compensating through the revoke path', { step, error: error as Error });
    metrics.addMetric('GrantsFailed', MetricUnit.Count, 1);
    try {
      await teardownGrant(deps, grantId, 'failure', ACTOR, { force: true });
    } catch (compensationError) {
      // What could not be removed stays recorded for the sweeper, which retries it.
      logger.error('compensation failed; the sweeper will finish it', { error: compensationError as Error });
    }
    throw new GrantFailedError(grantId, step, error);
  }
}

/** Fixes the window and plan at grant time and moves APPROVED → GRANTING; a retry continues a grant in GRANTING. */
async function startGranting(deps: Dependencies, grant: GrantRecord): Promise<GrantPlan> {
  if (grant.status === 'GRANTING') return grant.plan;
  if (grant.status !== 'APPROVED') throw new TransitionError(grant.status, 'GRANTING');

  const vendor = deps.settings.config.vendors.find((v) => v.id === grant.request.vendorId);
  if (!vendor) throw new Error(`vendor ${grant.request.vendorId} is no longer configured`);
  if (!vendor.enabled) throw new Error(`vendor ${vendor.id} was disabled after the request was approved`);
  const window = grantWindow(grant.plan.window.startAt, grant.request.durationMinutes, deps.clock());
  const plan = planGrant(grant.request, grant.targets, vendor, window, planContext(deps.settings));
  if (!samePlanApartFromWindow(plan, grant.plan)) {
    // Approvers approved exactly what they were shown; a config change since then needs a new request.
    throw new Error(
      `the stack config changed since grant ${grant.grantId} was approved (vendor, targets or ports differ): request access again`,
    );
  }

  const moved = await deps.ledger.transition(
    grant.grantId,
    ['APPROVED'],
    'GRANTING',
    { at: deps.clock().toISOString(), actor: ACTOR, event: `granting ${window.startAt} → ${window.expiresAt}` },
    { plan, expiresAt: window.expiresAt },
  );
  if (moved) return plan;
  const current = await deps.ledger.getGrant(grant.grantId);
  if (current?.status === 'GRANTING') return current.plan;
  throw new TransitionError(current?.status ?? 'UNKNOWN', 'GRANTING');
}

function resultOf(grant: GrantRecord, plan: GrantPlan): ProvisionResult {
  return {
    grantId: grant.grantId,
    status: 'ACTIVE',
    roleArn: grant.created.roleArn ?? '',
    startAt: plan.window.startAt,
    expiresAt: plan.window.expiresAt,
    securityGroupRuleIds: grant.created.securityGroupRuleIds ?? [],
    scheduleArn: grant.created.scheduleArn ?? '',
  };
}
