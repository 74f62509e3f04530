import type { ListObjectVersionsOutput } from '@aws-sdk/client-s3';
import type { TranscriptObject } from '../domain/audit-report';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';

/** Session Manager uploads each session's transcript as `<prefix><session id>.log`. */
export const TRANSCRIPT_PREFIX = 'sessions/';

/** The transcript objects Session Manager wrote to the evidence bucket, with their Object Lock. */
export interface TranscriptObjects {
  readonly bucketName: string;
  /**
   * Every version of the session's transcript objects (every page of the listing), oldest first, each with its lock;
   * the oldest version's text when it fits in `maxContentBytes`.
   */
  objectsOf(sessionId: string, maxContentBytes: number): Promise<TranscriptObject[]>;
}

export class S3TranscriptObjects implements TranscriptObjects {
  private readonly aws;

  constructor(
    readonly bucketName: string,
    config: AwsClientConfig,
  ) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-s3'),
      (sdk) => new sdk.S3Client({ ...config, forcePathStyle: Boolean(config.endpoint) }),
    );
  }

  async objectsOf(sessionId: string, maxContentBytes: number): Promise<TranscriptObject[]> {
    const { sdk, client } = await this.aws();
    const listed: NonNullable<ListObjectVersionsOutput['Versions']> = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await client.send(
        new sdk.ListObjectVersionsCommand({
          Bucket: this.bucketName,
          Prefix: `${TRANSCRIPT_PREFIX}${sessionId}`,
          ...markers,
        }),
      );
      listed.push(...(page.Versions ?? []));
      if (!page.IsTruncated) break;
      // S3 always names where a truncated listing goes on; without it, asking again would return the same page.
      if (!page.NextKeyMarker) throw new Error('S3 answered a truncated ListObjectVersions page with no NextKeyMarker');
      markers = {
        KeyMarker: page.NextKeyMarker,
        ...(page.NextVersionIdMarker ? { VersionIdMarker: page.NextVersionIdMarker } : {}),
      };
    }
    const versions = listed
      .filter((v) => v.Key)
      .sort((a, b) => (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0));
    const objects: TranscriptObject[] = [];
    const firstOfKey = new Set<string>();
    for (const version of versions) {
      const key = version.Key as string;
      const versionId = version.VersionId && version.VersionId !== 'null' ? version.VersionId : undefined;
      const head = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucketName, Key: key, VersionId: versionId }),
      );
      const bytes = version.Size ?? head.ContentLength ?? 0;
      let content: string | undefined;
      let contentOmitted: string | undefined;
      if (!firstOfKey.has(key)) {
        firstOfKey.add(key);
        if (bytes > maxContentBytes) {
          contentOmitted = `${bytes} bytes is more than one API answer holds; read it from the bucket`;
        } else {
          const body = await client.send(
            new sdk.GetObjectCommand({ Bucket: this.bucketName, Key: key, VersionId: versionId }),
          );
          content = (await body.Body?.transformToString('utf-8')) ?? '';
        }
      }
      objects.push({
        key,
        ...(versionId ? { versionId } : {}),
        bytes,
        ...(version.LastModified ? { lastModified: version.LastModified.toISOString() } : {}),
        ...(head.ObjectLockMode ? { lockMode: head.ObjectLockMode } : {}),
        ...(head.ObjectLockRetainUntilDate ? { retainUntil: head.ObjectLockRetainUntilDate.toISOString() } : {}),
        ...(content !== undefined ? { content } : {}),
        ...(contentOmitted ? { contentOmitted } : {}),
      });
    }
    return objects;
  }
}
