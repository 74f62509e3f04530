import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { sessionsOfRole } from '../adapters/ssm';
import { LIVE_STATUSES, TERMINAL_STATUSES } from '../domain/grant-state';
import {
  GRANT_TAG,
  heldIngressRuleDescription,
  INLINE_POLICY_NAME,
  ingressRuleKey,
  MANAGED_TAG,
  roleNameFor,
  sameIngressRule,
  scheduleNameFor,
} from '../domain/planner';
import { backoffDelays } from '../domain/backoff';
import { historyEntry, type Actor } from '../domain/history';
import {
  hasTargets,
  notSent,
  osUserHoldOf,
  osUserOf,
  planLock,
  recordOutcomes,
  unfinishedOn,
  type LockPlan,
} from '../domain/os-accounts';
import type {
  GrantRecord,
  GrantStatus,
  IngressRule,
  OsAccountEntry,
  OsAccountOutcome,
  Residue,
  RevokeReason,
} from '../domain/types';
import type { ExistingRole } from '../adapters/iam';
import type { KeptRule, ReleasedRules } from '../adapters/ledger';
import type { Dependencies } from '../shared/dependencies';
import type { RuntimeSettings } from '../shared/environment';
import { auditLog } from '../shared/audit-log';
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

export const NO_RESIDUE: Residue = {
  roles: [],
  policies: [],
  securityGroupRules: [],
  schedules: [],
  sessions: [],
  osAccounts: [],
};

export function isClean(residue: Residue): boolean {
  return Object.values(residue).every((items: readonly string[]) => items.length === 0);
}

/**
 * How long a revoke keeps checking residue that AWS may still list after a delete (IAM and EC2 are eventually
 * consistent: a role or rule just deleted can be listed for some seconds). Waits double from `firstMs` and add up to
 * `budgetMs` at most: 1 + 2 + 4 + 8 = 15 s for a revoke (its functions run for up to 5 minutes). The short one,
 * 0.5 + 1 + 2 = 3.5 s, is for the kill switch (behind API Gateway's 29 s, after up to 15 s of waiting for the OS-user
 * lock) and for the sweeper's retries of grants a revoke already found residue on (many of them share one run).
 */
export interface ResidueRecheck {
  readonly firstMs: number;
  readonly budgetMs: number;
}

export const REVOKE_RESIDUE_RECHECK: ResidueRecheck = { firstMs: 1_000, budgetMs: 15_000 };
export const SHORT_RESIDUE_RECHECK: ResidueRecheck = { firstMs: 500, budgetMs: 3_500 };

/**
 * Whether a later read may show some of the residue gone: a role, policy, schedule or rule that AWS listed. What could
 * not be read at all is not waited for (the SDK already retried it), nor what no read clears (a session that would
 * not end, a lock not sent): the sweeper takes those.
 */
function mayClearOnRecheck(residue: Residue): boolean {
  return [residue.roles, residue.policies, residue.securityGroupRules, residue.schedules].some((kind) =>
    kind.some((item) => !item.endsWith(UNCHECKED)),
  );
}

/**
 * The ordered teardown of one grant, from DESIGN.md: deny credentials already issued → end live sessions → mark it
 * REVOKING and let go of its rules and OS user (one ledger write when it alone holds them) → lock the OS user where
 * no other live grant holds it → close ingress rules nobody else holds → delete the expiry schedule → delete policies
 * and role → check that nothing is left and record the check. Every step tolerates "already gone", so a second run
 * changes nothing.
 *
 * `force` runs the resource steps even when the ledger says the grant is already over: a grant that raced a revoke
 * uses it to remove what it created after the revoke had finished, and the sweeper uses it for orphans.
 */
export async function teardownGrant(
  deps: Dependencies,
  grantId: string,
  reason: RevokeReason,
  actor: Actor,
  options: { readonly force?: boolean; readonly grant?: GrantRecord; readonly recheck?: ResidueRecheck } = {},
): Promise<TeardownResult> {
  const { ledger } = deps;
  const startedAt = deps.clock().getTime();
  // A caller that has just read the grant passes it: one read fewer on the path that ends access.
  const grant = options.grant ?? (await ledger.getGrant(grantId));
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
    return teardownGrant(deps, grantId, reason, actor, {
      ...(options.force ? { force: true } : {}),
      ...(options.recheck ? { recheck: options.recheck } : {}),
    });
  }

  const removal = await removeAndCheck(deps, grantId, grant, (ruleIds) =>
    startRevoke(deps, grantId, grant, reason, actor, ruleIds),
  );
  const { tracked, kept, osAccount, lockCommandIds, osUserKeptFor } = removal;
  const { residue, checks, waitedMs } = await confirmResidue(deps, removal, options.recheck ?? REVOKE_RESIDUE_RECHECK);
  const sharedRulesKept = kept.map((rule) => rule.key);
  // Why the OS user was not locked somewhere is part of the audit, not only of the logs.
  const keptNote = osUserKeptFor.length > 0 ? `; OS user left unlocked on ${osUserKeptFor.join(', ')}` : '';
  const clean = isClean(residue);
  // How sure the check is: said in the history whenever the first check was not the last.
  const checksNote =
    checks === 1
      ? ''
      : clean
        ? ` (after ${checks} checks over ${waitedMs / 1000} s: AWS still listed deleted resources at first)`
        : `; confirmed after ${checks} checks over ${waitedMs / 1000} s`;
  const residueCheck = { checkedAt: deps.clock().toISOString(), residue };
  const recorded = osAccount ? { residueCheck, osAccount, lockCommandIds } : { residueCheck };

  let status: GrantStatus | 'UNKNOWN' = grant?.status ?? 'UNKNOWN';
  if (grant && tracked) {
    status = clean ? (reason === 'failure' ? 'FAILED' : 'REVOKED') : 'REVOKING';
    if (clean) {
      await ledger.transition(
        grantId,
        ['REVOKING'],
        status,
        event(deps, actor, `revoked (${reason}); residue: none${checksNote}${keptNote}`),
        recorded,
      );
    } else {
      await ledger.appendHistory(
        grantId,
        event(deps, actor, `revoke incomplete (${reason})${checksNote}${keptNote}`, residue),
        recorded,
      );
    }
  } else if (grant) {
    await ledger.appendHistory(
      grantId,
      event(deps, actor, `teardown after the grant ended (${reason})${checksNote}`, residue),
      recorded,
    );
  }

  const doneAt = deps.clock().getTime();
  const expiresAt = grant?.expiresAt ? Date.parse(grant.expiresAt) : undefined;
  // Absent for a grant ended before its expiry (kill switch, lockout): only an expired one has a lag.
  const secondsAfterExpiry = expiresAt !== undefined && doneAt >= expiresAt ? (doneAt - expiresAt) / 1000 : undefined;
  metrics.addMetric(clean ? 'GrantsRevoked' : 'RevokesIncomplete', MetricUnit.Count, 1);
  if (reason === 'expiry' && expiresAt !== undefined) {
    metrics.addMetric('TimeToRevokeSeconds', MetricUnit.Seconds, secondsAfterExpiry ?? 0);
  }
  auditLog('revokeFinished', {
    grantId,
    vendorId: grant?.request.vendorId,
    reason,
    clean,
    teardownSeconds: (doneAt - startedAt) / 1000,
    secondsAfterExpiry,
  });
  if (grant && tracked) {
    await deps.notifier.publish(
      clean ? `jit-access: grant ${grantId} revoked` : `jit-access: ALERT grant ${grantId} revoke incomplete`,
      clean
        ? `Grant ${grantId} for vendor ${grant.request.vendorId} was revoked (${reason}). Nothing remains.`
        : `Grant ${grantId} could not be fully revoked (${reason}). Left for the sweeper: ${JSON.stringify(residue)}`,
    );
  }
  if (!clean) logger.error('revoke left residue; the sweeper will retry', { residue, checks, waitedMs });
  return { grantId, status, changed: true, residue, sharedRulesKept: [...sharedRulesKept] };
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

/** How a residue entry says that a kind could not be read: honest about what it does not know. */
export const UNCHECKED = 'could not be checked';

/**
 * Checks again, with backoff, residue that a later read may show gone, and answers the residue as last read. The
 * first check costs nothing more: only residue seen by it leads to waiting and reading again, so a clean revoke makes
 * no extra call. Residue that no read can clear (a session that would not end, a lock not sent) is not waited for.
 */
async function confirmResidue(
  deps: Dependencies,
  removal: Removal,
  recheck: ResidueRecheck,
): Promise<{ readonly residue: Residue; readonly checks: number; readonly waitedMs: number }> {
  let residue = removal.residue;
  let checks = 1;
  let waitedMs = 0;
  for (const delay of backoffDelays(recheck.firstMs, recheck.budgetMs)) {
    if (!mayClearOnRecheck(residue)) break;
    await deps.sleep(delay);
    waitedMs += delay;
    checks += 1;
    residue = await removal.recheck(residue);
  }
  return { residue, checks, waitedMs };
}

/** What the resource steps found and left: the rules kept for other grants, and the residue check. */
interface Removal {
  /** Whether this run moved the grant to REVOKING (false: it had moved on, or there is no such grant). */
  readonly tracked: boolean;
  readonly kept: readonly KeptRule[];
  readonly residue: Residue;
  /**
   * Reads again the residue that a later read may show gone (role, its policies, schedule, rules); a role still there
   * and still this grant's, and a schedule, are deleted again first (IAM may refuse a delete just after the detach it
   * needs; both deletes answer "already gone" as done).
   */
  readonly recheck: (previous: Residue) => Promise<Residue>;
  /** The grant's OS-account record with this lock's outcomes known now, when a lock was sent. */
  readonly osAccount?: Record<string, OsAccountEntry>;
  /** Every lock command sent for the grant, this run's included: only their events are recorded. */
  readonly lockCommandIds?: readonly string[];
  /** Targets the lock left alone for another live grant of the same OS user (`<target> (held by <grantId>)`). */
  readonly osUserKeptFor: readonly string[];
}

/**
 * The resource steps of the teardown and the residue check, in order: deny (the stack's deny-all managed policy is
 * attached, which covers credentials already issued) → end live sessions → let go of the rules and close those nobody
 * else holds → delete the schedule → delete the policies and the role → end any session opened meanwhile → check.
 *
 * A step that fails is logged and the next one still runs: one stuck resource must not keep the others (sessions,
 * rules) alive. The check trusts AWS's own answer to a delete (done, or already gone) and reads only what a delete
 * cannot prove: sessions opened since, and, unless every rule was closed by its recorded id, the JIT groups' rules
 * (one listing, which also finds a rule this grant opened but never recorded). What a failed step left is read back
 * and reported for the sweeper.
 */
async function removeAndCheck(
  deps: Dependencies,
  grantId: string,
  grant: GrantRecord | undefined,
  start: (ruleIds: ReadonlyMap<string, string> | undefined) => Promise<Started>,
): Promise<Removal> {
  const { roles, network, schedules, settings } = deps;
  const roleName = roleNameFor(grantId);
  const scheduleName = scheduleNameFor(grantId);
  const plannedRules = grant?.plan.ingressRules ?? [];

  // The role is touched only if it is this grant's: a role of the same name made by anyone else is left alone, and
  // so are its sessions. A role already gone leaves only sessions to end.
  const existing = await roles.getRole(roleName).catch((error: unknown) => {
    logger.error('revoke step failed; continuing', { step: 'read the role', error: error as Error });
    return 'unknown' as const;
  });
  const ours = existing !== 'unknown' && existing !== undefined && isGrantRole(existing, grantId, settings);
  if (existing !== undefined && existing !== 'unknown' && !ours) {
    logger.error('a role of the grant role name is not jit-access-made: left alone', { roleArn: existing.arn });
  }
  // The stack's deny-all is the only policy teardown can attach (IAM allows no other): revoking never widens a role.
  if (ours)
    await attempt('deny everything to the role', () => roles.attachDenyAll(roleName, settings.revokedPolicyArn));
  const sessionsAreOurs = ours || existing === undefined;
  if (sessionsAreOurs) await attempt('terminate live sessions', () => terminateSessionsOf(deps, roleName));
  const recorded = recordedRuleIds(grant);
  // The grant is marked REVOKING and lets go of its rules and OS user in one write; what it let go of says what to
  // close and where to lock.
  const started = await start(recorded);
  // After the sessions: Session Manager ends them cleanly (their recordings are closed and uploaded), and the deny-all
  // already stops a new one; the lock then kills what they left running. Its result comes back as SSM's events.
  const lock = grant ? await sendLock(deps, grant, started.lock) : NO_LOCK;

  const byKey = new Map(plannedRules.map((rule) => [ingressRuleKey(rule), rule]));
  let kept: readonly KeptRule[] = [];
  const unrecorded: IngressRule[] = [];
  const rulesClosed = await attempt('close ingress rules', async () => {
    const released = started.rules ?? (await releaseRules(deps, [...byKey.keys()], grantId, recorded));
    kept = released.kept;
    const toClose = new Map<string, string[]>();
    for (const { key, ruleId } of released.released) {
      const rule = byKey.get(key);
      if (!rule) continue;
      if (!ruleId) {
        unrecorded.push(rule);
        continue;
      }
      toClose.set(rule.securityGroupId, [...(toClose.get(rule.securityGroupId) ?? []), ruleId]);
    }
    for (const [securityGroupId, ruleIds] of toClose) await network.revokeIngressRules(securityGroupId, ruleIds);
  });
  // Only a shared rule costs this call: what EC2 shows beside it names the grants still holding it, not this one.
  await attempt('name the grants that still hold the shared rules', () =>
    describeHolders(
      deps,
      kept.flatMap(({ key, holders }) => {
        const rule = byKey.get(key);
        return rule ? [{ rule, holders }] : [];
      }),
    ),
  );

  const scheduleGone = await attempt('delete expiry schedule', () =>
    schedules.delete(scheduleName, settings.scheduleGroupName),
  );
  const roleGone = ours
    ? await attempt('delete role', () => roles.deleteRole(roleName, [INLINE_POLICY_NAME], [settings.revokedPolicyArn]))
    : existing !== 'unknown';
  // A session opened in the moment before the deny policy landed must not outlive the role. When the role could not
  // be read, its sessions are not ended (whose are they?) but listed, as residue for the sweeper to retry.
  let sessions: string[] | undefined;
  if (sessionsAreOurs) {
    await attempt('terminate sessions started meanwhile', async () => {
      sessions = await terminateSessionsOf(deps, roleName);
    });
  } else if (existing === 'unknown') {
    await attempt('list the sessions of a role that could not be read', async () => {
      sessions = sessionsOfRole(await deps.sessions.listActiveSessions(), roleName).map((s) => s.sessionId);
    });
  } else {
    sessions = [];
  }

  // How the lock ended on each instance arrives as SSM's status-change events, which os-account-results.ts records
  // against the command ids kept here; a lock that failed there reopens the revoke for the sweeper. The revoke does
  // not wait for them. Only an instance SSM would not send the lock to is settled now.
  const lockOutcomes: OsAccountOutcome[] = [];
  const osAccounts = [...lock.unsent];
  if (lock.unreachable.length > 0) {
    try {
      lockOutcomes.push(...(await unreachableOutcomes(deps, lock.unreachable)));
      osAccounts.push(...unfinishedOn(lockOutcomes, 'lock'));
    } catch (error) {
      logger.error('revoke step failed; continuing', { step: 'read unreachable instances', error: error as Error });
      osAccounts.push(`lock of ${lock.unreachable.join(', ')}: ${UNCHECKED}`);
    }
  }
  if (osAccounts.length > 0) metrics.addMetric('OsAccountLocksFailed', MetricUnit.Count, osAccounts.length);

  // Every rule the grant opened has its id in the ledger, and AWS confirmed each one closed (or already gone): that
  // is the proof, and listing every JIT group again would prove nothing more. Otherwise one listing finds the rest.
  const closedByRecordedIds = recorded !== undefined && rulesClosed && unrecorded.length === 0;
  const securityGroupRules = closedByRecordedIds
    ? []
    : await leftoverRules(
        deps,
        grantId,
        plannedRules,
        kept.map((rule) => rule.key),
        unrecorded,
      );
  const readRole = () => roles.getRole(roleName).catch(() => ({ arn: `${roleName}: ${UNCHECKED}` }));
  const readPolicies = () => roles.listInlinePolicies(roleName).catch(() => [UNCHECKED]);
  const readSchedule = () =>
    schedules.get(scheduleName, settings.scheduleGroupName).catch(() => ({ arn: `${scheduleName}: ${UNCHECKED}` }));
  const role = roleGone ? undefined : await readRole();
  const policies = role ? await readPolicies() : [];
  const schedule = scheduleGone ? undefined : await readSchedule();
  const keptKeys = kept.map((rule) => rule.key);
  const recheck = async (previous: Residue): Promise<Residue> => {
    let roleNow: { arn: string } | undefined;
    if (previous.roles.length > 0 || previous.policies.length > 0) {
      const found = await roles.getRole(roleName).catch(() => 'unknown' as const);
      const stillOurs = found !== 'unknown' && found !== undefined && isGrantRole(found, grantId, settings);
      const deleted =
        stillOurs &&
        (await attempt('delete role again', () =>
          roles.deleteRole(roleName, [INLINE_POLICY_NAME], [settings.revokedPolicyArn]),
        ));
      roleNow = found === undefined || deleted ? undefined : await readRole();
    }
    const scheduleDeleted =
      previous.schedules.length > 0 &&
      (await attempt('delete expiry schedule again', () => schedules.delete(scheduleName, settings.scheduleGroupName)));
    const scheduleNow = previous.schedules.length > 0 && !scheduleDeleted ? await readSchedule() : undefined;
    return {
      ...previous,
      roles: roleNow ? [roleNow.arn] : [],
      policies: roleNow ? (await readPolicies()).map((name) => `${roleName}/${name}`) : [],
      securityGroupRules:
        previous.securityGroupRules.length > 0
          ? await leftoverRules(deps, grantId, plannedRules, keptKeys, unrecorded)
          : [],
      schedules: scheduleNow ? [scheduleNow.arn] : [],
    };
  };
  return {
    tracked: started.tracked,
    kept,
    osUserKeptFor: lock.keptFor,
    recheck,
    residue: {
      roles: role ? [role.arn] : [],
      policies: policies.map((name) => `${roleName}/${name}`),
      securityGroupRules,
      schedules: schedule ? [schedule.arn] : [],
      // A listing that failed leaves the sessions unknown: reported as such, for the sweeper.
      sessions: sessions ?? [`${roleName} sessions: ${UNCHECKED}`],
      osAccounts,
    },
    ...(grant && (lockOutcomes.length > 0 || lock.commandIds.length > 0)
      ? {
          // Written whole even with nothing new: the events' results are written into it, entry by entry.
          osAccount: recordOutcomes(grant.osAccount, lockOutcomes, 'lock', deps.clock().toISOString()),
          lockCommandIds: [...(grant.lockCommandIds ?? []), ...lock.commandIds],
        }
      : {}),
  };
}

/**
 * Instances SSM would not send the lock to: a terminated one (or one EC2 no longer knows) has nothing left to lock;
 * any other stays residue until the sweeper reaches it.
 */
async function unreachableOutcomes(deps: Dependencies, instanceIds: readonly string[]): Promise<OsAccountOutcome[]> {
  if (instanceIds.length === 0) return [];
  const existing = (await deps.network.describeInstances(instanceIds)).filter(
    (i) => i.state !== 'terminated' && i.state !== 'shutting-down',
  );
  const present = new Set(existing.map((i) => i.instanceId));
  return [
    ...notSent(
      instanceIds.filter((id) => !present.has(id)),
      'gone',
    ),
    ...notSent(
      instanceIds.filter((id) => present.has(id)),
      'unreachable',
    ),
  ];
}

interface SentLock {
  readonly commandIds: readonly string[];
  readonly unreachable: readonly string[];
  /** Targets left unlocked because another live grant of the same OS user holds them. */
  readonly keptFor: readonly string[];
  /** The lock that could not be sent, as residue. */
  readonly unsent: readonly string[];
}

const NO_LOCK: SentLock = { commandIds: [], unreachable: [], keptFor: [], unsent: [] };

/** What starting the revoke did: whether it moved the grant, what it let go of, and where the lock goes. */
interface Started {
  readonly tracked: boolean;
  /** The rules let go in the same write; absent when they are still to be let go. */
  readonly rules?: ReleasedRules;
  /** Where to lock the OS user; a residue line when its holders could not be read; absent when there is none. */
  readonly lock?: LockPlan | string;
}

const REVOCABLE: readonly GrantStatus[] = ['GRANTING', 'ACTIVE', 'REVOKING', 'FAILED'];

/**
 * Moves the grant to REVOKING and lets go of its rules and its hold on its OS user. Usually one transaction, when the
 * grant recorded every rule id and is the only holder of its rules and its OS user; otherwise (shared, a second run,
 * a grant cut short) each part on its own, the holders read back to see who still needs what.
 */
async function startRevoke(
  deps: Dependencies,
  grantId: string,
  grant: GrantRecord | undefined,
  reason: RevokeReason,
  actor: Actor,
  ruleIds: ReadonlyMap<string, string> | undefined,
): Promise<Started> {
  if (!grant) return { tracked: false };
  const hold = osUserHoldOf(grant);
  const entry = event(deps, actor, `revoke started (${reason})`);
  const update = { revokeReason: reason };
  const alone =
    ruleIds !== undefined &&
    (await deps.ledger
      .startRevoke(grantId, REVOCABLE, 'REVOKING', entry, update, { ruleIds, ...(hold ? { hold } : {}) })
      .catch((error: unknown) => {
        logger.warn('starting the revoke in one write failed; doing it step by step', { error: error as Error });
        return false;
      }));
  if (alone) {
    const released = [...ruleIds].map(([key, ruleId]) => ({ key, ruleId }));
    return { tracked: true, rules: { released, kept: [] }, ...(hold ? { lock: planLock(grant, {}) } : {}) };
  }
  const tracked = await deps.ledger.transition(grantId, REVOCABLE, 'REVOKING', entry, update);
  if (!hold) return { tracked };
  try {
    return { tracked, lock: planLock(grant, await deps.ledger.releaseOsUser(hold, grantId)) };
  } catch (error) {
    logger.error('revoke step failed; continuing', { step: 'let go of the OS user', error: error as Error });
    return { tracked, lock: `lock of ${hold.osUser} on ${hold.reach.join(', ')}: ${UNCHECKED}` };
  }
}

/**
 * Sends the lock of the grant's OS user where its plan says (not where another holder of that user still works:
 * ending that vendor's work is its own revoke's business). Idempotent: locking a locked user changes nothing.
 */
async function sendLock(
  deps: Dependencies,
  grant: GrantRecord,
  plan: LockPlan | string | undefined,
): Promise<SentLock> {
  const osUser = osUserOf(grant.plan);
  if (!osUser || plan === undefined) return NO_LOCK;
  if (typeof plan === 'string') return { ...NO_LOCK, unsent: [plan] };
  try {
    const sent = hasTargets(plan.targets)
      ? await deps.osAccounts.send({
          grantId: grant.grantId,
          action: 'lock',
          osUser,
          blockImds: false,
          targets: plan.targets,
        })
      : { commandIds: [], unreachable: [] };
    return { ...sent, keptFor: plan.keptFor, unsent: [] };
  } catch (error) {
    logger.error('revoke step failed; continuing', { step: 'lock the vendor OS user', error: error as Error });
    const where = grant.targets.map((t) => (t.kind === 'group' ? `group:${t.targetGroup}` : t.instanceIds.join(', ')));
    return { ...NO_LOCK, keptFor: plan.keptFor, unsent: [`lock of ${osUser} on ${where.join(', ')}: ${UNCHECKED}`] };
  }
}

/**
 * Whether a role is the one jit-access made for this grant: its managed and grant tags, the stack's boundary and
 * the stack's path. A role that fails this is never changed, deleted, or has its sessions ended by jit-access.
 */
export function isGrantRole(role: ExistingRole, grantId: string, settings: RuntimeSettings): boolean {
  return (
    role.tags[MANAGED_TAG] === 'true' &&
    role.tags[GRANT_TAG] === grantId &&
    role.permissionsBoundaryArn === settings.permissionsBoundaryArn &&
    role.path === settings.config.iamPath
  );
}

/** The rule ids the grant recorded when it became active, by rule key (plan order), if it recorded them all. */
function recordedRuleIds(grant: GrantRecord | undefined): Map<string, string> | undefined {
  const ids = grant?.created.securityGroupRuleIds;
  const rules = grant?.plan.ingressRules ?? [];
  if (!ids || ids.length !== rules.length) return undefined;
  return new Map(rules.map((rule, i) => [ingressRuleKey(rule), ids[i] as string]));
}

/** Lets go of the grant's rules in one transaction; if holdings keep changing under it, one rule at a time. */
async function releaseRules(
  deps: Dependencies,
  keys: readonly string[],
  grantId: string,
  ruleIds: ReadonlyMap<string, string> | undefined,
) {
  try {
    return await deps.ledger.releaseRules(keys, grantId, ruleIds);
  } catch (error) {
    logger.warn('releasing the rules at once failed; releasing them one by one', { error: error as Error });
  }
  const released: { key: string; ruleId?: string }[] = [];
  const kept: KeptRule[] = [];
  for (const key of keys) {
    const holding = await deps.ledger.releaseRule(key, grantId);
    if (holding && holding.holders.length > 0) kept.push({ key, holders: holding.holders });
    // Forgotten only if nobody acquired it between the release and the delete.
    else if (!holding || (await deps.ledger.forgetRuleIfUnheld(key))) {
      released.push({ key, ...(holding?.ruleId ? { ruleId: holding.ruleId } : {}) });
    } else kept.push({ key, holders: (await deps.ledger.getRule(key))?.holders ?? [] });
  }
  return { released, kept };
}

/**
 * The residue check of the rules: one listing of every JIT group. A rule jit-access opened for this grant (planned,
 * or tagged with its id) that is still open and that no live grant holds is closed now if the grant never recorded
 * it, and reported otherwise.
 */
async function leftoverRules(
  deps: Dependencies,
  grantId: string,
  plannedRules: readonly IngressRule[],
  kept: readonly string[],
  unrecorded: readonly IngressRule[],
): Promise<string[]> {
  const groups = [
    ...new Set([...plannedRules.map((r) => r.securityGroupId), ...Object.values(deps.settings.securityGroups)]),
  ];
  let open;
  try {
    open = await deps.network.listIngressRulesIn(groups);
  } catch (error) {
    logger.error('revoke step failed; continuing', { step: 'list ingress rules', error: error as Error });
    return [`rules of ${groups.join(', ')}: ${UNCHECKED}`];
  }
  const planned = new Set(plannedRules.map(ingressRuleKey));
  const candidates = open.filter(
    (rule) =>
      rule.tags[MANAGED_TAG] === 'true' &&
      !kept.includes(ingressRuleKey(rule)) &&
      (planned.has(ingressRuleKey(rule)) || rule.tags[GRANT_TAG] === grantId),
  );
  if (candidates.length === 0) return [];
  // Rare: a rule still open. Another live grant may have opened it again since; its holdings say.
  const holdings = await deps.ledger.getRules(candidates.map(ingressRuleKey));
  const leftovers: string[] = [];
  for (const rule of candidates) {
    if (await anyLive(deps, holdings.get(ingressRuleKey(rule))?.holders ?? [])) continue;
    const neverRecorded = rule.tags[GRANT_TAG] === grantId && !holdings.has(ingressRuleKey(rule));
    const closed =
      neverRecorded || unrecorded.some((u) => sameIngressRule(u, rule))
        ? await attempt(`close unrecorded ingress rule ${rule.ruleId}`, () =>
            deps.network.revokeIngress(rule.securityGroupId, rule.ruleId),
          )
        : false;
    if (!closed) leftovers.push(rule.ruleId);
  }
  return leftovers;
}

/**
 * Rewrites the description of shared rules to the grants that hold them now (one call per group). Both the grant
 * that joins a rule and the one that leaves it call this; the ledger's holdings stay the authority.
 */
export async function describeHolders(
  deps: Dependencies,
  shared: readonly { readonly rule: IngressRule; readonly holders: readonly string[] }[],
): Promise<void> {
  const byGroup = new Map<string, { rule: IngressRule; description: string }[]>();
  for (const { rule, holders } of shared) {
    if (holders.length === 0) continue;
    const described = { rule, description: heldIngressRuleDescription(holders) };
    byGroup.set(rule.securityGroupId, [...(byGroup.get(rule.securityGroupId) ?? []), described]);
  }
  for (const [securityGroupId, described] of byGroup) {
    await deps.network.describeIngressRules(securityGroupId, described);
  }
}

/**
 * Ends every live session of the role; returns the ones that could not be ended. One that cannot be ended does not
 * keep the others alive.
 */
async function terminateSessionsOf(deps: Dependencies, roleName: string): Promise<string[]> {
  const left: string[] = [];
  for (const session of sessionsOfRole(await deps.sessions.listActiveSessions(), roleName)) {
    const ended = await attempt(`terminate session ${session.sessionId}`, () =>
      deps.sessions.terminateSession(session.sessionId),
    );
    if (!ended) left.push(session.sessionId);
  }
  return left;
}

/** Runs one step; a failure is logged, not thrown. Answers whether the step succeeded. */
async function attempt(step: string, work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (error) {
    logger.error('revoke step failed; continuing, the residue check records what is left', {
      step,
      error: error as Error,
    });
    return false;
  }
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
