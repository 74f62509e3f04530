/**
 * The audit of one grant, assembled from the evidence the audit function read itself: the ledger's record and votes,
 * CloudTrail's events of the grant role, the session recordings, and each instance's change delta. Pure: the readers
 * are in lambdas/lifecycle/audit.ts. Whatever could not be found is stated in `missing`, never dropped.
 */
import type { InstanceChangeDelta } from './change-delta';
import type { Caller } from './identity';
import type { CreatedResources, GrantRecord, GrantStatus, HistoryEntry, OsAccountEntry, Vote } from './types';

/** How far back CloudTrail's event history (LookupEvents) reaches; a trail keeps events for as long as you keep it. */
export const CLOUDTRAIL_HISTORY_DAYS = 90;
export const CLOUDTRAIL_GONE = 'CloudTrail event history no longer holds these events; use your trail';
const DAY_MS = 86_400_000;

/** One CloudTrail event, as LookupEvents returns it. */
export interface CloudTrailRecord {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly username?: string;
  readonly resources: readonly { readonly type?: string; readonly name?: string }[];
  /** The whole record as CloudTrail keeps it (JSON text): source IP, error, request and response. */
  readonly cloudTrailEvent: string;
}

/** What CloudTrail's event history said about the grant role, over the grant's window. */
export type CloudTrailEvidence =
  | {
      readonly status: 'found';
      readonly from: string;
      readonly to: string;
      readonly events: readonly CloudTrailRecord[];
      /** More events than one audit reads (LookupEvents answers 2 calls a second). */
      readonly truncated: boolean;
      /** The window began before the history's 90 days: events before this instant are only in a trail. */
      readonly historyStartsAt?: string;
    }
  | { readonly status: 'gone'; readonly from: string; readonly to: string }
  | { readonly status: 'unavailable'; readonly from: string; readonly to: string; readonly reason: string };

/** The part of the window CloudTrail's history can still answer, or `gone` when none of it. */
export function cloudTrailWindow(
  from: string,
  to: string,
  now: Date,
): { readonly from: string; readonly to: string; readonly historyStartsAt?: string } | 'gone' {
  const historyStart = new Date(now.getTime() - CLOUDTRAIL_HISTORY_DAYS * DAY_MS).toISOString();
  if (to < historyStart) return 'gone';
  return from < historyStart ? { from: historyStart, to, historyStartsAt: historyStart } : { from, to };
}

export interface TranscriptLine {
  readonly at: string;
  readonly message: string;
}

/** One version of a session's transcript object in the evidence bucket. */
export interface TranscriptObject {
  readonly key: string;
  readonly versionId?: string;
  readonly bytes: number;
  readonly lastModified?: string;
  readonly lockMode?: string;
  readonly retainUntil?: string;
  /** The object's text, for the bundle (the oldest version: the one the SSM agent wrote first). */
  readonly content?: string;
  /** Why the content is not in the bundle (too large for one API answer, unreadable, …). */
  readonly contentOmitted?: string;
}

/** What was recorded of one session of the grant role. */
export interface SessionEvidence {
  readonly sessionId: string;
  readonly target?: string;
  readonly owner?: string;
  readonly logGroupName: string;
  /** The session's log stream in the session log group, every line. */
  readonly lines: readonly TranscriptLine[];
  readonly linesTruncated?: boolean;
  readonly objects: readonly TranscriptObject[];
  readonly objectsUnavailable?: string;
}

export interface AuditInput {
  readonly grant: GrantRecord;
  readonly votes: readonly Vote[];
  readonly cloudTrail: CloudTrailEvidence;
  readonly sessions: readonly SessionEvidence[];
  /** Why Session Manager's list of sessions could not be read (the sessions CloudTrail names are still audited). */
  readonly sessionListUnavailable?: string;
  readonly deltas: readonly InstanceChangeDelta[];
  readonly generatedAt: string;
  readonly generatedBy: Caller;
  readonly sessionBucketName?: string;
  readonly logRetentionDays: number;
}

/** One line of the story, in time order. */
export interface AuditTimelineEntry {
  readonly at: string;
  readonly actor: string;
  readonly actorArn?: string;
  readonly event: string;
  readonly detail?: string;
  readonly source: 'request' | 'vote' | 'ledger' | 'cloudtrail' | 'session';
}

/** A CloudTrail event, in the report's words (the whole record stays in the bundle's cloudtrail-events.json). */
export interface CloudTrailEventSummary {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly principal?: string;
  readonly sourceIp?: string;
  readonly errorCode?: string;
}

export interface AuditReport {
  readonly version: 1;
  readonly grantId: string;
  readonly generatedAt: string;
  readonly generatedBy: Caller;
  readonly summary: {
    readonly vendorId: string;
    readonly requester: Caller;
    readonly ticket: string;
    readonly reason: string;
    readonly targets: readonly string[];
    readonly ports: readonly string[];
    readonly durationMinutes: number;
    readonly breakGlass: boolean;
    readonly breakGlassReview?: string;
    readonly extends?: string;
    readonly status: GrantStatus;
    readonly outcome: string;
    readonly revokeReason?: string;
    readonly window: { readonly startAt: string; readonly expiresAt: string };
    readonly endedAt?: string;
    readonly accessMinutes?: number;
    readonly planHash: string;
    readonly roleName: string;
  };
  readonly timeline: readonly AuditTimelineEntry[];
  readonly votes: readonly Vote[];
  readonly created: CreatedResources;
  readonly stateChanges: readonly HistoryEntry[];
  readonly osAccount: readonly (OsAccountEntry & { readonly instanceId: string })[];
  readonly residue:
    | { readonly checked: true; readonly checkedAt: string; readonly clean: boolean; readonly leftovers: string[] }
    | { readonly checked: false; readonly why: string };
  readonly changeDeltas: readonly InstanceChangeDelta[];
  readonly cloudTrail: {
    readonly status: CloudTrailEvidence['status'];
    readonly from: string;
    readonly to: string;
    readonly historyDays: typeof CLOUDTRAIL_HISTORY_DAYS;
    readonly note?: string;
    readonly events: readonly CloudTrailEventSummary[];
  };
  readonly sessions: readonly {
    readonly sessionId: string;
    readonly target?: string;
    readonly owner?: string;
    readonly logGroupName: string;
    readonly logStream: string;
    readonly lines: number;
    readonly firstLineAt?: string;
    readonly transcriptFile?: string;
    readonly objects: readonly Omit<TranscriptObject, 'content'>[];
  }[];
  /** Every piece of evidence that could not be found, and why. Empty when nothing is missing. */
  readonly missing: readonly string[];
  /** The ledger's record and votes, whole. */
  readonly ledger: { readonly grant: GrantRecord; readonly votes: readonly Vote[] };
}

/** What became of a grant, in a reviewer's words. */
export function outcomeOf(grant: GrantRecord): string {
  switch (grant.status) {
    case 'PENDING':
      return 'waiting for approval';
    case 'APPROVED':
      return 'approved, not started yet';
    case 'DENIED':
      return 'denied';
    case 'EXPIRED':
      return 'never granted (approval timed out or cancelled)';
    case 'GRANTING':
      return 'being granted';
    case 'ACTIVE':
      return 'active';
    case 'REVOKING':
      return 'revoke incomplete: residue left for the sweeper';
    case 'FAILED':
      return 'grant failed: what it created was removed';
    case 'REVOKED':
      return grant.revokeReason === 'expiry'
        ? 'expired at the end of its window'
        : `revoked (${grant.revokeReason ?? 'before it started'})`;
  }
}

/** When access ended: the revoke's residue check, else the record's last change; undefined while it may go on. */
export function endedAtOf(grant: GrantRecord): string | undefined {
  if (grant.status !== 'REVOKED' && grant.status !== 'FAILED' && grant.status !== 'REVOKING') return undefined;
  return grant.residueCheck?.checkedAt ?? grant.updatedAt;
}

/** Minutes from the window's start to the end of access (or its expiry, whichever came first); 0 if never granted. */
export function accessMinutesOf(grant: GrantRecord, now: Date): number {
  if (!grant.created.roleArn || !grant.expiresAt) return 0;
  const start = Date.parse(grant.plan.window.startAt);
  const ended = endedAtOf(grant);
  const end = Math.min(Date.parse(grant.expiresAt), ended ? Date.parse(ended) : now.getTime());
  return Math.max(0, Math.round((end - start) / 60_000));
}

function portText(p: { readonly protocol: string; readonly fromPort: number; readonly toPort: number }): string {
  return `${p.protocol}:${p.fromPort === p.toPort ? p.fromPort : `${p.fromPort}-${p.toPort}`}`;
}

function summarize(record: CloudTrailRecord): CloudTrailEventSummary {
  let detail: {
    userIdentity?: { arn?: string; accountId?: string };
    sourceIPAddress?: string;
    errorCode?: string;
  } = {};
  try {
    detail = JSON.parse(record.cloudTrailEvent) as typeof detail;
  } catch {
    // A record CloudTrail gave without its JSON is still listed by its id, time and name.
  }
  const principal = detail.userIdentity?.arn ?? record.username ?? detail.userIdentity?.accountId;
  return {
    eventId: record.eventId,
    eventTime: record.eventTime,
    eventSource: record.eventSource,
    eventName: record.eventName,
    ...(principal ? { principal } : {}),
    ...(detail.sourceIPAddress ? { sourceIp: detail.sourceIPAddress } : {}),
    ...(detail.errorCode ? { errorCode: detail.errorCode } : {}),
  };
}

/** The file of a session's transcript lines in the bundle. */
export function transcriptFileOf(sessionId: string): string {
  return `transcripts/${sessionId.replace(/[^A-Za-z0-9._-]/g, '_')}.log`;
}

function residueOf(grant: GrantRecord): AuditReport['residue'] {
  if (grant.residueCheck) {
    const leftovers = Object.entries(grant.residueCheck.residue).flatMap(([kind, items]) =>
      (items as readonly string[]).map((item) => `${kind}: ${item}`),
    );
    return { checked: true, checkedAt: grant.residueCheck.checkedAt, clean: leftovers.length === 0, leftovers };
  }
  const createdSomething = Boolean(grant.created.roleArn || grant.created.securityGroupRuleIds?.length);
  if (!createdSomething) return { checked: false, why: 'nothing was created, so nothing could remain' };
  return { checked: false, why: `no residue check recorded yet: the grant is ${grant.status}` };
}

function missingPieces(input: AuditInput, residue: AuditReport['residue']): string[] {
  const missing: string[] = [];
  const ct = input.cloudTrail;
  if (ct.status === 'gone') missing.push(`CloudTrail: ${CLOUDTRAIL_GONE} (window ${ct.from} to ${ct.to})`);
  if (ct.status === 'unavailable') missing.push(`CloudTrail: ${ct.reason}`);
  if (ct.status === 'found' && ct.historyStartsAt) {
    missing.push(
      `CloudTrail: events before ${ct.historyStartsAt} are past the ${CLOUDTRAIL_HISTORY_DAYS}-day event history; use your trail`,
    );
  }
  if (ct.status === 'found' && ct.truncated) {
    missing.push(
      `CloudTrail: more events than one audit reads; the first ${ct.events.length} are here, look up the rest in your trail`,
    );
  }
  if (!residue.checked && input.grant.created.roleArn) missing.push(`residue check: ${residue.why}`);
  if (input.sessionListUnavailable) missing.push(`sessions: ${input.sessionListUnavailable}`);
  for (const session of input.sessions) {
    if (session.lines.length === 0) {
      missing.push(
        `session ${session.sessionId}: no lines in log stream ${session.logGroupName}/${session.sessionId} (never written, or past logRetentionDays ${input.logRetentionDays})`,
      );
    }
    if (session.linesTruncated) missing.push(`session ${session.sessionId}: log lines truncated to fit one API answer`);
    if (session.objectsUnavailable)
      missing.push(`session ${session.sessionId}: transcript objects: ${session.objectsUnavailable}`);
    else if (session.objects.length === 0) {
      missing.push(
        `session ${session.sessionId}: no transcript object under s3://${input.sessionBucketName ?? '<SessionBucketName>'}/sessions/${session.sessionId}`,
      );
    }
    for (const object of session.objects) {
      if (object.contentOmitted)
        missing.push(`session ${session.sessionId}: ${object.key} not in the bundle: ${object.contentOmitted}`);
    }
  }
  for (const delta of input.deltas) {
    if (delta.status === 'incomplete') missing.push(`change delta of ${delta.instanceId}: ${delta.missing}`);
  }
  return missing;
}

function timelineOf(input: AuditInput, cloudTrail: readonly CloudTrailEventSummary[]): AuditTimelineEntry[] {
  const { grant, votes } = input;
  const request = grant.request;
  const entries: AuditTimelineEntry[] = [
    {
      at: grant.createdAt,
      actor: request.requester.person,
      actorArn: request.requester.arn,
      event: `${request.breakGlass ? 'break-glass request' : 'request'} for ${request.vendorId}: ${request.targets.join(', ')} for ${request.durationMinutes} min`,
      detail: `ticket ${JSON.stringify(request.ticket)}, reason ${JSON.stringify(request.reason)}`,
      source: 'request',
    },
    ...votes.map((vote): AuditTimelineEntry => ({
      at: vote.at,
      actor: vote.person,
      actorArn: vote.arn,
      event: `vote: ${vote.decision}${vote.planHash === grant.planHash ? '' : ' (for another plan: not counted)'}`,
      ...(vote.comment ? { detail: JSON.stringify(vote.comment) } : {}),
      source: 'vote',
    })),
    ...grant.history.map((entry): AuditTimelineEntry => ({
      at: entry.at,
      actor: entry.actor,
      ...(entry.actorArn ? { actorArn: entry.actorArn } : {}),
      event: entry.event,
      ...(entry.detail ? { detail: entry.detail } : {}),
      source: 'ledger',
    })),
    ...cloudTrail.map((event): AuditTimelineEntry => ({
      at: event.eventTime,
      actor: event.principal ?? 'unknown',
      event: `${event.eventSource.replace(/\.amazonaws\.com$/, '')}:${event.eventName}${event.errorCode ? ` refused (${event.errorCode})` : ''}`,
      detail: `CloudTrail ${event.eventId}${event.sourceIp ? ` from ${event.sourceIp}` : ''}`,
      source: 'cloudtrail',
    })),
    ...input.sessions
      .filter((s) => s.lines.length > 0)
      .map((s): AuditTimelineEntry => ({
        at: s.lines[0]?.at ?? '',
        actor: s.owner ?? 'vendor',
        event: `session ${s.sessionId}${s.target ? ` on ${s.target}` : ''}: ${s.lines.length} line(s) recorded`,
        detail: transcriptFileOf(s.sessionId),
        source: 'session',
      })),
  ];
  // Stable: entries of the same instant keep the order above (request, votes, ledger, CloudTrail, sessions).
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => Date.parse(a.entry.at) - Date.parse(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}

/** The whole audit of one grant. */
export function assembleAuditReport(input: AuditInput): AuditReport {
  const { grant } = input;
  const request = grant.request;
  const residue = residueOf(grant);
  const ct = input.cloudTrail;
  const cloudTrailEvents = ct.status === 'found' ? ct.events.map(summarize) : [];
  const endedAt = endedAtOf(grant);
  return {
    version: 1,
    grantId: grant.grantId,
    generatedAt: input.generatedAt,
    generatedBy: { person: input.generatedBy.person, arn: input.generatedBy.arn },
    summary: {
      vendorId: request.vendorId,
      requester: { person: request.requester.person, arn: request.requester.arn },
      ticket: request.ticket,
      reason: request.reason,
      targets: [...request.targets],
      ports: (request.ports ?? []).map(portText),
      durationMinutes: request.durationMinutes,
      breakGlass: Boolean(request.breakGlass),
      ...(grant.breakGlass ? { breakGlassReview: grant.breakGlass.review } : {}),
      ...(request.extends ? { extends: request.extends } : {}),
      status: grant.status,
      outcome: outcomeOf(grant),
      ...(grant.revokeReason ? { revokeReason: grant.revokeReason } : {}),
      window: { startAt: grant.plan.window.startAt, expiresAt: grant.expiresAt ?? grant.plan.window.expiresAt },
      ...(endedAt ? { endedAt } : {}),
      ...(grant.created.roleArn ? { accessMinutes: accessMinutesOf(grant, new Date(input.generatedAt)) } : {}),
      planHash: grant.planHash,
      roleName: grant.plan.role.name,
    },
    timeline: timelineOf(input, cloudTrailEvents),
    votes: [...input.votes],
    created: grant.created,
    stateChanges: [...grant.history],
    osAccount: Object.entries(grant.osAccount ?? {})
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([instanceId, entry]) => ({ instanceId, ...entry })),
    residue,
    changeDeltas: [...input.deltas],
    cloudTrail: {
      status: ct.status,
      from: ct.from,
      to: ct.to,
      historyDays: CLOUDTRAIL_HISTORY_DAYS,
      ...(ct.status === 'gone' ? { note: CLOUDTRAIL_GONE } : {}),
      ...(ct.status === 'unavailable' ? { note: ct.reason } : {}),
      events: cloudTrailEvents,
    },
    sessions: input.sessions.map((s) => ({
      sessionId: s.sessionId,
      ...(s.target ? { target: s.target } : {}),
      ...(s.owner ? { owner: s.owner } : {}),
      logGroupName: s.logGroupName,
      logStream: s.sessionId,
      lines: s.lines.length,
      ...(s.lines[0] ? { firstLineAt: s.lines[0].at } : {}),
      ...(s.lines.length > 0 ? { transcriptFile: transcriptFileOf(s.sessionId) } : {}),
      objects: s.objects.map(({ content: _content, ...object }) => object),
    })),
    missing: missingPieces(input, residue),
    ledger: { grant, votes: [...input.votes] },
  };
}

/** One grant of a periodic access review. */
export interface ReviewRow {
  readonly grantId: string;
  readonly vendorId: string;
  readonly requester: string;
  readonly ticket: string;
  readonly status: GrantStatus;
  readonly outcome: string;
  readonly breakGlass: boolean;
  readonly approvers: readonly string[];
  readonly deniedBy: readonly string[];
  readonly requestedAt: string;
  readonly startAt: string;
  readonly endedAt?: string;
  readonly accessMinutes: number;
  readonly revokeReason?: string;
  readonly residue: string;
}

export function reviewRowOf(grant: GrantRecord, now: Date): ReviewRow {
  const residue = residueOf(grant);
  const endedAt = endedAtOf(grant);
  const deniedBy = [
    ...new Set(grant.history.filter((h) => h.actorArn && /^denied\b/.test(h.event)).map((h) => h.actor)),
  ];
  return {
    grantId: grant.grantId,
    vendorId: grant.request.vendorId,
    requester: grant.request.requester.person,
    ticket: grant.request.ticket,
    status: grant.status,
    outcome: outcomeOf(grant),
    breakGlass: Boolean(grant.request.breakGlass),
    approvers: [...grant.approvals],
    deniedBy,
    requestedAt: grant.createdAt,
    startAt: grant.plan.window.startAt,
    ...(endedAt ? { endedAt } : {}),
    accessMinutes: accessMinutesOf(grant, now),
    ...(grant.revokeReason ? { revokeReason: grant.revokeReason } : {}),
    residue: residue.checked ? (residue.clean ? 'none' : residue.leftovers.join('; ')) : residue.why,
  };
}
