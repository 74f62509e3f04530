import * as z from 'zod/mini';

/**
 * "What the vendor changed": the configuration snapshot the stack's OS-account document takes on each granted
 * instance at unlock (phase `start`, before the vendor can act) and after the lock (phase `end`), and the difference
 * between the two. No AWS SDK here: the collector is lib/constructs/change-snapshot.sh, the reader
 * lambdas/adapters/change-snapshots.ts.
 */

export const CHANGE_SNAPSHOT_SCHEMA_VERSION = 1;

import { SNAPSHOT_PHASES, type SnapshotPhase } from './change-snapshot-layout';

/**
 * What a snapshot holds, each as name → value (a set, such as running services, has the value ""):
 * - packages: package name → version(s) (rpm or dpkg);
 * - services: running systemd services;
 * - users, groups: /etc/passwd and /etc/group without their password fields;
 * - sudoers: /etc/sudoers and /etc/sudoers.d/* → SHA-256;
 * - crontabs: /etc/crontab, /etc/cron.d, /etc/cron.{hourly,daily,weekly,monthly}, every user's crontab → SHA-256;
 * - listeningPorts: `<protocol> <address:port> <process>` of every listening socket;
 * - files: every regular file of the configured directories → SHA-256.
 */
export const CHANGE_CATEGORIES = [
  'packages',
  'services',
  'users',
  'groups',
  'sudoers',
  'crontabs',
  'listeningPorts',
  'files',
] as const;
export type ChangeCategory = (typeof CHANGE_CATEGORIES)[number];

/** How the rendering names each category. */
const CATEGORY_TITLES: Readonly<Record<ChangeCategory, string>> = {
  packages: 'Installed packages',
  services: 'Running services',
  users: 'Local users',
  groups: 'Local groups',
  sudoers: 'Sudoers',
  crontabs: 'Crontabs',
  listeningPorts: 'Listening ports',
  files: 'Files (SHA-256)',
};

const entries = z.record(z.string(), z.string());
const names = z.array(z.string());

const takenSnapshotSchema = z.object({
  schemaVersion: z.literal(CHANGE_SNAPSHOT_SCHEMA_VERSION),
  status: z.literal('ok'),
  phase: z.enum(SNAPSHOT_PHASES),
  takenAt: z.string(),
  instanceId: z.optional(z.string()),
  packages: entries,
  services: names,
  users: entries,
  groups: entries,
  sudoers: entries,
  crontabs: entries,
  listeningPorts: names,
  files: entries,
});

const failedSnapshotSchema = z.object({
  schemaVersion: z.literal(CHANGE_SNAPSHOT_SCHEMA_VERSION),
  status: z.literal('failed'),
  phase: z.enum(SNAPSHOT_PHASES),
  takenAt: z.string(),
  instanceId: z.optional(z.string()),
  reason: z.string(),
});

const snapshotSchema = z.discriminatedUnion('status', [takenSnapshotSchema, failedSnapshotSchema]);

/** A snapshot the collector took. */
export type ChangeSnapshot = z.infer<typeof takenSnapshotSchema>;
/** What the collector wrote when it could not take one (a tool missing, a timeout), with why. */
export type FailedChangeSnapshot = z.infer<typeof failedSnapshotSchema>;

/** The collector's output, checked; an output that is not one is `unreadable`, with why. */
export type ParsedSnapshot =
  | { readonly kind: 'taken'; readonly snapshot: ChangeSnapshot }
  | { readonly kind: 'failed'; readonly snapshot: FailedChangeSnapshot }
  | { readonly kind: 'unreadable'; readonly reason: string };

export function parseSnapshot(text: string): ParsedSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: 'unreadable', reason: `not JSON (${(error as Error).message})` };
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== CHANGE_SNAPSHOT_SCHEMA_VERSION) {
    return {
      kind: 'unreadable',
      reason: `schemaVersion ${JSON.stringify(version)} is not ${CHANGE_SNAPSHOT_SCHEMA_VERSION}: read it with the jit-access version that took it`,
    };
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: 'unreadable',
      reason: `field ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  return parsed.data.status === 'ok'
    ? { kind: 'taken', snapshot: parsed.data }
    : { kind: 'failed', snapshot: parsed.data };
}

export interface DeltaEntry {
  readonly key: string;
  /** The value (a version, a checksum, a user's uid/home/shell); "" for a member of a set. */
  readonly value: string;
}

export interface DeltaChange {
  readonly key: string;
  readonly before: string;
  readonly after: string;
}

/** One category's difference, each list sorted by key. */
export interface CategoryDelta {
  readonly added: readonly DeltaEntry[];
  readonly removed: readonly DeltaEntry[];
  readonly changed: readonly DeltaChange[];
}

export type SnapshotDelta = Readonly<Record<ChangeCategory, CategoryDelta>>;

function asEntries(snapshot: ChangeSnapshot, category: ChangeCategory): ReadonlyMap<string, string> {
  const value = snapshot[category];
  return Array.isArray(value)
    ? new Map(value.map((key) => [key, '']))
    : new Map(Object.entries(value as Record<string, string>));
}

const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function diffCategory(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): CategoryDelta {
  const added: DeltaEntry[] = [];
  const removed: DeltaEntry[] = [];
  const changed: DeltaChange[] = [];
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined) added.push({ key, value });
    else if (old !== value) changed.push({ key, before: old, after: value });
  }
  for (const [key, value] of before) if (!after.has(key)) removed.push({ key, value });
  return { added: added.sort(byKey), removed: removed.sort(byKey), changed: changed.sort(byKey) };
}

/** What was added, removed and changed in each category between two snapshots of one instance. */
export function diffSnapshots(before: ChangeSnapshot, after: ChangeSnapshot): SnapshotDelta {
  return Object.fromEntries(
    CHANGE_CATEGORIES.map((category) => [
      category,
      diffCategory(asEntries(before, category), asEntries(after, category)),
    ]),
  ) as Record<ChangeCategory, CategoryDelta>;
}

export function changeCount(delta: SnapshotDelta): number {
  return CHANGE_CATEGORIES.reduce(
    (sum, c) => sum + delta[c].added.length + delta[c].removed.length + delta[c].changed.length,
    0,
  );
}

/** One phase's snapshot as the evidence bucket holds it, or why there is none. */
export type SnapshotRead =
  { readonly kind: 'absent' } | { readonly kind: 'object'; readonly text: string; readonly key: string };

/**
 * The change delta of one instance of a grant, or the piece that is missing and why. `missing` reads as a sentence
 * an auditor acts on: `not recorded`, `start snapshot missing`, `end snapshot missing`,
 * `start snapshot failed: <reason>`, `end snapshot failed: <reason>`, `end snapshot unreadable: <reason>`.
 */
export type InstanceChangeDelta =
  | {
      readonly instanceId: string;
      readonly status: 'compared';
      readonly start: { readonly takenAt: string; readonly key: string };
      readonly end: { readonly takenAt: string; readonly key: string };
      readonly delta: SnapshotDelta;
      /** Number of added, removed and changed items in all categories; 0 when nothing changed. */
      readonly changes: number;
    }
  | { readonly instanceId: string; readonly status: 'incomplete'; readonly missing: string };

/** Compares one instance's start and end snapshots, or states the missing piece. */
export function compareInstance(instanceId: string, start: SnapshotRead, end: SnapshotRead): InstanceChangeDelta {
  if (start.kind === 'absent' && end.kind === 'absent') {
    return { instanceId, status: 'incomplete', missing: 'not recorded' };
  }
  const before = readPhase('start', start);
  const after = readPhase('end', end);
  if ('missing' in before) return { instanceId, status: 'incomplete', missing: before.missing };
  if ('missing' in after) return { instanceId, status: 'incomplete', missing: after.missing };
  const delta = diffSnapshots(before.snapshot, after.snapshot);
  return {
    instanceId,
    status: 'compared',
    start: { takenAt: before.snapshot.takenAt, key: before.key },
    end: { takenAt: after.snapshot.takenAt, key: after.key },
    delta,
    changes: changeCount(delta),
  };
}

/** A phase's snapshot and where it was read, or the sentence saying why there is none. */
function readPhase(
  phase: SnapshotPhase,
  read: SnapshotRead,
): { readonly snapshot: ChangeSnapshot; readonly key: string } | { readonly missing: string } {
  if (read.kind === 'absent') return { missing: `${phase} snapshot missing` };
  const parsed = parseSnapshot(read.text);
  if (parsed.kind === 'unreadable') return { missing: `${phase} snapshot unreadable: ${parsed.reason}` };
  if (parsed.kind === 'failed') return { missing: `${phase} snapshot failed: ${parsed.snapshot.reason}` };
  return { snapshot: parsed.snapshot, key: read.key };
}

/** Backticks would end a Markdown code span early; shown as single quotes instead. */
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

const withValue = (entry: DeltaEntry): string =>
  entry.value === '' ? code(entry.key) : `${code(entry.key)} ${code(entry.value)}`;

/**
 * The delta as Markdown, the same text for the same delta: one heading per instance, one sub-list per category that
 * changed, `+` added, `-` removed, `~` changed (before → after).
 */
export function renderChangeDeltas(deltas: readonly InstanceChangeDelta[]): string {
  const lines: string[] = [];
  for (const instance of [...deltas].sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))) {
    lines.push(`### ${instance.instanceId}`, '');
    if (instance.status === 'incomplete') {
      lines.push(`No change delta: ${instance.missing}.`, '');
      continue;
    }
    lines.push(`Snapshots: start ${instance.start.takenAt}, end ${instance.end.takenAt}.`, '');
    if (instance.changes === 0) {
      lines.push('No change.', '');
      continue;
    }
    for (const category of CHANGE_CATEGORIES) {
      const { added, removed, changed } = instance.delta[category];
      if (added.length + removed.length + changed.length === 0) continue;
      lines.push(`- ${CATEGORY_TITLES[category]}:`);
      for (const entry of added) lines.push(`  - \\+ ${withValue(entry)}`);
      for (const entry of removed) lines.push(`  - \\- ${withValue(entry)}`);
      for (const change of changed) {
        lines.push(`  - ~ ${code(change.key)}: ${code(change.before)} → ${code(change.after)}`);
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** One item that differs between an instance's snapshots, as a row of the audit's tables and CSV. */
export interface ConfigChange {
  readonly category: ChangeCategory;
  readonly change: 'added' | 'removed' | 'changed';
  readonly item: string;
  readonly before?: string;
  readonly after?: string;
}

/** The delta as rows, category by category in the order of CHANGE_CATEGORIES, each sorted by item. */
export function changeRows(delta: SnapshotDelta): ConfigChange[] {
  return CHANGE_CATEGORIES.flatMap((category) => {
    const { added, removed, changed } = delta[category];
    return [
      ...added.map((e) => ({
        category,
        change: 'added' as const,
        item: e.key,
        ...(e.value ? { after: e.value } : {}),
      })),
      ...removed.map((e) => ({
        category,
        change: 'removed' as const,
        item: e.key,
        ...(e.value ? { before: e.value } : {}),
      })),
      ...changed.map((c) => ({ category, change: 'changed' as const, item: c.key, before: c.before, after: c.after })),
    ];
  });
}
