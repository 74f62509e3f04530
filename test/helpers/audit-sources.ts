import { generateKeyPairSync, sign } from 'node:crypto';
import type { EvidenceSigner } from '../../lambdas/adapters/evidence-signer';
import type { TranscriptObjects } from '../../lambdas/adapters/transcripts';
import type { TranscriptObject } from '../../lambdas/domain/audit-report';
import { InMemoryCloudTrailHistoryDouble } from '../../scripts/local-aws/in-memory-cloudtrail-history';
import type { ChangeDeltaGrant, ChangeDeltaSource } from '../../lambdas/adapters/change-snapshots';
import { signedStatementOf } from '../../lambdas/domain/evidence-manifest';
import type { AuditSources } from '../../lambdas/lifecycle/audit';

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

  async signManifest(manifestText: string): Promise<Uint8Array> {
    this.signed.push(manifestText);
    return sign('sha256', Buffer.from(signedStatementOf(manifestText), 'utf8'), this.pair.privateKey);
  }

  async publicKeyPem(): Promise<string> {
    return this.pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }
}

/** What the evidence bucket says of an instance no snapshot was ever taken of. */
export const NOT_RECORDED = 'not recorded';

/**
 * TEST DOUBLE of the evidence bucket's change snapshots when none were taken: each named instance, and each the ledger
 * recorded an OS-account command on, is stated as not recorded (as S3ChangeSnapshots says of an empty bucket).
 */
export const noSnapshotsTaken: ChangeDeltaSource = {
  deltas: async (grant: ChangeDeltaGrant) => {
    const named = grant.targets.flatMap((t) => (t.kind === 'instances' ? t.instanceIds : []));
    const reached = Object.keys(grant.osAccount ?? {});
    return [...new Set([...named, ...reached])]
      .sort()
      .map((instanceId) => ({ instanceId, status: 'incomplete' as const, missing: NOT_RECORDED }));
  },
};

export interface FakeAuditSources extends AuditSources {
  readonly cloudTrail: InMemoryCloudTrailHistoryDouble;
  readonly transcripts: FakeTranscriptObjects;
  readonly signer: InMemoryEvidenceSigner;
}

export function fakeAuditSources(changeDeltas: ChangeDeltaSource = noSnapshotsTaken): FakeAuditSources {
  return {
    cloudTrail: new InMemoryCloudTrailHistoryDouble(),
    transcripts: new FakeTranscriptObjects(),
    signer: new InMemoryEvidenceSigner(),
    changeDeltas,
  };
}
