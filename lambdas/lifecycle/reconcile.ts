import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { grantIdFromName, ingressRuleKey } from '../domain/planner';
import type { Dependencies } from '../shared/dependencies';
import { metrics } from '../shared/powertools';
import { anyLive, isClean, teardownGrant } from './teardown';

export interface SweepReport {
  readonly expiredGrants: readonly string[];
  readonly stuckGrants: readonly string[];
  readonly orphanedRoles: readonly string[];
  readonly orphanedSchedules: readonly string[];
  readonly orphanedRules: readonly string[];
  readonly orphanedSessions: readonly string[];
}

const ACTOR = 'sweeper';
/** A revoke still in progress after this long is taken over by the sweeper. */
const STUCK_AFTER_MS = 10 * 60_000;

/**
 * The backstop: reconciles the ledger against IAM, Scheduler, EC2 and SSM and revokes what is expired or unknown.
 * It works even when a schedule was deleted by hand, the revoke Lambda failed, or a grant crashed half-way.
 */
export async function sweep(deps: Dependencies): Promise<SweepReport> {
  const now = deps.clock();
  const nowIso = now.toISOString();

  const expiredGrants: string[] = [];
  for (const status of ['ACTIVE', 'GRANTING'] as const) {
    for (const grant of await deps.ledger.grantsByStatus(status, nowIso)) {
      await teardownGrant(deps, grant.grantId, 'sweeper', ACTOR);
      expiredGrants.push(grant.grantId);
    }
  }

  const stuckGrants: string[] = [];
  for (const status of ['REVOKING', 'FAILED'] as const) {
    for (const grant of await deps.ledger.grantsByStatus(status)) {
      const stale = now.getTime() - Date.parse(grant.updatedAt) > STUCK_AFTER_MS;
      const unclean = !grant.residueCheck || !isClean(grant.residueCheck.residue);
      if (stale && unclean) {
        await teardownGrant(deps, grant.grantId, 'sweeper', ACTOR, { force: true });
        stuckGrants.push(grant.grantId);
      }
    }
  }

  const orphanedRoles: string[] = [];
  for (const role of await deps.roles.listRoles(deps.settings.config.iamPath)) {
    const grantId = grantIdFromName(role.roleName);
    if (grantId && !(await anyLive(deps, [grantId]))) {
      await teardownGrant(deps, grantId, 'sweeper', ACTOR, { force: true });
      orphanedRoles.push(role.roleName);
    }
  }

  const orphanedSchedules: string[] = [];
  for (const name of await deps.schedules.list(deps.settings.scheduleGroupName)) {
    const grantId = grantIdFromName(name);
    if (grantId && !(await anyLive(deps, [grantId]))) {
      await teardownGrant(deps, grantId, 'sweeper', ACTOR, { force: true });
      orphanedSchedules.push(name);
    }
  }

  const orphanedRules: string[] = [];
  for (const securityGroupId of Object.values(deps.settings.securityGroups)) {
    for (const rule of await deps.network.listIngressRules(securityGroupId)) {
      const key = ingressRuleKey(rule);
      const holding = await deps.ledger.getRule(key);
      if (await anyLive(deps, holding?.holders ?? [])) continue;
      for (const holder of holding?.holders ?? []) await deps.ledger.releaseRule(key, holder);
      if (holding && !(await deps.ledger.forgetRuleIfUnheld(key))) continue;
      await deps.network.revokeIngress(securityGroupId, rule.ruleId);
      orphanedRules.push(rule.ruleId);
    }
  }

  const orphanedSessions: string[] = [];
  for (const session of await deps.sessions.listActiveSessions()) {
    const roleName = /:assumed-role\/([^/]+)\//.exec(session.owner)?.[1];
    const grantId = roleName ? grantIdFromName(roleName) : undefined;
    if (grantId && !(await anyLive(deps, [grantId]))) {
      await deps.sessions.terminateSession(session.sessionId);
      orphanedSessions.push(session.sessionId);
    }
  }

  const report = { expiredGrants, stuckGrants, orphanedRoles, orphanedSchedules, orphanedRules, orphanedSessions };
  metrics.addMetric('SweeperExpiredGrants', MetricUnit.Count, expiredGrants.length + stuckGrants.length);
  metrics.addMetric(
    'SweeperOrphansFound',
    MetricUnit.Count,
    orphanedRoles.length + orphanedSchedules.length + orphanedRules.length + orphanedSessions.length,
  );
  return report;
}
