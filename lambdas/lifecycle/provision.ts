import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GrantFailedError, TransitionError, ValidationError } from '../domain/errors';
import { grantWindow } from '../domain/expiry';
import { assertStarted, recheckApprovedGrant } from '../domain/grant-checks';
import {
  GRANT_TAG,
  ingressRuleDescription,
  ingressRuleKey,
  MANAGED_TAG,
  planGrant,
  samePlanApartFromWindow,
} from '../domain/planner';
import type { RuleHolding } from '../adapters/ledger';
import {
  hasTargets,
  notSent,
  osUserHoldOf,
  osUserOf,
  recordOutcomes,
  targetsOf,
  unfinishedOn,
} from '../domain/os-accounts';
import { canonicalJson } from '../domain/plan-hash';
import type { GrantPlan, GrantRecord, IngressRule, RevokeReason } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { planContext } from '../shared/dependencies';
import { logger, metrics } from '../shared/powertools';
import { describeHolders, teardownGrant } from './teardown';
import { disabledVendors } from './vendors';

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
  // The ledger first: every kind of ledger write happens before anything exists, so a ledger that cannot be written
  // stops the grant before it creates anything (the workflow records it FAILED; the sweeper releases any holding
  // taken). A rule another grant already opened is shared, not opened twice. The grant holds its OS user the same
  // way, before the unlock is sent: a revoke of another grant of that user leaves it unlocked where this one works.
  const keyed = plan.ingressRules.map((rule) => ({ key: ingressRuleKey(rule), rule }));
  const holdings = await deps.ledger.acquireRules(keyed, grantId, osUserHoldOf({ plan, targets: grant.targets }));
  let step = 'create role';
  try {
    const roleArn = await deps.roles.createRole(plan.role);

    step = 'put session policy';
    await deps.roles.putInlinePolicy(plan.role.name, plan.role.inlinePolicyName, plan.role.inlinePolicy);
    // Teardown finds the role by its name whatever the ledger says; this is the audit's record of it.
    await deps.ledger.recordCreated(grantId, { roleArn, inlinePolicyName: plan.role.inlinePolicyName });

    // Sent now and read before the grant activates, so the instances work on it while the rules and schedule are made.
    step = 'unlock the vendor OS user';
    const osUser = osUserOf(plan);
    const osTargets = targetsOf(grant.targets);
    const vendor = deps.settings.config.vendors.find((v) => v.id === grant.request.vendorId);
    const unlock =
      osUser && hasTargets(osTargets)
        ? await deps.osAccounts.send({
            grantId,
            action: 'unlock',
            osUser,
            blockImds: vendor?.blockImds ?? false,
            targets: osTargets,
          })
        : { commandIds: [], unreachable: [] };

    step = 'open ingress rules';
    // Rules have no clock of their own (the role's policies do): none opens before the window recorded here starts.
    assertStarted(plan.window.startAt, deps.clock(), 'ingress rules refused: the grant window');
    const securityGroupRuleIds = await openRules(deps, grantId, keyed, holdings);

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

    // Fail closed: a vendor who cannot log in, or whose metadata block is missing, is not a working grant. The
    // compensation locks the user again wherever the unlock did run.
    step = 'check the unlock';
    const unlocked = [
      ...(await deps.osAccounts.outcomes(unlock.commandIds)),
      ...notSent(unlock.unreachable, 'unreachable'),
    ];
    const notUnlocked = unfinishedOn(unlocked, 'unlock');
    if (notUnlocked.length > 0) {
      throw new Error(
        `OS user ${osUser} was not unlocked on ${notUnlocked.join('; ')}: check that each instance is running with its SSM agent online and has the user (uid >= 1000)`,
      );
    }

    step = 'activate';
    // The rule ids and the schedule are recorded with the status: one write. Until then the ledger's rule holdings
    // and the names jit-<grantId> are what teardown needs.
    const created = { roleArn, inlinePolicyName: plan.role.inlinePolicyName, securityGroupRuleIds, scheduleArn };
    const activated = await deps.ledger.transition(
      grantId,
      ['GRANTING'],
      'ACTIVE',
      { at: deps.clock().toISOString(), actor: ACTOR, event: `active until ${plan.window.expiresAt}` },
      { created, osAccount: recordOutcomes(grant.osAccount, unlocked, 'unlock', deps.clock().toISOString()) },
    );
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

/**
 * Opens what of the plan's rules nobody had opened (one call per group) and records the new ids (one transaction);
 * a rule the acquired holdings show open is shared. Answers every rule's id, in plan order.
 */
async function openRules(
  deps: Dependencies,
  grantId: string,
  keyed: readonly { readonly key: string; readonly rule: IngressRule }[],
  holdings: ReadonlyMap<string, RuleHolding>,
): Promise<string[]> {
  if (keyed.length === 0) return [];
  const toOpen = new Map<string, IngressRule[]>();
  for (const { key, rule } of keyed) {
    if (holdings.get(key)?.ruleId) continue;
    toOpen.set(rule.securityGroupId, [...(toOpen.get(rule.securityGroupId) ?? []), rule]);
  }
  const opened = new Map<string, string>();
  for (const [securityGroupId, groupRules] of toOpen) {
    const ids = await deps.network.authorizeIngressRules(securityGroupId, groupRules, ingressRuleDescription(grantId), {
      [GRANT_TAG]: grantId,
      [MANAGED_TAG]: 'true',
    });
    for (const [key, ruleId] of ids) opened.set(key, ruleId);
  }
  if (opened.size > 0) await deps.ledger.setRuleIds(opened);
  // Only a shared rule costs this call: what EC2 shows beside it names every grant that holds it now, this one too.
  // A description that could not be written does not fail the grant: the ledger's holdings are the authority.
  const shared = keyed.flatMap(({ key, rule }) => {
    const holding = holdings.get(key);
    return holding?.ruleId ? [{ rule, holders: holding.holders }] : [];
  });
  await describeHolders(deps, shared).catch((error: unknown) => {
    logger.warn('the shared rules still name their earlier holders', { error: error as Error });
  });
  return keyed.map(({ key }) => {
    const ruleId = holdings.get(key)?.ruleId ?? opened.get(key);
    if (!ruleId) throw new Error(`rule ${key} was opened but has no id`);
    return ruleId;
  });
}

/**
 * Fixes the window and plan at grant time and moves APPROVED → GRANTING; a retry continues a grant in GRANTING. Either
 * way the record is checked first (it is a claim): against the config as it is now, against the plan approvers were
 * sent (kept as `approvedPlan` once the window is fixed), and against how the grant it extends ended.
 */
async function startGranting(deps: Dependencies, grant: GrantRecord): Promise<GrantPlan> {
  if (grant.status !== 'APPROVED' && grant.status !== 'GRANTING') throw new TransitionError(grant.status, 'GRANTING');
  const approved = grant.status === 'APPROVED' ? grant.plan : grant.approvedPlan;
  if (!approved) throw refused('plan', 'PLAN_CHANGED', 'the plan approvers were sent is not recorded');
  recheckApprovedGrant(
    { ...grant, plan: approved },
    {
      config: deps.settings.config,
      now: deps.clock(),
      stackAccountId: deps.settings.env.accountId,
      disabledVendors: await disabledVendors(deps),
      votes: await deps.ledger.listVotes(grant.grantId),
    },
  );
  await checkExtendedGrantEnded(deps, grant);
  const vendor = deps.settings.config.vendors.find((v) => v.id === grant.request.vendorId);
  if (!vendor) throw new Error(`vendor ${grant.request.vendorId} is no longer configured`);

  if (grant.status === 'GRANTING') {
    // A retry: the first attempt fixed the window; the plan must be exactly the approved one in that window.
    const replanned = planGrant(grant.request, grant.targets, vendor, grant.plan.window, planContext(deps.settings));
    const minutes = (Date.parse(grant.plan.window.expiresAt) - Date.parse(grant.plan.window.startAt)) / 60_000;
    if (
      canonicalJson(replanned) !== canonicalJson(grant.plan) ||
      !samePlanApartFromWindow(replanned, approved) ||
      minutes !== grant.request.durationMinutes ||
      grant.plan.window.startAt < approved.window.startAt
    ) {
      throw refused('plan', 'PLAN_CHANGED', 'the recorded plan is not the approved one in its granted window');
    }
    return grant.plan;
  }

  const window = grantWindow(approved.window.startAt, grant.request.durationMinutes, deps.clock());
  const plan = planGrant(grant.request, grant.targets, vendor, window, planContext(deps.settings));
  if (!samePlanApartFromWindow(plan, approved)) {
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
    { plan, approvedPlan: approved, expiresAt: window.expiresAt },
  );
  if (moved) return plan;
  const current = await deps.ledger.getGrant(grant.grantId);
  if (current?.status === 'GRANTING') return current.plan;
  throw new TransitionError(current?.status ?? 'UNKNOWN', 'GRANTING');
}

/** Reasons a grant ends on its own clock: an extension of it may start then; any other end cancels it. */
const ENDED_ON_TIME: readonly RevokeReason[] = ['expiry', 'sweeper'];

/** An extension starts only if the grant it extends is still live or ended at its expiry (not killed or disabled). */
async function checkExtendedGrantEnded(deps: Dependencies, grant: GrantRecord): Promise<void> {
  const extendsId = grant.request.extends;
  if (!extendsId) return;
  const original = await deps.ledger.getGrant(extendsId);
  const live = original?.status === 'ACTIVE' || original?.status === 'GRANTING';
  const endedOnTime = original?.revokeReason !== undefined && ENDED_ON_TIME.includes(original.revokeReason);
  if (!live && !endedOnTime) {
    throw refused(
      'extends',
      'EXTENDED_GRANT_REVOKED',
      `grant ${extendsId} ended ${original?.revokeReason ? `by ${original.revokeReason}` : 'without being granted'}, so its extension does not start`,
    );
  }
}

function refused(field: string, code: string, why: string): ValidationError {
  return new ValidationError(field, code, `grant refused: ${why}; request access again`);
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
