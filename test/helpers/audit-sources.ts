import { generateKeyPairSync, sign } from 'node:crypto';
import type { CloudTrailHistory, LookupAttribute, LookupResult } from '../../lambdas/adapters/cloudtrail';
import type { EvidenceSigner } from '../../lambdas/adapters/evidence-signer';
import type { TranscriptObjects } from '../../lambdas/adapters/transcripts';
import type { CloudTrailRecord, TranscriptObject } from '../../lambdas/domain/audit-report';
import { noSnapshotsRecorded, type ChangeDeltaSource } from '../../lambdas/domain/change-delta';
import type { AuditSources } from '../../lambdas/lifecycle/audit';

/**
 * TEST DOUBLE of CloudTrail's event history: the records a test gives, matched as LookupEvents matches them
 * (`ResourceName` against each record's resources, `Username` against its user name) within the time range.
 */
export class FakeCloudTrailHistory implements CloudTrailHistory {
  readonly records: CloudTrailRecord[] = [];
  readonly lookups: { attribute: LookupAttribute; from: string; to: string }[] = [];
  failWith?: Error;

  async lookup(attribute: LookupAttribute, from: string, to: string, maxEvents: number): Promise<LookupResult> {
    this.lookups.push({ attribute, from, to });
    if (this.failWith) throw this.failWith;
    const matching = this.records.filter(
      (r) =>
        r.eventTime >= from &&
        r.eventTime <= to &&
        (attribute.key === 'ResourceName'
          ? r.resources.some((res) => res.name === attribute.value)
          : r.username === attribute.value),
    );
    return { events: matching.slice(0, maxEvents), truncated: matching.length > maxEvents };
  }
}

/** TEST DOUBLE of the evidence bucket's transcript objects, by session id. */
export class FakeTranscriptObjects implements TranscriptObjects {
  readonly bucketName = 'jit-access-sessions-111122223333-eu-west-1';
  readonly objects = new Map<string, TranscriptObject[]>();

  async objectsOf(sessionId: string): Promise<TranscriptObject[]> {
    return this.objects.get(sessionId) ?? [];
  }
}

/** TEST DOUBLE of the KMS evidence key: a P-256 key pair in memory, signing as KMS does (ECDSA_SHA_256, DER). */
export class InMemoryEvidenceSigner implements EvidenceSigner {
  readonly keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/99999999-8888-7777-6666-555555555555';
  private readonly pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly signed: string[] = [];

  async sign(text: string): Promise<Uint8Array> {
    this.signed.push(text);
    return sign('sha256', Buffer.from(text, 'utf8'), this.pair.privateKey);
  }

  async publicKeyPem(): Promise<string> {
    return this.pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }
}

export interface FakeAuditSources extends AuditSources {
  readonly cloudTrail: FakeCloudTrailHistory;
  readonly transcripts: FakeTranscriptObjects;
  readonly signer: InMemoryEvidenceSigner;
}

export function fakeAuditSources(changeDeltas: ChangeDeltaSource = noSnapshotsRecorded): FakeAuditSources {
  return {
    cloudTrail: new FakeCloudTrailHistory(),
    transcripts: new FakeTranscriptObjects(),
    signer: new InMemoryEvidenceSigner(),
    changeDeltas,
  };
}

/** A CloudTrail record as LookupEvents returns it, with its JSON detail. */
export function cloudTrailRecord(input: {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventName: string;
  readonly eventSource?: string;
  readonly username?: string;
  readonly resourceName?: string;
  readonly detail: Record<string, unknown>;
}): CloudTrailRecord {
  return {
    eventId: input.eventId,
    eventTime: input.eventTime,
    eventSource: input.eventSource ?? 'ssm.amazonaws.com',
    eventName: input.eventName,
    ...(input.username ? { username: input.username } : {}),
    resources: input.resourceName ? [{ type: 'AWS::IAM::Role', name: input.resourceName }] : [],
    cloudTrailEvent: JSON.stringify({ eventID: input.eventId, eventName: input.eventName, ...input.detail }),
  };
}
