/**
 * Where and how the change snapshots are taken and stored: plain constants, without the snapshot schema, so that the
 * functions that only send the OS-account command (grant, revoke, sweeper, kill switch) bundle no schema library.
 */

/** At unlock (before the vendor's first session) or after the lock at revoke. */
export const SNAPSHOT_PHASES = ['start', 'end'] as const;
export type SnapshotPhase = (typeof SNAPSHOT_PHASES)[number];

/** Where the evidence bucket holds the snapshots: `change-snapshots/<grantId>/<phase>/`, under it what SSM writes. */
export const CHANGE_SNAPSHOT_KEY_PREFIX = 'change-snapshots/';

/** The OutputS3KeyPrefix of the OS-account command that takes a phase's snapshot for a grant. */
export function changeSnapshotPrefix(grantId: string, phase: SnapshotPhase): string {
  return `${CHANGE_SNAPSHOT_KEY_PREFIX}${grantId}/${phase}/`;
}

/** The phase an OS-account action snapshots: the unlock takes the start, the lock the end. */
export function snapshotPhaseOf(action: 'unlock' | 'lock'): SnapshotPhase {
  return action === 'unlock' ? 'start' : 'end';
}

/** The document's step that takes each phase's snapshot; SSM names its output `.../<instanceId>/awsrunShellScript/<step>/stdout`. */
export const SNAPSHOT_STEP_NAMES: Readonly<Record<SnapshotPhase, string>> = {
  start: 'snapshotStart',
  end: 'snapshotEnd',
};

/** The document's step that unlocks or locks the vendor's OS user, between the two snapshot steps. */
export const OS_ACCOUNT_STEP_NAME = 'osAccount';

/**
 * A directory whose files the snapshot checksums: absolute, plain characters only (it is written into the document's
 * script at synth), no `..` segment.
 */
export const CHANGE_DIRECTORY_PATTERN = /^(\/[A-Za-z0-9._@+-]+)+\/?$/;
export const MAX_CHANGE_DIRECTORIES = 20;
