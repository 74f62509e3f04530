import type { GrantRecord } from './types';

/** One configuration item that differs between an instance's snapshot at grant start and at revoke. */
export interface ConfigChange {
  /** What kind of item it is, as the snapshot names it (packages, users, services, files, listening ports, …). */
  readonly category: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly item: string;
  readonly before?: string;
  readonly after?: string;
}

/**
 * What changed on one instance during a grant, or why that cannot be said: every instance the grant reached has an
 * entry, so a missing snapshot is stated, never dropped.
 */
export type InstanceChangeDelta =
  | { readonly instanceId: string; readonly status: 'recorded'; readonly changes: readonly ConfigChange[] }
  /** `not recorded`, `snapshot failed: <reason>`, … : said in the report as it is. */
  | { readonly instanceId: string; readonly status: 'missing'; readonly missing: string };

/** Where the audit reads each instance's change delta from (the configuration snapshots taken at grant and revoke). */
export interface ChangeDeltaSource {
  deltas(grant: GrantRecord): Promise<InstanceChangeDelta[]>;
}

/**
 * The instances a grant reached: its named instances, and those of a tag group where the OS-account document ran;
 * a tag group nothing is known of stands as `group:<name>`.
 */
export function instancesOfGrant(grant: GrantRecord): string[] {
  const reached = Object.keys(grant.osAccount ?? {});
  const named = grant.targets.flatMap((t) => (t.kind === 'instances' ? t.instanceIds : []));
  const unknownGroups =
    reached.length === 0 ? grant.targets.flatMap((t) => (t.kind === 'group' ? [`group:${t.targetGroup}`] : [])) : [];
  return [...new Set([...named, ...reached])].sort().concat(unknownGroups);
}

export const NO_SNAPSHOT = 'no snapshot recorded';

/** Until the configuration snapshots are wired in: each instance's delta is stated as not recorded. */
export const noSnapshotsRecorded: ChangeDeltaSource = {
  deltas: async (grant) =>
    grant.created.roleArn
      ? instancesOfGrant(grant).map((instanceId) => ({ instanceId, status: 'missing', missing: NO_SNAPSHOT }))
      : [],
};
