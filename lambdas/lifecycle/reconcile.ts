import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { historyEntry } from '../domain/history';
import { grantIdFromName, ingressRuleKey, MANAGED_TAG } from '../domain/planner';
import type { RevokeReason } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { logger, metrics } from '../shared/powertools';
import { isClean, isGrantRole, teardownGrant, type TeardownResult } from './teardown';
import { disableVendor, disabledVendors } from './vendors';

export interface SweepReport {
  readonly expiredGrants: readonly string[];
  /**
   * Grants of a vendor that was disabled, locked out or removed from the config (offboarding): active ones revoked,
   * approved ones waiting for their start cancelled.
   */
  readonly disabledVendorGrants: readonly string[];
  /** Break-glass grants nobody reviewed in time: each disabled its vendor and was flagged. */
  readonly overdueReviews: readonly string[];
  readonly stuckGrants: readonly string[];
  readonly orphanedRoles: readonly string[];
  readonly orphanedSchedules: readonly string[];
  readonly orphanedRules: readonly string[];
  readonly orphanedSessions: readonly string[];
  /** Items that failed this time (`<what>: <error>`); the next run tries them again. */
  readonly failures: readonly string[];
}

const ACTOR = 'sweeper';
/** A revoke still in progress after this long is taken over by the sweeper. */
const STUCK_AFTER_MS = 10 * 60_000;

/**
 * The backstop: reconciles the ledger against IAM, Scheduler, EC2 and SSM and revokes what is expired, belongs to a
 * disabled vendor, or is unknown. It works even when a schedule was deleted by hand, the revoke Lambda failed, or a
 * grant crashed half-way. One item that fails does not stop the others; it is reported, counted and retried next run.
 */
export async function sweep(deps: Dependencies): Promise<SweepReport> {
  const now = deps.clock();
  const failures: string[] = [];
  const each = async (what: string, work: () => Promise<boolean>, found: string[]): Promise<void> => {
    try {
      if (await work()) found.push(what);
    } catch (error) {
      logger.error('sweeper item failed; the next run retries it', { item: what, error: error as Error });
      failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const overdueReviews: string[] = [];
  for (const due of await deps.ledger.reviewsDueBy(now.toISOString())) {
    await each(due.grantId, () => closeOverdueReview(deps, due), overdueReviews);
  }

  // One paged query per status: the grants that may hold resources. Every check below is against these sets, so
  // the sweeper's calls grow with pages, not with grants; only a grant or resource that needs work costs more.
  const live = new Set<string>();
  const expiredGrants: string[] = [];
  const disabledVendorGrants: string[] = [];
  const disabled = await disabledVendors(deps);
  const configured = new Set(deps.settings.config.vendors.map((v) => v.id));
  const enabledVendors = new Set(
    deps.settings.config.vendors.filter((v) => v.enabled && !disabled.has(v.id)).map((v) => v.id),
  );
  const whyVendorGone = (vendorId: string): RevokeReason | undefined => {
    if (!configured.has(vendorId)) return 'vendor-offboarded';
    return enabledVendors.has(vendorId) ? undefined : 'vendor-disabled';
  };
  for (const status of ['ACTIVE', 'GRANTING'] as const) {
    for (const grant of await deps.ledger.grantsByStatus(status)) {
      const expired = grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= now.getTime();
      const vendorGone = whyVendorGone(grant.request.vendorId);
      if (!expired && !vendorGone) {
        live.add(grant.grantId);
        continue;
      }
      await each(
        grant.grantId,
        async () =>
          cleanOrFail(
            await teardownGrant(deps, grant.grantId, expired ? 'sweeper' : (vendorGone as RevokeReason), ACTOR, {
              grant,
            }),
          ),
        expired ? expiredGrants : disabledVendorGrants,
      );
    }
  }
  // An approved grant waiting for its start holds nothing yet; cancelled now, it is never granted (the grant step
  // refuses a cancelled grant), so an offboarded vendor gets no access it was approved for before it left.
  for (const grant of await deps.ledger.grantsByStatus('APPROVED')) {
    const vendorGone = whyVendorGone(grant.request.vendorId);
    if (!vendorGone) continue;
    await each(
      grant.grantId,
      async () => cleanOrFail(await teardownGrant(deps, grant.grantId, vendorGone, ACTOR, { grant })),
      disabledVendorGrants,
    );
  }

  const stuckGrants: string[] = [];
  for (const status of ['REVOKING', 'FAILED'] as const) {
    for (const grant of await deps.ledger.grantsByStatus(status)) {
      const stale = now.getTime() - Date.parse(grant.updatedAt) > STUCK_AFTER_MS;
      const unclean = !grant.residueCheck || !isClean(grant.residueCheck.residue);
      if (!stale || !unclean) continue;
      await each(
        grant.grantId,
        async () => cleanOrFail(await teardownGrant(deps, grant.grantId, 'sweeper', ACTOR, { force: true, grant })),
        stuckGrants,
      );
    }
  }

  /** Tears down what a grant that is not live left (its ledger record may be gone too). */
  const handled = new Set<string>([...expiredGrants, ...disabledVendorGrants, ...stuckGrants]);
  const removeIfOrphaned = async (grantId: string): Promise<boolean> => {
    if (live.has(grantId)) return false;
    if (handled.has(grantId)) return true;
    handled.add(grantId);
    return cleanOrFail(await teardownGrant(deps, grantId, 'sweeper', ACTOR, { force: true }));
  };

  const orphanedRoles: string[] = [];
  for (const role of await deps.roles.listRoles(deps.settings.config.iamPath)) {
    const grantId = grantIdFromName(role.roleName);
    if (!grantId || live.has(grantId)) continue;
    await each(role.roleName, () => removeIfOrphaned(grantId), orphanedRoles);
  }

  const orphanedSchedules: string[] = [];
  for (const name of await deps.schedules.list(deps.settings.scheduleGroupName)) {
    const grantId = grantIdFromName(name);
    if (!grantId || live.has(grantId)) continue;
    await each(name, () => removeIfOrphaned(grantId), orphanedSchedules);
  }

  const orphanedRules: string[] = [];
  // Only rules jit-access opened: an existing group configured as a JIT group may hold rules of its own.
  const managedRules = (await deps.network.listIngressRulesIn(Object.values(deps.settings.securityGroups))).filter(
    (rule) => rule.tags[MANAGED_TAG] === 'true',
  );
  const holdings = await deps.ledger.getRules(managedRules.map(ingressRuleKey));
  for (const rule of managedRules) {
    const key = ingressRuleKey(rule);
    const holders = holdings.get(key)?.holders ?? [];
    if (holders.some((holder) => live.has(holder))) continue;
    await each(
      rule.ruleId,
      async () => {
        for (const holder of holders) await deps.ledger.releaseRule(key, holder);
        // Someone acquired it since the listing: theirs now.
        if (holdings.has(key) && !(await deps.ledger.forgetRuleIfUnheld(key))) return false;
        await deps.network.revokeIngress(rule.securityGroupId, rule.ruleId);
        return true;
      },
      orphanedRules,
    );
  }

  const orphanedSessions: string[] = [];
  const ownRoles = new Map<string, Promise<boolean>>();
  for (const session of await deps.sessions.listActiveSessions()) {
    const roleName = /:assumed-role\/([^/]+)\//.exec(session.owner)?.[1];
    const grantId = roleName ? grantIdFromName(roleName) : undefined;
    if (!roleName || !grantId || live.has(grantId)) continue;
    await each(
      session.sessionId,
      async () => {
        // Only sessions of a role jit-access made (or one already gone): a customer's jit-* role is theirs.
        if (!ownRoles.has(roleName)) ownRoles.set(roleName, isOwnOrGone(deps, roleName, grantId));
        if (!(await ownRoles.get(roleName))) return false;
        await deps.sessions.terminateSession(session.sessionId);
        return true;
      },
      orphanedSessions,
    );
  }

  metrics.addMetric('SweeperExpiredGrants', MetricUnit.Count, expiredGrants.length + stuckGrants.length);
  metrics.addMetric(
    'SweeperOrphansFound',
    MetricUnit.Count,
    orphanedRoles.length + orphanedSchedules.length + orphanedRules.length + orphanedSessions.length,
  );
  metrics.addMetric('SweeperItemFailures', MetricUnit.Count, failures.length);
  metrics.addMetric('BreakGlassReviewsOverdue', MetricUnit.Count, overdueReviews.length);
  return {
    expiredGrants,
    disabledVendorGrants,
    overdueReviews,
    stuckGrants,
    orphanedRoles,
    orphanedSchedules,
    orphanedRules,
    orphanedSessions,
    failures,
  };
}

/** A teardown that left something is a failure of this item: reported now, retried by the next run. */
function cleanOrFail(result: TeardownResult): boolean {
  if (!isClean(result.residue)) throw new Error(`left for the next run: ${JSON.stringify(result.residue)}`);
  return result.changed;
}

/** Whether the role is one jit-access made for the grant, or is gone (its sessions outlived it). */
async function isOwnOrGone(deps: Dependencies, roleName: string, grantId: string): Promise<boolean> {
  const role = await deps.roles.getRole(roleName);
  return role === undefined || isGrantRole(role, grantId, deps.settings);
}

/**
 * A break-glass grant whose review deadline passed with the review still open: the grant is flagged OVERDUE and its
 * vendor disabled (which revokes the vendor's live grants, this one included). A deadline note that no longer
 * matches its grant (reviewed, or replaced by a retried step) is dropped.
 */
async function closeOverdueReview(
  deps: Dependencies,
  due: { readonly grantId: string; readonly reviewBy: string },
): Promise<boolean> {
  const grant = await deps.ledger.getGrant(due.grantId);
  const open = grant?.breakGlass?.review === 'PENDING' && grant.breakGlass.reviewBy === due.reviewBy;
  if (grant && open) {
    await deps.ledger.appendHistory(
      grant.grantId,
      historyEntry(deps.clock().toISOString(), ACTOR, `break-glass review overdue since ${due.reviewBy}: flagged`),
      { breakGlass: { reviewBy: due.reviewBy, review: 'OVERDUE' } },
    );
    await disableVendor(
      deps,
      grant.request.vendorId,
      ACTOR,
      `break-glass grant ${grant.grantId} was not reviewed by ${due.reviewBy}`,
    );
  }
  await deps.ledger.removeReviewDue(due);
  return open;
}
