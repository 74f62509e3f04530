import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { historyEntry } from '../domain/history';
import { grantIdFromName, ingressRuleKey, MANAGED_TAG } from '../domain/planner';
import type { GrantRecord, RevokeReason } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { logger, metrics } from '../shared/powertools';
import type { InboundRule } from '../adapters/ec2';
import { anyLive, isClean, isGrantRole, SHORT_RESIDUE_RECHECK, teardownGrant, type TeardownResult } from './teardown';
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
  /**
   * Grants the workflow left behind: PENDING, APPROVED or GRANTING while their execution had ended (stopped, failed,
   * gone). Each was moved on: EXPIRED, FAILED, or torn down, with the execution's status in its history.
   */
  readonly strandedGrants: readonly string[];
  /**
   * APPROVED grants past their start whose execution still waits for the approval's answer (SendTaskSuccess failed
   * after the vote was recorded): the sweeper may not answer tasks; any approver's retried vote sends it.
   */
  readonly undeliveredDecisions: readonly string[];
  readonly orphanedRoles: readonly string[];
  readonly orphanedSchedules: readonly string[];
  readonly orphanedRules: readonly string[];
  /** Inbound rules of the JIT groups that no live grant held (ids), closed or not: each one is alarmed. */
  readonly unheldRules: readonly string[];
  readonly orphanedSessions: readonly string[];
  /** Holds on a vendor's OS user by grants that are over (`<osUser> held by <grantId>`): each was let go. */
  readonly staleOsUserHolds: readonly string[];
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
  const granting: GrantRecord[] = [];
  const whyVendorGone = (vendorId: string): RevokeReason | undefined => {
    if (!configured.has(vendorId)) return 'vendor-offboarded';
    return enabledVendors.has(vendorId) ? undefined : 'vendor-disabled';
  };
  for (const status of ['ACTIVE', 'GRANTING'] as const) {
    for (const grant of await deps.ledger.grantsByStatus(status)) {
      if (status === 'GRANTING') granting.push(grant);
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
  const approved = await deps.ledger.grantsByStatus('APPROVED');
  for (const grant of approved) {
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
        async () =>
          cleanOrFail(
            await teardownGrant(deps, grant.grantId, 'sweeper', ACTOR, {
              force: true,
              grant,
              recheck: SHORT_RESIDUE_RECHECK,
            }),
          ),
        stuckGrants,
      );
    }
  }

  const strandedGrants: string[] = [];
  const undeliveredDecisions: string[] = [];
  const ended = new Set([...expiredGrants, ...disabledVendorGrants]);
  const waiting = [
    ...(await deps.ledger.grantsByStatus('PENDING')),
    ...approved.filter((grant) => !ended.has(grant.grantId)),
    ...granting.filter((grant) => !ended.has(grant.grantId)),
  ];
  for (const grant of waiting.filter((g) => workflowOverdue(deps, g, now))) {
    await each(
      grant.grantId,
      async () => {
        const execution = await deps.executions.status(grant.grantId);
        if (execution === 'RUNNING') {
          if (grant.status === 'APPROVED') undeliveredDecisions.push(grant.grantId);
          return false;
        }
        if (grant.status === 'GRANTING') live.delete(grant.grantId);
        return moveOnStranded(deps, grant, execution ?? 'NOT FOUND');
      },
      strandedGrants,
    );
  }

  /** Tears down what a grant that is not live left (its ledger record may be gone too). */
  const handled = new Set<string>([...expiredGrants, ...disabledVendorGrants, ...stuckGrants, ...strandedGrants]);
  const removeIfOrphaned = async (grantId: string): Promise<boolean> => {
    if (live.has(grantId)) return false;
    if (handled.has(grantId)) return true;
    // A grant that started after the statuses were read is not an orphan: only a candidate costs this read.
    if (await anyLive(deps, [grantId])) {
      live.add(grantId);
      return false;
    }
    handled.add(grantId);
    return cleanOrFail(
      await teardownGrant(deps, grantId, 'sweeper', ACTOR, { force: true, recheck: SHORT_RESIDUE_RECHECK }),
    );
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

  // A JIT group should hold only rules that live grants hold: every other inbound rule, whatever it admits (IPv4,
  // IPv6, a prefix list, another group), is reported as unheld and alarmed. Only the ones jit-access opened are
  // closed: another rule may be a person's emergency change, and an existing group may hold rules of its own.
  const unheldRules: string[] = [];
  const orphanedRules: string[] = [];
  const inbound = await deps.network.listInboundRulesIn(Object.values(deps.settings.securityGroups));
  const managed = (rule: InboundRule) => (rule.ingress?.tags[MANAGED_TAG] === 'true' ? rule.ingress : undefined);
  const holdings = await deps.ledger.getRules(inbound.flatMap((rule) => managed(rule) ?? []).map(ingressRuleKey));
  const reportUnheld = (rule: InboundRule, action: string): void => {
    unheldRules.push(rule.ruleId);
    logger.warn('unheld ingress rule in a JIT security group', {
      ruleId: rule.ruleId,
      securityGroupId: rule.securityGroupId,
      rule: rule.summary,
      action,
    });
  };
  for (const rule of inbound) {
    const ours = managed(rule);
    if (!ours) {
      reportUnheld(rule, 'left open: jit-access did not open it');
      continue;
    }
    const key = ingressRuleKey(ours);
    const holders = holdings.get(key)?.holders ?? [];
    if (holders.some((holder) => live.has(holder))) continue;
    await each(
      rule.ruleId,
      async () => {
        // A grant that started after the statuses were read holds it too: only such a rule costs the extra reads.
        if (holders.length > 0 && (await anyLive(deps, holders))) return false;
        reportUnheld(rule, 'closed: jit-access opened it for grants that are over');
        for (const holder of holders) await deps.ledger.releaseRule(key, holder);
        // Someone acquired it since the listing: theirs now.
        if (holdings.has(key) && !(await deps.ledger.forgetRuleIfUnheld(key))) return false;
        await deps.network.revokeIngress(rule.securityGroupId, rule.ruleId);
        return true;
      },
      orphanedRules,
    );
  }

  // A hold on an OS user by a grant that is over (its revoke cut short before it let go) would keep every later revoke
  // of that user from locking it where that grant reached: let go of it, so the next lock there goes out.
  const staleOsUserHolds: string[] = [];
  const osUsers = deps.settings.config.vendors.map((vendor) => vendor.osUser);
  for (const [osUser, holders] of await deps.ledger.osUserHolders(osUsers)) {
    for (const [grantId, reach] of Object.entries(holders)) {
      if (live.has(grantId)) continue;
      await each(
        `${osUser} held by ${grantId}`,
        async () => {
          // A grant that started after the statuses were read holds it rightly: only a candidate costs this read.
          if (await anyLive(deps, [grantId])) return false;
          await deps.ledger.releaseOsUser({ osUser, reach }, grantId);
          return true;
        },
        staleOsUserHolds,
      );
    }
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

  // Grants live (active, or being granted) and not expired as the sweeper found them: the dashboard's gauge.
  metrics.addMetric('ActiveGrants', MetricUnit.Count, live.size);
  metrics.addMetric('SweeperExpiredGrants', MetricUnit.Count, expiredGrants.length + stuckGrants.length);
  metrics.addMetric(
    'SweeperOrphansFound',
    MetricUnit.Count,
    orphanedRoles.length + orphanedSchedules.length + orphanedRules.length + orphanedSessions.length,
  );
  metrics.addMetric('SweeperItemFailures', MetricUnit.Count, failures.length);
  // Every run reports it, zero included, so the alarm (lib/constructs/unheld-ingress-alarm.ts) clears once they are gone.
  metrics.addMetric('UnheldIngressRules', MetricUnit.Count, unheldRules.length);
  metrics.addMetric('BreakGlassReviewsOverdue', MetricUnit.Count, overdueReviews.length);
  metrics.addMetric('SweeperStrandedGrants', MetricUnit.Count, strandedGrants.length);
  metrics.addMetric('UndeliveredDecisions', MetricUnit.Count, undeliveredDecisions.length);
  return {
    expiredGrants,
    disabledVendorGrants,
    overdueReviews,
    stuckGrants,
    strandedGrants,
    undeliveredDecisions,
    orphanedRoles,
    orphanedSchedules,
    orphanedRules,
    unheldRules,
    orphanedSessions,
    staleOsUserHolds,
    failures,
  };
}

/**
 * Whether the workflow should have moved the grant on by now: a PENDING grant past the approval timeout, an APPROVED
 * one past its start, a GRANTING one past the grant step's retries, each with the stuck margin. Only these cost a
 * DescribeExecution, so grants that are fine cost the sweeper nothing per grant.
 */
function workflowOverdue(deps: Dependencies, grant: GrantRecord, now: Date): boolean {
  const since = (iso: string | undefined) => now.getTime() - Date.parse(iso ?? grant.updatedAt);
  switch (grant.status) {
    case 'PENDING':
      return since(grant.createdAt) > deps.settings.config.approvalTimeoutMinutes * 60_000 + STUCK_AFTER_MS;
    case 'APPROVED': {
      const start =
        grant.request.startAt && grant.request.startAt > grant.updatedAt ? grant.request.startAt : undefined;
      return since(start) > STUCK_AFTER_MS;
    }
    case 'GRANTING':
      return since(grant.updatedAt) > STUCK_AFTER_MS;
    default:
      return false;
  }
}

/**
 * Moves on a grant whose workflow execution ended without moving it: PENDING becomes EXPIRED (nobody can approve it
 * any more) and APPROVED becomes FAILED (the grant step never ran, so nothing was created); a GRANTING grant may have
 * created part of its resources, so it is torn down. The execution's status goes into the history.
 */
async function moveOnStranded(deps: Dependencies, grant: GrantRecord, execution: string): Promise<boolean> {
  const at = deps.clock().toISOString();
  const why = `the workflow execution is ${execution} while the grant was ${grant.status}`;
  if (grant.status === 'GRANTING') {
    await deps.ledger.appendHistory(grant.grantId, historyEntry(at, ACTOR, `${why}: tearing down what it created`));
    return cleanOrFail(await teardownGrant(deps, grant.grantId, 'failure', ACTOR, { force: true, grant }));
  }
  const to = grant.status === 'PENDING' ? 'EXPIRED' : 'FAILED';
  const moved = await deps.ledger.transition(
    grant.grantId,
    [grant.status],
    to,
    historyEntry(at, ACTOR, `${to.toLowerCase()}: ${why}`, 'nothing was created'),
  );
  if (moved) await deps.ledger.forgetTaskToken(grant.grantId);
  return moved;
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
