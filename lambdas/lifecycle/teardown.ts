import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sessionsOfRole } from '../adapters/ssm';
import { LIVE_STATUSES, TERMINAL_STATUSES } from '../domain/grant-state';
import {
  GRANT_TAG,
  ingressRuleKey,
  MANAGED_TAG,
  sameIngressRule,
  REVOKE_POLICY_NAME,
  revokedRolePolicy,
  roleNameFor,
  scheduleNameFor,
} from '../domain/planner';
import { historyEntry, type Actor } from '../domain/history';
import type { GrantRecord, GrantStatus, IngressRule, Residue, RevokeReason } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { logger, metrics } from '../shared/powertools';

export interface TeardownResult {
  readonly grantId: string;
  readonly status: GrantStatus | 'UNKNOWN';
  /** False when there was nothing to do (already revoked): the second run of an idempotent revoke. */
  readonly changed: boolean;
  readonly residue: Residue;
  /** Rules left open because another active grant still holds them. */
  readonly sharedRulesKept: readonly string[];
}

export const NO_RESIDUE: Residue = { roles: [], policies: [], securityGroupRules: [], schedules: [], sessions: [] };

export function isClean(residue: Residue): boolean {
  return Object.values(residue).every((items: readonly string[]) => items.length === 0);
}

/**
 * The ordered teardown of one grant, from DESIGN.md: deny credentials already issued → end live sessions → close
 * ingress rules nobody else holds → delete the expiry schedule → delete policies and role → check that nothing is
 * left and record the check. Every step tolerates "already gone", so a second run changes nothing.
 *
 * `force` runs the resource steps even when the ledger says the grant is already over: a grant that raced a revoke
 * uses it to remove what it created after the revoke had finished, and the sweeper uses it for orphans.
 */
export async function teardownGrant(
  deps: Dependencies,
  grantId: string,
  reason: RevokeReason,
  actor: Actor,
  options: { readonly force?: boolean } = {},
): Promise<TeardownResult> {
  const { ledger } = deps;
  const grant = await ledger.getGrant(grantId);
  if (grant && !options.force && isFinished(grant)) {
    return {
      grantId,
      status: grant.status,
      changed: false,
      residue: grant.residueCheck?.residue ?? NO_RESIDUE,
      sharedRulesKept: [],
    };
  }
  if (grant && (grant.status === 'PENDING' || grant.status === 'APPROVED')) {
    // Nothing exists yet: cancelling is the whole revoke. The grant step refuses a cancelled grant.
    const cancelled = await ledger.transition(
      grantId,
      ['PENDING', 'APPROVED'],
      'REVOKED',
      event(deps, actor, `cancelled (${reason})`),
      { revokeReason: reason, residueCheck: { checkedAt: deps.clock().toISOString(), residue: NO_RESIDUE } },
    );
    if (cancelled) return { grantId, status: 'REVOKED', changed: true, residue: NO_RESIDUE, sharedRulesKept: [] };
    // The grant moved on meanwhile (the grant step started it, or a decision ended it): revoke it as it is now.
    return teardownGrant(deps, grantId, reason, actor, options);
  }

  const tracked = grant
    ? await ledger.transition(
        grantId,
        ['GRANTING', 'ACTIVE', 'REVOKING', 'FAILED'],
        'REVOKING',
        event(deps, actor, `revoke started (${reason})`),
        { revokeReason: reason },
      )
    : false;

  const plannedRules = grant?.plan.ingressRules ?? [];
  const sharedRulesKept = await removeResources(deps, grantId, plannedRules);
  const residue = await findResidue(deps, grantId, plannedRules);
  const clean = isClean(residue);
  const residueCheck = { checkedAt: deps.clock().toISOString(), residue };

  let status: GrantStatus | 'UNKNOWN' = grant?.status ?? 'UNKNOWN';
  if (grant && tracked) {
    status = clean ? (reason === 'failure' ? 'FAILED' : 'REVOKED') : 'REVOKING';
    if (clean) {
      await ledger.transition(grantId, ['REVOKING'], status, event(deps, actor, `revoked (${reason}); residue: none`), {
        residueCheck,
      });
    } else {
      await ledger.appendHistory(grantId, event(deps, actor, `revoke incomplete (${reason})`, residue), {
        residueCheck,
      });
    }
  } else if (grant) {
    await ledger.appendHistory(grantId, event(deps, actor, `teardown after the grant ended (${reason})`, residue), {
      residueCheck,
    });
  }

  metrics.addMetric(clean ? 'GrantsRevoked' : 'RevokesIncomplete', MetricUnit.Count, 1);
  if (reason === 'expiry' && grant?.expiresAt) {
    const lag = Math.max(0, (deps.clock().getTime() - Date.parse(grant.expiresAt)) / 1000);
    metrics.addMetric('TimeToRevokeSeconds', MetricUnit.Seconds, lag);
  }
  if (grant && tracked) {
    await deps.notifier.publish(
      clean ? `jit-access: grant ${grantId} revoked` : `jit-access: ALERT grant ${grantId} revoke incomplete`,
      clean
        ? `Grant ${grantId} for vendor ${grant.request.vendorId} was revoked (${reason}). Nothing remains.`
        : `Grant ${grantId} could not be fully revoked (${reason}). Left for the sweeper: ${JSON.stringify(residue)}`,
    );
  }
  if (!clean) logger.error('revoke left residue; the sweeper will retry', { residue });
  return { grantId, status, changed: true, residue, sharedRulesKept };
}

/** Whether the grant is over and its teardown proved nothing remains: a revoke has nothing left to do. */
export function isFinished(grant: GrantRecord): boolean {
  if (TERMINAL_STATUSES.includes(grant.status)) return true;
  return grant.status === 'FAILED' && grant.residueCheck !== undefined && isClean(grant.residueCheck.residue);
}

function event(deps: Dependencies, actor: Actor, what: string, residue?: Residue) {
  return historyEntry(
    deps.clock().toISOString(),
    actor,
    what,
    residue && !isClean(residue) ? JSON.stringify(residue) : undefined,
  );
}

/**
 * Steps 1-5 of the teardown; returns the rule keys kept because another grant holds them. A step that fails is
 * logged and the next one still runs: one stuck resource must not keep the others (sessions, rules) alive, and the
 * residue check that follows records what is left for the sweeper.
 */
async function removeResources(deps: Dependencies, grantId: string, plannedRules: readonly IngressRule[]) {
  const { roles, network, schedules, ledger, settings } = deps;
  const roleName = roleNameFor(grantId);

  await attempt('deny everything to the role', async () => {
    if (await roles.getRole(roleName)) {
      await roles.putInlinePolicy(roleName, REVOKE_POLICY_NAME, revokedRolePolicy());
    }
  });

  await attempt('terminate live sessions', () => terminateSessionsOf(deps, roleName));

  const kept: string[] = [];
  for (const rule of plannedRules) {
    await attempt(`close ingress rule ${ingressRuleKey(rule)}`, async () => {
      const key = ingressRuleKey(rule);
      const holding = await ledger.releaseRule(key, grantId);
      if (holding && holding.holders.length > 0) {
        kept.push(key);
        return;
      }
      if (holding && !(await ledger.forgetRuleIfUnheld(key))) {
        kept.push(key); // another grant acquired it between our release and the delete
        return;
      }
      await closeRule(deps, rule, holding?.ruleId);
    });
  }
  // A rule tagged with this grant that the ledger does not know (a crash between opening and recording it).
  await attempt('close unrecorded ingress rules', async () => {
    for (const securityGroupId of Object.values(settings.securityGroups)) {
      for (const rule of await network.listIngressRules(securityGroupId)) {
        if (rule.tags[GRANT_TAG] === grantId && !(await ledger.getRule(ingressRuleKey(rule)))) {
          await network.revokeIngress(securityGroupId, rule.ruleId);
        }
      }
    }
  });

  await attempt('delete expiry schedule', () => schedules.delete(scheduleNameFor(grantId), settings.scheduleGroupName));
  await attempt('delete role', () => roles.deleteRole(roleName));
  // A session opened in the moment before the deny policy landed must not outlive the role.
  await attempt('terminate sessions started meanwhile', () => terminateSessionsOf(deps, roleName));
  return kept;
}

/** Ends every live session of the role; one that cannot be ended does not keep the others alive. */
async function terminateSessionsOf(deps: Dependencies, roleName: string): Promise<void> {
  for (const session of sessionsOfRole(await deps.sessions.listActiveSessions(), roleName)) {
    await attempt(`terminate session ${session.sessionId}`, () => deps.sessions.terminateSession(session.sessionId));
  }
}

async function attempt(step: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    logger.error('revoke step failed; continuing, the residue check records what is left', {
      step,
      error: error as Error,
    });
  }
}

async function closeRule(deps: Dependencies, rule: IngressRule, ruleId: string | undefined): Promise<void> {
  if (ruleId) {
    await deps.network.revokeIngress(rule.securityGroupId, ruleId);
    return;
  }
  const existing = (await deps.network.listIngressRules(rule.securityGroupId)).find(
    (r) => sameIngressRule(r, rule) && r.tags[MANAGED_TAG] === 'true',
  );
  if (existing) await deps.network.revokeIngress(rule.securityGroupId, existing.ruleId);
}

/** Step 6: what of this grant still exists. A rule another live grant holds is not residue. */
export async function findResidue(
  deps: Dependencies,
  grantId: string,
  plannedRules: readonly IngressRule[],
): Promise<Residue> {
  const { roles, sessions, network, schedules, ledger, settings } = deps;
  const roleName = roleNameFor(grantId);
  const role = await roles.getRole(roleName);
  const policies = role ? await roles.listInlinePolicies(roleName) : [];
  const schedule = await schedules.get(scheduleNameFor(grantId), settings.scheduleGroupName);
  const liveSessions = sessionsOfRole(await sessions.listActiveSessions(), roleName);

  const leftoverRules: string[] = [];
  const groups = [
    ...new Set([...plannedRules.map((r) => r.securityGroupId), ...Object.values(settings.securityGroups)]),
  ];
  for (const securityGroupId of groups) {
    for (const rule of await network.listIngressRules(securityGroupId)) {
      if (rule.tags[MANAGED_TAG] !== 'true') continue; // not opened by jit-access
      const planned = plannedRules.some((p) => sameIngressRule(p, rule));
      if (!planned && rule.tags[GRANT_TAG] !== grantId) continue;
      const holding = await ledger.getRule(ingressRuleKey(rule));
      const heldByLiveGrant = await anyLive(deps, holding?.holders ?? []);
      if (!heldByLiveGrant) leftoverRules.push(rule.ruleId);
    }
  }

  return {
    roles: role ? [role.arn] : [],
    policies: policies.map((name) => `${roleName}/${name}`),
    securityGroupRules: leftoverRules,
    schedules: schedule ? [schedule.arn] : [],
    sessions: liveSessions.map((s) => s.sessionId),
  };
}

/** Whether any of these grants may still hold resources (granting or active, and not past expiry). */
export async function anyLive(deps: Dependencies, grantIds: readonly string[]): Promise<boolean> {
  const now = deps.clock().getTime();
  for (const id of grantIds) {
    const grant = await deps.ledger.getGrant(id);
    if (!grant || !LIVE_STATUSES.includes(grant.status) || grant.status === 'REVOKING') continue;
    if (!grant.expiresAt || Date.parse(grant.expiresAt) > now) return true;
  }
  return false;
}
