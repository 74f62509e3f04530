/**
 * The vendor's OS user on the granted instances: which instances a grant's unlock or lock goes to, and how the outcome
 * on each instance is kept in the ledger and reported as residue. Pure: the ssm adapter sends the commands.
 */
import { RUN_AS_TAG } from './planner';
import { GRANT_ID_PATTERN } from './types';
import type { GrantPlan, GrantRecord, OsAccountEntry, OsAccountOutcome, ResolvedTarget } from './types';

export const OS_ACCOUNT_ACTIONS = ['unlock', 'lock'] as const;
export type OsAccountAction = (typeof OS_ACCOUNT_ACTIONS)[number];

/** A Linux user name with nothing a shell would read as code: the config and the document both hold users to it. */
export const OS_USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

/** At most this many instances are kept per grant (failures first), so the ledger item stays bounded. */
export const MAX_RECORDED_INSTANCES = 100;

/** Where one unlock or lock goes: named instances and whole tag groups (each group one command). */
export interface OsAccountTargets {
  readonly instanceIds: readonly string[];
  readonly groups: readonly { readonly tagKey: string; readonly tagValue: string }[];
}

/** The targets of a lock, and those left unlocked because another live grant of the same OS user holds them. */
export interface LockPlan {
  readonly targets: OsAccountTargets;
  /** `<instance or group:name> (held by <grantId>)`, for the history. */
  readonly keptFor: readonly string[];
}

/** What a reach entry says for a grant that holds a whole target group. */
export const WHOLE_GROUP = '*';

/**
 * A grant's hold on its OS user, kept in the ledger as the ingress rules are held: acquired before the unlock is sent,
 * let go when the revoke starts. Each reach entry is `<targetGroup>|<instanceId>`, or `<targetGroup>|*` for a group
 * held whole.
 */
export interface OsUserHold {
  readonly osUser: string;
  readonly reach: readonly string[];
}

/** The grants that hold one OS user, by grant id, each with its reach entries. */
export type OsUserHolders = Readonly<Record<string, readonly string[]>>;

/** The grant's hold on its OS user, or none when its sessions run as no OS user or it has no target. */
export function osUserHoldOf(grant: Pick<GrantRecord, 'plan' | 'targets'>): OsUserHold | undefined {
  const osUser = osUserOf(grant.plan);
  if (!osUser || grant.targets.length === 0) return undefined;
  const reach = grant.targets.flatMap((t) =>
    t.kind === 'group' ? [`${t.targetGroup}|${WHOLE_GROUP}`] : t.instanceIds.map((id) => `${t.targetGroup}|${id}`),
  );
  return { osUser, reach: [...new Set(reach)] };
}

/** The OS user the grant's sessions run as: the one its plan named. */
export function osUserOf(plan: GrantPlan): string | undefined {
  return plan.role.tags[RUN_AS_TAG];
}

export function targetsOf(targets: readonly ResolvedTarget[]): OsAccountTargets {
  return {
    instanceIds: [...new Set(targets.flatMap((t) => (t.kind === 'instances' ? t.instanceIds : [])))],
    groups: targets.flatMap((t) => (t.kind === 'group' ? [{ tagKey: t.tagKey, tagValue: t.tagValue }] : [])),
  };
}

export function hasTargets(targets: OsAccountTargets): boolean {
  return targets.instanceIds.length > 0 || targets.groups.length > 0;
}

/**
 * What the revoke of `grant` locks: every target, except one another holder of the same OS user may also reach (the
 * same instance, or anything in a group either of them holds whole). Locking it would end that grant's vendor too;
 * that grant's own revoke locks it. `holders` are the OS user's holders as the ledger answered when this grant let go.
 */
export function planLock(grant: GrantRecord, holders: OsUserHolders): LockPlan {
  const others = Object.entries(holders)
    .filter(([grantId]) => grantId !== grant.grantId)
    .map(([grantId, reach]) => ({ grantId, reach: reach.map(parseReach) }));
  const holderOf = (target: ResolvedTarget, instanceId?: string): string | undefined =>
    others.find(({ reach }) =>
      reach.some(
        (held) =>
          (held.targetGroup === target.targetGroup && (held.instanceId === WHOLE_GROUP || target.kind === 'group')) ||
          (held.instanceId !== WHOLE_GROUP && instanceId !== undefined && held.instanceId === instanceId),
      ),
    )?.grantId;
  const instanceIds: string[] = [];
  const groups: { tagKey: string; tagValue: string }[] = [];
  const keptFor: string[] = [];
  for (const target of grant.targets) {
    if (target.kind === 'group') {
      const holder = holderOf(target);
      if (holder) keptFor.push(`group:${target.targetGroup} (held by ${holder})`);
      else groups.push({ tagKey: target.tagKey, tagValue: target.tagValue });
      continue;
    }
    for (const instanceId of target.instanceIds) {
      const holder = holderOf(target, instanceId);
      if (holder) keptFor.push(`${instanceId} (held by ${holder})`);
      else if (!instanceIds.includes(instanceId)) instanceIds.push(instanceId);
    }
  }
  return { targets: { instanceIds, groups }, keptFor };
}

function parseReach(entry: string): { readonly targetGroup: string; readonly instanceId: string } {
  const at = entry.lastIndexOf('|');
  return { targetGroup: entry.slice(0, at), instanceId: entry.slice(at + 1) };
}

/**
 * How a command of the stack's OS-account document names itself in SSM (its Comment, at most 100 characters): the
 * action, the OS user and the grant. SSM's status-change events carry only the command id; the comment, read back,
 * says which grant to look in, and the ledger then says whether that grant really sent the command.
 */
export function commandComment(action: OsAccountAction, osUser: string, grantId: string): string {
  return `jit-access ${action} ${osUser} ${grantId}`;
}

export interface CommandOrigin {
  readonly action: OsAccountAction;
  readonly osUser: string;
  readonly grantId: string;
}

/** The origin a comment claims, or undefined when it is not one `commandComment` writes. */
export function commandOrigin(comment: string | undefined): CommandOrigin | undefined {
  const [prefix, action, osUser, grantId, ...rest] = (comment ?? '').split(' ');
  if (prefix !== 'jit-access' || rest.length > 0 || !osUser || !grantId) return undefined;
  if (!(OS_ACCOUNT_ACTIONS as readonly (string | undefined)[]).includes(action)) return undefined;
  if (!OS_USER_PATTERN.test(osUser) || !GRANT_ID_PATTERN.test(grantId)) return undefined;
  return { action: action as OsAccountAction, osUser, grantId };
}

/** The detail type of SSM's event for each change of a command's status on one instance. */
export const COMMAND_INVOCATION_STATUS_CHANGE = 'EC2 Command Invocation Status-change Notification';

/** SSM's statuses of an invocation still under way: its status-change events for them are not a result yet. */
export const RUNNING_INVOCATION_STATUSES = ['Pending', 'InProgress', 'Delayed', 'Cancelling'] as const;

/** The outcome an invocation's final status means: only `Success` is a lock that held. */
export function outcomeOfFinalStatus(status: string): 'succeeded' | 'failed' {
  return status === 'Success' ? 'succeeded' : 'failed';
}

/** The command id recorded for an instance SSM would not send the command to. */
export const NOT_SENT = 'not sent';

export function notSent(instanceIds: readonly string[], status: 'unreachable' | 'gone'): OsAccountOutcome[] {
  return instanceIds.map((instanceId) => ({ instanceId, commandId: NOT_SENT, status }));
}

/** The instances where the command did not succeed, as residue: `<instance>: <action> <status> (command <id>)`. */
export function unfinishedOn(outcomes: readonly OsAccountOutcome[], action: OsAccountAction): string[] {
  return outcomes
    .filter((o) => o.status !== 'succeeded' && o.status !== 'gone')
    .map((o) => `${o.instanceId}: ${action} ${o.status} (command ${o.commandId})`);
}

/**
 * The grant's `osAccount` record with these outcomes written over the earlier ones, one entry per instance (the
 * latest action), failures kept first when there are more instances than the ledger keeps.
 */
export function recordOutcomes(
  previous: Readonly<Record<string, OsAccountEntry>> | undefined,
  outcomes: readonly OsAccountOutcome[],
  action: OsAccountAction,
  at: string,
): Record<string, OsAccountEntry> {
  const merged: Record<string, OsAccountEntry> = { ...previous };
  for (const o of outcomes) merged[o.instanceId] = { action, status: o.status, at, commandId: o.commandId };
  const entries = Object.entries(merged);
  if (entries.length <= MAX_RECORDED_INSTANCES) return merged;
  const done = (entry: OsAccountEntry) => Number(entry.status === 'succeeded' || entry.status === 'gone');
  const failedFirst = [...entries].sort(([, a], [, b]) => done(a) - done(b));
  return Object.fromEntries(failedFirst.slice(0, MAX_RECORDED_INSTANCES));
}
