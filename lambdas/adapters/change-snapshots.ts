/**
 * "What the vendor changed", read back from the evidence bucket.
 *
 * The OS-account command the grant sends (unlock) and the one the revoke sends (lock) carry the change snapshot: the
 * SSM agent uploads each step's output to the evidence bucket under
 *
 *   change-snapshots/<grantId>/<start|end>/<commandId>/<instanceId>/awsrunShellScript/<snapshotStart|snapshotEnd>/stdout
 *
 * (start: taken before the unlock; end: after the lock). This adapter lists a grant's two prefixes, takes the latest
 * snapshot of each instance and phase (a lock the sweeper sent again adds a newer end snapshot), and compares them with
 * the pure domain (lambdas/domain/change-delta.ts).
 *
 * Exported shapes, for the audit (`jit-access audit`) to consume:
 *
 *   interface ChangeDeltaSource { deltas(grant: ChangeDeltaGrant): Promise<InstanceChangeDelta[]> }
 *   type ChangeDeltaGrant = Pick<GrantRecord, 'grantId' | 'targets' | 'osAccount'>
 *   type InstanceChangeDelta =                                            (from lambdas/domain/change-delta)
 *     | { instanceId; status: 'compared'; start: { takenAt; key }; end: { takenAt; key };
 *         delta: Record<ChangeCategory, { added: {key, value}[]; removed: {key, value}[];
 *                                         changed: {key, before, after}[] }>;
 *         changes: number }
 *     | { instanceId; status: 'incomplete'; missing: string }
 *       missing: 'not recorded' | 'start snapshot missing' | 'end snapshot missing'
 *              | 'start|end snapshot failed: <reason>' | 'start|end snapshot unreadable: <reason>'
 *
 * One entry per instance the grant named, the ledger recorded an unlock or lock on, or the bucket holds a snapshot of;
 * sorted by instance id. `renderChangeDeltas` (domain) renders them as Markdown.
 *
 * Needs s3:ListBucket on the bucket (prefix change-snapshots/), s3:GetObject on change-snapshots/*, and kms:Decrypt on
 * the session key.
 */
import { compareInstance, type InstanceChangeDelta, type SnapshotRead } from '../domain/change-delta';
import { changeSnapshotPrefix, SNAPSHOT_STEP_NAMES, type SnapshotPhase } from '../domain/change-snapshot-layout';
import type { GrantRecord } from '../domain/types';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';

export type { InstanceChangeDelta } from '../domain/change-delta';

/** What the change delta needs of a grant: its id, its named instances, the ledger's unlock/lock per instance. */
export type ChangeDeltaGrant = Pick<GrantRecord, 'grantId' | 'targets' | 'osAccount'>;

/** The change delta of each instance of a grant. */
export interface ChangeDeltaSource {
  deltas(grant: ChangeDeltaGrant): Promise<InstanceChangeDelta[]>;
}

interface StoredSnapshot {
  readonly key: string;
  readonly lastModified: number;
}

/** EC2 instances (`i-`) and hybrid managed nodes (`mi-`). */
const INSTANCE_ID = /^m?i-[0-9a-f]+$/;

export class S3ChangeSnapshots implements ChangeDeltaSource {
  private readonly aws;

  constructor(
    private readonly bucket: string,
    config: AwsClientConfig,
  ) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-s3'),
      // Path-style against a local endpoint (moto): a bucket name is no host name there.
      (sdk) => new sdk.S3Client({ ...config, forcePathStyle: config.endpoint !== undefined }),
    );
  }

  async deltas(grant: ChangeDeltaGrant): Promise<InstanceChangeDelta[]> {
    const [start, end] = await Promise.all([
      this.latestByInstance(grant.grantId, 'start'),
      this.latestByInstance(grant.grantId, 'end'),
    ]);
    const instanceIds = new Set<string>([
      ...grant.targets.flatMap((t) => (t.kind === 'instances' ? t.instanceIds : [])),
      ...Object.keys(grant.osAccount ?? {}),
      ...start.keys(),
      ...end.keys(),
    ]);
    return Promise.all(
      [...instanceIds]
        .sort()
        .map(async (instanceId) =>
          compareInstance(instanceId, await this.read(start.get(instanceId)), await this.read(end.get(instanceId))),
        ),
    );
  }

  /** The newest snapshot object of each instance for one phase of a grant. */
  private async latestByInstance(grantId: string, phase: SnapshotPhase): Promise<Map<string, StoredSnapshot>> {
    const { sdk, client } = await this.aws();
    const prefix = changeSnapshotPrefix(grantId, phase);
    const suffix = `/${SNAPSHOT_STEP_NAMES[phase]}/stdout`;
    const latest = new Map<string, StoredSnapshot>();
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (!key.endsWith(suffix)) continue;
        // <commandId>/<instanceId>/awsrunShellScript/<step>/stdout
        const instanceId = key.slice(prefix.length).split('/')[1] ?? '';
        if (!INSTANCE_ID.test(instanceId)) continue;
        const lastModified = object.LastModified?.getTime() ?? 0;
        const known = latest.get(instanceId);
        if (!known || lastModified > known.lastModified || (lastModified === known.lastModified && key > known.key)) {
          latest.set(instanceId, { key, lastModified });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return latest;
  }

  private async read(stored: StoredSnapshot | undefined): Promise<SnapshotRead> {
    if (!stored) return { kind: 'absent' };
    const { sdk, client } = await this.aws();
    const object = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: stored.key }));
    return { kind: 'object', key: stored.key, text: (await object.Body?.transformToString('utf8')) ?? '' };
  }
}
