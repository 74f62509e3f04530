import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { JitAccessConfig } from '../config/schema';

/** How long evidence is kept and where it goes with age: every evidence bucket of the stack is built from one. */
export interface EvidenceRetention {
  /** Days Object Lock protects each object from deletion (1-3650). */
  readonly objectLockDays: number;
  /**
   * COMPLIANCE: nobody, the account root included, can shorten the lock or delete a locked object. GOVERNANCE:
   * principals with s3:BypassGovernanceRetention could, so the bucket policy denies that action to everyone.
   * @default 'COMPLIANCE'
   */
  readonly objectLockMode?: 'COMPLIANCE' | 'GOVERNANCE';
  /**
   * Days after which objects (and superseded versions) move to `archiveStorageClass`; fewer than objectLockDays.
   * @default never
   */
  readonly archiveAfterDays?: number;
  /** @default 'GLACIER' */
  readonly archiveStorageClass?: 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';
}

/** The retention the config asks of every evidence store. */
export function evidenceRetentionOf(config: JitAccessConfig): EvidenceRetention {
  return {
    objectLockDays: config.objectLockDays,
    objectLockMode: config.objectLockMode,
    archiveStorageClass: config.archiveStorageClass,
    ...(config.archiveAfterDays !== undefined ? { archiveAfterDays: config.archiveAfterDays } : {}),
  };
}

/** The problems of a retention, each naming its field; empty when it is sound. */
export function evidenceRetentionProblems(retention: EvidenceRetention): string[] {
  const problems: string[] = [];
  const { objectLockDays: lock, archiveAfterDays: archive } = retention;
  if (!Number.isInteger(lock) || lock < 1 || lock > 3650) {
    problems.push(`objectLockDays ${lock} must be a whole number of days from 1 to 3650`);
  }
  if (archive !== undefined && (!Number.isInteger(archive) || archive < 1 || archive >= lock)) {
    problems.push(
      `archiveAfterDays ${archive} must be a whole number of days from 1 to fewer than objectLockDays (${lock}), so evidence is archived while Object Lock still protects it`,
    );
  }
  return problems;
}

/** The default Object Lock retention of an evidence bucket. */
export function objectLockRetention(retention: EvidenceRetention): s3.ObjectLockRetention {
  const days = Duration.days(retention.objectLockDays);
  return retention.objectLockMode === 'GOVERNANCE'
    ? s3.ObjectLockRetention.governance(days)
    : s3.ObjectLockRetention.compliance(days);
}

const STORAGE_CLASSES = {
  GLACIER_IR: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
  GLACIER: s3.StorageClass.GLACIER,
  DEEP_ARCHIVE: s3.StorageClass.DEEP_ARCHIVE,
} as const;

/**
 * The lifecycle rule that moves evidence to archive storage (Object Lock holds across the transition); none when the
 * config keeps evidence in S3 Standard. Nothing expires: deleting evidence is a person's decision after the lock.
 */
export function archiveLifecycleRules(retention: EvidenceRetention): s3.LifecycleRule[] {
  if (retention.archiveAfterDays === undefined) return [];
  const storageClass = STORAGE_CLASSES[retention.archiveStorageClass ?? 'GLACIER'];
  const after = Duration.days(retention.archiveAfterDays);
  return [
    {
      id: 'ArchiveEvidence',
      transitions: [{ storageClass, transitionAfter: after }],
      noncurrentVersionTransitions: [{ storageClass, transitionAfter: after }],
    },
  ];
}

/**
 * In GOVERNANCE mode, principals with s3:BypassGovernanceRetention could shorten a lock or delete a locked object: the
 * bucket policy denies that action to everyone. (COMPLIANCE needs nothing: nobody can.)
 */
export function denyGovernanceBypass(bucket: s3.Bucket, retention: EvidenceRetention): void {
  if (retention.objectLockMode !== 'GOVERNANCE') return;
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'NobodyBypassesGovernanceRetention',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:BypassGovernanceRetention'],
      resources: [bucket.bucketArn, bucket.arnForObjects('*')],
    }),
  );
}
