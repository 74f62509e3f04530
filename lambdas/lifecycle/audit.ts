/**
 * The audit of a grant: reads the evidence itself (ledger, CloudTrail's event history, the session recordings, each
 * instance's change delta), assembles the report, and signs the digest of every file with the stack's evidence key.
 * It never signs anything a caller supplied.
 */
import type { CloudTrailHistory } from '../adapters/cloudtrail';
import type { EvidenceSigner } from '../adapters/evidence-signer';
import { sessionsOfRole, type LiveSession } from '../adapters/ssm';
import type { TranscriptObjects } from '../adapters/transcripts';
import {
  assembleAuditReport,
  cloudTrailWindow,
  endedAtOf,
  reviewRowOf,
  transcriptFileOf,
  type CloudTrailEvidence,
  type CloudTrailRecord,
  type ReviewRow,
  type SessionEvidence,
  type TranscriptLine,
  type TranscriptObject,
} from '../domain/audit-report';
import { renderAuditCsv, renderAuditMarkdown } from '../domain/audit-render';
import type { ChangeDeltaSource } from '../adapters/change-snapshots';
import { EVIDENCE_SIGNING_ALGORITHM, manifestOf } from '../domain/evidence-manifest';
import type { Caller } from '../domain/identity';
import { roleNameFor } from '../domain/planner';
import { GRANT_STATUSES, type GrantRecord } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';

/** Where the audit reads what the ledger does not hold, and the key it signs with. */
export interface AuditSources {
  readonly cloudTrail: CloudTrailHistory;
  readonly transcripts: TranscriptObjects;
  readonly signer: EvidenceSigner;
  readonly changeDeltas: ChangeDeltaSource;
}

/** LookupEvents answers 2 calls a second: a few hundred events per lookup keeps an audit inside API Gateway's 29 s. */
const MAX_EVENTS_PER_LOOKUP = 300;
/** Session names looked up by Username, from the AssumeRole events of the role. */
const MAX_SESSION_NAMES = 5;
/** CloudTrail delivers an event within about 15 minutes of the call. */
const DELIVERY_MS = 15 * 60_000;
/**
 * Transcript text one bundle carries (log lines and S3 objects together): Lambda answers API Gateway with at most
 * 6 MB, the Markdown report repeats the log lines, and JSON escapes some characters.
 */
const MAX_EVIDENCE_BYTES = 2_000_000;

interface Budget {
  left: number;
}

function take(budget: Budget, text: string): boolean {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > budget.left) return false;
  budget.left -= bytes;
  return true;
}

function parsed(record: CloudTrailRecord): Record<string, unknown> {
  try {
    return JSON.parse(record.cloudTrailEvent) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A record made by a session of the role (CloudTrail names the role as the session's issuer). */
function isByRole(record: CloudTrailRecord, roleName: string): boolean {
  const identity = parsed(record).userIdentity as
    { arn?: string; sessionContext?: { sessionIssuer?: { userName?: string } } } | undefined;
  return (
    identity?.sessionContext?.sessionIssuer?.userName === roleName ||
    Boolean(identity?.arn?.includes(`:assumed-role/${roleName}/`))
  );
}

/** The session names the role was assumed with, from its AssumeRole events. */
function sessionNamesOf(records: readonly CloudTrailRecord[]): string[] {
  const names = records
    .filter((r) => r.eventName === 'AssumeRole')
    .map((r) => (parsed(r).requestParameters as { roleSessionName?: string } | null | undefined)?.roleSessionName)
    .filter((name): name is string => typeof name === 'string' && name.length > 0);
  return [...new Set(names)];
}

/**
 * The grant role's events: those naming the role as a resource (its creation, every AssumeRole, its deletion), then
 * those of each session it was assumed with, kept only when the session is the role's.
 */
export async function cloudTrailOfGrant(
  history: CloudTrailHistory,
  grant: GrantRecord,
  now: Date,
): Promise<CloudTrailEvidence> {
  const from = grant.plan.window.startAt;
  const end = endedAtOf(grant) ?? grant.expiresAt ?? grant.plan.window.expiresAt;
  const to = new Date(Math.min(now.getTime(), Date.parse(end) + DELIVERY_MS)).toISOString();
  if (!grant.created.roleArn) return { status: 'found', from, to, events: [], truncated: false };
  const window = cloudTrailWindow(from, to, now);
  if (window === 'gone') return { status: 'gone', from, to };
  const roleName = roleNameFor(grant.grantId);
  try {
    const byResource = await history.lookup(
      { key: 'ResourceName', value: roleName },
      window.from,
      window.to,
      MAX_EVENTS_PER_LOOKUP,
    );
    const events = new Map(byResource.events.map((e) => [e.eventId, e]));
    let truncated = byResource.truncated;
    const names = sessionNamesOf(byResource.events);
    for (const name of names.slice(0, MAX_SESSION_NAMES)) {
      const bySession = await history.lookup(
        { key: 'Username', value: name },
        window.from,
        window.to,
        MAX_EVENTS_PER_LOOKUP,
      );
      truncated ||= bySession.truncated;
      for (const event of bySession.events) if (isByRole(event, roleName)) events.set(event.eventId, event);
    }
    return {
      status: 'found',
      from: window.from,
      to: window.to,
      events: [...events.values()].sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0)),
      truncated: truncated || names.length > MAX_SESSION_NAMES,
      ...(window.historyStartsAt ? { historyStartsAt: window.historyStartsAt } : {}),
    };
  } catch (error) {
    const e = error as Error;
    return { status: 'unavailable', from, to, reason: `LookupEvents failed (${e.name}: ${e.message})` };
  }
}

/** Sessions CloudTrail saw the role start (StartSession's response names the session). */
function startedSessions(cloudTrail: CloudTrailEvidence): { sessionId: string; target?: string; owner?: string }[] {
  if (cloudTrail.status !== 'found') return [];
  return cloudTrail.events
    .filter((e) => e.eventName === 'StartSession')
    .flatMap((e) => {
      const record = parsed(e);
      const sessionId = (record.responseElements as { sessionId?: string } | null | undefined)?.sessionId;
      const target = (record.requestParameters as { target?: string } | null | undefined)?.target;
      const owner = (record.userIdentity as { arn?: string } | undefined)?.arn;
      return sessionId ? [{ sessionId, ...(target ? { target } : {}), ...(owner ? { owner } : {}) }] : [];
    });
}

async function logLinesOf(
  deps: Dependencies,
  sessionId: string,
  budget: Budget,
): Promise<{ lines: TranscriptLine[]; truncated: boolean }> {
  const lines: TranscriptLine[] = [];
  let token: string | undefined;
  do {
    const page = await deps.sessionLogs.read([sessionId], 0, token);
    for (const event of page.events) {
      if (!take(budget, event.message)) return { lines, truncated: true };
      lines.push({ at: event.at, message: event.message });
    }
    token = page.nextToken;
  } while (token);
  return { lines, truncated: false };
}

/** Every session of the grant role Session Manager or CloudTrail knows of, with what was recorded of it. */
async function sessionsOfGrant(
  deps: Dependencies,
  sources: AuditSources,
  grant: GrantRecord,
  cloudTrail: CloudTrailEvidence,
  budget: Budget,
): Promise<{ sessions: SessionEvidence[]; listUnavailable?: string }> {
  if (!grant.created.roleArn) return { sessions: [] };
  const logGroupName = deps.settings.sessionLogGroupName ?? 'the session log group';
  const known = new Map<string, { sessionId: string; target?: string; owner?: string }>();
  let listUnavailable: string | undefined;
  let listed: LiveSession[] = [];
  try {
    listed = await deps.sessions.listSessionsSince(grant.plan.window.startAt);
  } catch (error) {
    listUnavailable = `Session Manager's session list could not be read (${(error as Error).name}); only the sessions CloudTrail names are here`;
  }
  for (const s of sessionsOfRole(listed, roleNameFor(grant.grantId))) known.set(s.sessionId, s);

  for (const s of startedSessions(cloudTrail)) if (!known.has(s.sessionId)) known.set(s.sessionId, s);
  const sessions: SessionEvidence[] = [];
  for (const session of [...known.values()].sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1))) {
    const { lines, truncated } = await logLinesOf(deps, session.sessionId, budget);
    let objects: TranscriptObject[] = [];
    let objectsUnavailable: string | undefined;
    try {
      objects = await sources.transcripts.objectsOf(session.sessionId, budget.left);
      for (const object of objects) if (object.content) take(budget, object.content);
    } catch (error) {
      objectsUnavailable = `s3://${sources.transcripts.bucketName} could not be read (${(error as Error).name})`;
    }
    sessions.push({
      ...session,
      logGroupName,
      lines,
      ...(truncated ? { linesTruncated: true } : {}),
      objects,
      ...(objectsUnavailable ? { objectsUnavailable } : {}),
    });
  }
  return { sessions, ...(listUnavailable ? { listUnavailable } : {}) };
}

/** The evidence bundle: its files (path → text), the manifest of their digests, and the manifest's signature. */
export interface EvidenceBundle {
  readonly files: Readonly<Record<string, string>>;
  readonly manifest: string;
  /** Base64 of the DER ECDSA signature of the manifest's text. */
  readonly signature: string;
  readonly signingKeyArn: string;
  readonly signingAlgorithm: typeof EVIDENCE_SIGNING_ALGORITHM;
}

function s3FileOf(key: string): string {
  return `s3/${key
    .replace(/[^A-Za-z0-9._/-]/g, '_')
    .replace(/\/+/g, '/')
    .replace(/(^|\/)\.+(?=\/|$)/g, '$1_')}`;
}

/** Reads the grant's evidence, renders the report in every format, and signs the digests of every file. */
export async function auditBundle(
  deps: Dependencies,
  sources: AuditSources,
  grant: GrantRecord,
  caller: Caller,
): Promise<EvidenceBundle> {
  const now = deps.clock();
  const budget: Budget = { left: MAX_EVIDENCE_BYTES };
  const votes = await deps.ledger.listVotes(grant.grantId);
  const cloudTrail = await cloudTrailOfGrant(sources.cloudTrail, grant, now);
  const { sessions, listUnavailable } = await sessionsOfGrant(deps, sources, grant, cloudTrail, budget);
  // A grant that never gave access (denied, expired, failed before the role) reached no instance: no delta to show.
  const deltas = grant.created.roleArn ? await sources.changeDeltas.deltas(grant) : [];
  const report = assembleAuditReport({
    grant,
    votes,
    cloudTrail,
    sessions,
    ...(listUnavailable ? { sessionListUnavailable: listUnavailable } : {}),
    deltas,
    generatedAt: now.toISOString(),
    generatedBy: caller,
    sessionBucketName: sources.transcripts.bucketName,
    logRetentionDays: deps.settings.config.logRetentionDays,
  });
  const transcripts = Object.fromEntries(
    sessions.map((s) => [s.sessionId, s.lines.map((l) => `${l.at}  ${l.message}`)]),
  );
  const files: Record<string, string> = {
    'report.json': `${JSON.stringify(report, null, 2)}\n`,
    'report.md': renderAuditMarkdown(report, transcripts),
    'report.csv': renderAuditCsv(report),
    'cloudtrail-events.json': `${JSON.stringify(
      cloudTrail.status === 'found' ? cloudTrail.events.map((e) => ({ ...e, cloudTrailEvent: parsed(e) })) : [],
      null,
      2,
    )}\n`,
  };
  for (const session of sessions) {
    if (session.lines.length > 0)
      files[transcriptFileOf(session.sessionId)] = `${transcripts[session.sessionId]?.join('\n')}\n`;
    for (const object of session.objects)
      if (object.content !== undefined) files[s3FileOf(object.key)] = object.content;
  }
  const manifest = manifestOf(files, {
    grantId: grant.grantId,
    generatedAt: report.generatedAt,
    generatedBy: report.generatedBy,
    signingKeyArn: sources.signer.keyArn,
  });
  const signature = await sources.signer.signManifest(manifest);
  return {
    files,
    manifest,
    signature: Buffer.from(signature).toString('base64'),
    signingKeyArn: sources.signer.keyArn,
    signingAlgorithm: EVIDENCE_SIGNING_ALGORITHM,
  };
}

/** Every grant requested in [since, until), of one vendor or all, oldest first, for a periodic access review. */
export async function accessReview(
  deps: Dependencies,
  range: { readonly since: string; readonly until: string; readonly vendor?: string },
): Promise<ReviewRow[]> {
  const now = deps.clock();
  const grants: GrantRecord[] = [];
  for (const status of GRANT_STATUSES) grants.push(...(await deps.ledger.grantsByStatus(status)));
  const inRange = grants
    .filter((g) => g.createdAt >= range.since && g.createdAt < range.until)
    .filter((g) => !range.vendor || g.request.vendorId === range.vendor)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  // The status index lists grants without their history (kept as items of their own): each row reads its grant whole.
  const rows: ReviewRow[] = [];
  for (const listed of inRange) rows.push(reviewRowOf((await deps.ledger.getGrant(listed.grantId)) ?? listed, now));
  return rows;
}
