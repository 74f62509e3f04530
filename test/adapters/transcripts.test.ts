import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
  type GetObjectCommandInput,
  type HeadObjectCommandInput,
  type ListObjectVersionsCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3TranscriptObjects, TRANSCRIPT_PREFIX } from '../../lambdas/adapters/transcripts';
import { awsError } from '../helpers/fake-aws';

const BUCKET = 'jitaccess-sessions-111122223333-eu-west-1';
const SESSION = 'vendor-engineer-0a1b2c3d4e5f60718';
const KEY = `sessions/${SESSION}.log`;
const CONFIG = { region: 'eu-west-1', maxAttempts: 1 };
const PAGE_SIZE = 2;

/** One stored object version of the evidence bucket, as S3 lists and heads it. */
interface StoredVersion {
  readonly key?: string;
  readonly versionId?: string;
  readonly size?: number;
  readonly lastModified?: Date;
  readonly contentLength?: number;
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  readonly retainUntil?: Date;
  /** The object's text; undefined: S3 answers no body. */
  readonly body?: string;
}

const s3 = mockClient(S3Client);
let stored: StoredVersion[];
/** The encodings the adapter asked the bodies to be decoded with. */
let encodings: (string | undefined)[];

const versionOf = (input: { Key?: string; VersionId?: string }) => {
  const found = stored.find((v) => v.key === input.Key && (v.versionId ?? 'null') === (input.VersionId ?? 'null'));
  if (!found) throw awsError('NoSuchVersion', `The specified version ${input.VersionId} does not exist.`);
  return found;
};

beforeEach(() => {
  s3.reset();
  stored = [];
  encodings = [];
  // S3 pages the listing (at most MaxKeys, 1,000 by default); this one pages at two, in the order `stored` holds.
  s3.on(ListObjectVersionsCommand).callsFake((input: ListObjectVersionsCommandInput) => {
    const listed = stored.filter((v) => v.key === undefined || v.key.startsWith(input.Prefix ?? ''));
    const after = input.KeyMarker
      ? listed.findIndex((v) => v.key === input.KeyMarker && v.versionId === input.VersionIdMarker) + 1
      : 0;
    if (input.KeyMarker && after === 0) throw awsError('InvalidArgument', 'Invalid version id specified');
    const page = listed.slice(after, after + (input.MaxKeys ?? PAGE_SIZE));
    const last = page.at(-1);
    const truncated = after + page.length < listed.length;
    return {
      Versions: page.map((v) => ({ Key: v.key, VersionId: v.versionId, Size: v.size, LastModified: v.lastModified })),
      IsTruncated: truncated,
      ...(truncated ? { NextKeyMarker: last?.key, NextVersionIdMarker: last?.versionId } : {}),
    };
  });
  s3.on(HeadObjectCommand).callsFake((input: HeadObjectCommandInput) => {
    const version = versionOf(input);
    return {
      ContentLength: version.contentLength,
      ObjectLockMode: version.lockMode,
      ObjectLockRetainUntilDate: version.retainUntil,
    };
  });
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const version = versionOf(input);
    if (version.body === undefined) return {};
    const text = version.body;
    return {
      Body: {
        transformToString: async (encoding?: string) => {
          encodings.push(encoding);
          return text;
        },
      } as never,
    };
  });
});

afterAll(() => s3.restore());

const listCalls = () => s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input);
const headCalls = () => s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input);
const getCalls = () => s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input);

describe('S3TranscriptObjects', () => {
  it("lists the session's transcript versions under its prefix, oldest first, with each version's lock", async () => {
    // Prepare
    stored.push(
      {
        key: KEY,
        versionId: 'v-newer',
        size: 7,
        lastModified: new Date('2030-03-01T10:05:00.000Z'),
        lockMode: 'COMPLIANCE',
        retainUntil: new Date('2037-03-01T10:05:00.000Z'),
        body: 'newer\n',
      },
      {
        key: KEY,
        versionId: 'v-older',
        size: 6,
        lastModified: new Date('2030-03-01T10:00:00.000Z'),
        lockMode: 'GOVERNANCE',
        retainUntil: new Date('2037-03-01T10:00:00.000Z'),
        body: 'older\n',
      },
    );
    const transcripts = new S3TranscriptObjects(BUCKET, CONFIG);

    // Act
    const objects = await transcripts.objectsOf(SESSION, 1_000);

    // Assess
    expect(TRANSCRIPT_PREFIX).toBe('sessions/');
    expect(transcripts.bucketName).toBe(BUCKET);
    expect(listCalls()).toEqual([{ Bucket: BUCKET, Prefix: `sessions/${SESSION}` }]);
    expect(headCalls()).toEqual([
      { Bucket: BUCKET, Key: KEY, VersionId: 'v-older' },
      { Bucket: BUCKET, Key: KEY, VersionId: 'v-newer' },
    ]);
    expect(getCalls()).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: 'v-older' }]);
    expect(encodings).toEqual(['utf-8']);
    expect(objects).toStrictEqual([
      {
        key: KEY,
        versionId: 'v-older',
        bytes: 6,
        lastModified: '2030-03-01T10:00:00.000Z',
        lockMode: 'GOVERNANCE',
        retainUntil: '2037-03-01T10:00:00.000Z',
        content: 'older\n',
      },
      {
        key: KEY,
        versionId: 'v-newer',
        bytes: 7,
        lastModified: '2030-03-01T10:05:00.000Z',
        lockMode: 'COMPLIANCE',
        retainUntil: '2037-03-01T10:05:00.000Z',
      },
    ]);
  });

  it('reads the oldest version of each key, and a version without a date comes first', async () => {
    // Prepare
    const other = `sessions/${SESSION}.part2.log`;
    stored.push(
      { key: other, versionId: 'v-b2', size: 2, lastModified: new Date('2030-03-01T10:03:00.000Z'), body: 'b2' },
      { key: KEY, versionId: 'v-a2', size: 2, lastModified: new Date('2030-03-01T10:02:00.000Z'), body: 'a2' },
      { key: other, versionId: 'v-b1', size: 2, lastModified: new Date('2030-03-01T10:01:00.000Z'), body: 'b1' },
      { key: KEY, versionId: 'v-a1', size: 2, body: 'a1' },
    );

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 1_000);

    // Assess
    expect(objects).toStrictEqual([
      { key: KEY, versionId: 'v-a1', bytes: 2, content: 'a1' },
      { key: other, versionId: 'v-b1', bytes: 2, lastModified: '2030-03-01T10:01:00.000Z', content: 'b1' },
      { key: KEY, versionId: 'v-a2', bytes: 2, lastModified: '2030-03-01T10:02:00.000Z' },
      { key: other, versionId: 'v-b2', bytes: 2, lastModified: '2030-03-01T10:03:00.000Z' },
    ]);
    expect(getCalls()).toEqual([
      { Bucket: BUCKET, Key: KEY, VersionId: 'v-a1' },
      { Bucket: BUCKET, Key: other, VersionId: 'v-b1' },
    ]);
  });

  it('sorts a version without a date first also when S3 lists it before the dated ones', async () => {
    // Prepare
    stored.push(
      { key: KEY, versionId: 'v-0', size: 2, body: 'a0' },
      { key: KEY, versionId: 'v-2', size: 2, lastModified: new Date('2030-03-01T10:02:00.000Z'), body: 'a2' },
      { key: KEY, versionId: 'v-1', size: 2, lastModified: new Date('2030-03-01T10:01:00.000Z'), body: 'a1' },
    );

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 1_000);

    // Assess
    expect(objects).toStrictEqual([
      { key: KEY, versionId: 'v-0', bytes: 2, content: 'a0' },
      { key: KEY, versionId: 'v-1', bytes: 2, lastModified: '2030-03-01T10:01:00.000Z' },
      { key: KEY, versionId: 'v-2', bytes: 2, lastModified: '2030-03-01T10:02:00.000Z' },
    ]);
  });

  it('omits the text of a version larger than the most bytes asked for, and reads one of exactly that size', async () => {
    // Prepare
    const exact = `sessions/${SESSION}.exact.log`;
    stored.push(
      { key: KEY, versionId: 'v-big', size: 11, lastModified: new Date('2030-03-01T10:00:00.000Z'), body: 'x' },
      {
        key: exact,
        versionId: 'v-ten',
        size: 10,
        lastModified: new Date('2030-03-01T10:01:00.000Z'),
        body: 'ten bytes!',
      },
    );

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 10);

    // Assess
    expect(objects).toStrictEqual([
      {
        key: KEY,
        versionId: 'v-big',
        bytes: 11,
        lastModified: '2030-03-01T10:00:00.000Z',
        contentOmitted: '11 bytes is more than one API answer holds; read it from the bucket',
      },
      { key: exact, versionId: 'v-ten', bytes: 10, lastModified: '2030-03-01T10:01:00.000Z', content: 'ten bytes!' },
    ]);
    expect(getCalls()).toEqual([{ Bucket: BUCKET, Key: exact, VersionId: 'v-ten' }]);
  });

  it('takes the size from HeadObject when the listing has none, and counts 0 when neither says', async () => {
    // Prepare
    const unsized = `sessions/${SESSION}.unsized.log`;
    stored.push(
      { key: KEY, versionId: 'v-1', contentLength: 50, lastModified: new Date('2030-03-01T10:00:00.000Z'), body: 'y' },
      { key: unsized, versionId: 'v-2', lastModified: new Date('2030-03-01T10:01:00.000Z'), body: '' },
    );

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 49);

    // Assess
    expect(objects).toStrictEqual([
      {
        key: KEY,
        versionId: 'v-1',
        bytes: 50,
        lastModified: '2030-03-01T10:00:00.000Z',
        contentOmitted: '50 bytes is more than one API answer holds; read it from the bucket',
      },
      { key: unsized, versionId: 'v-2', bytes: 0, lastModified: '2030-03-01T10:01:00.000Z', content: '' },
    ]);
  });

  it('addresses an object of an unversioned bucket (version "null" or none) without a version id', async () => {
    // Prepare
    const unlisted = `sessions/${SESSION}.2.log`;
    stored.push(
      { key: KEY, versionId: 'null', size: 3, lastModified: new Date('2030-03-01T10:00:00.000Z'), body: 'abc' },
      { key: unlisted, size: 3, lastModified: new Date('2030-03-01T10:01:00.000Z'), body: 'def' },
    );

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 100);

    // Assess
    expect(headCalls()).toEqual([
      { Bucket: BUCKET, Key: KEY, VersionId: undefined },
      { Bucket: BUCKET, Key: unlisted, VersionId: undefined },
    ]);
    expect(getCalls()).toEqual([
      { Bucket: BUCKET, Key: KEY, VersionId: undefined },
      { Bucket: BUCKET, Key: unlisted, VersionId: undefined },
    ]);
    expect(objects).toStrictEqual([
      { key: KEY, bytes: 3, lastModified: '2030-03-01T10:00:00.000Z', content: 'abc' },
      { key: unlisted, bytes: 3, lastModified: '2030-03-01T10:01:00.000Z', content: 'def' },
    ]);
  });

  it('skips a listed version without a key and counts a body S3 did not send as empty text', async () => {
    // Prepare
    stored.push(
      { versionId: 'v-keyless', size: 1, lastModified: new Date('2030-03-01T09:00:00.000Z') },
      { key: KEY, versionId: 'v-1', size: 4, lastModified: new Date('2030-03-01T10:00:00.000Z') },
    );

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 100);

    // Assess
    expect(headCalls()).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: 'v-1' }]);
    expect(objects).toStrictEqual([
      { key: KEY, versionId: 'v-1', bytes: 4, lastModified: '2030-03-01T10:00:00.000Z', content: '' },
    ]);
  });

  it('reads every page of the listing, each asked for from where the last one ended', async () => {
    // Prepare
    const minutes = [4, 0, 2, 1, 3];
    stored.push(
      ...minutes.map((minute) => ({
        key: KEY,
        versionId: `v-${minute}`,
        size: 2,
        lastModified: new Date(`2030-03-01T10:0${minute}:00.000Z`),
        body: `t${minute}`,
      })),
    );

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 100);

    // Assess
    const prefix = `sessions/${SESSION}`;
    expect(listCalls()).toEqual([
      { Bucket: BUCKET, Prefix: prefix },
      { Bucket: BUCKET, Prefix: prefix, KeyMarker: KEY, VersionIdMarker: 'v-0' },
      { Bucket: BUCKET, Prefix: prefix, KeyMarker: KEY, VersionIdMarker: 'v-1' },
    ]);
    expect(objects.map((o) => o.versionId)).toEqual(['v-0', 'v-1', 'v-2', 'v-3', 'v-4']);
    expect(objects[0]).toMatchObject({ content: 't0' });
  });

  it('goes on from the key alone when a truncated page names no version marker', async () => {
    // Prepare
    const second = `sessions/${SESSION}.2.log`;
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined }).resolves({
      Versions: [{ Key: KEY, Size: 1, LastModified: new Date('2030-03-01T10:00:00.000Z') }],
      IsTruncated: true,
      NextKeyMarker: KEY,
    });
    s3.on(ListObjectVersionsCommand, { KeyMarker: KEY }).resolves({
      Versions: [{ Key: second, Size: 1, LastModified: new Date('2030-03-01T10:01:00.000Z') }],
      IsTruncated: false,
    });
    stored.push({ key: KEY, body: 'a' }, { key: second, body: 'b' });

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 100);

    // Assess
    expect(listCalls()).toEqual([
      { Bucket: BUCKET, Prefix: `sessions/${SESSION}` },
      { Bucket: BUCKET, Prefix: `sessions/${SESSION}`, KeyMarker: KEY },
    ]);
    expect(objects.map((o) => [o.key, o.content])).toEqual([
      [KEY, 'a'],
      [second, 'b'],
    ]);
  });

  it('stops with an error, not a loop, when a truncated page names nowhere to go on from', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: KEY, VersionId: 'v-1' }], IsTruncated: true });

    // Act
    const reading = new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 100);

    // Assess
    await expect(reading).rejects.toThrow('S3 answered a truncated ListObjectVersions page with no NextKeyMarker');
    expect(listCalls()).toHaveLength(1);
    expect(headCalls()).toEqual([]);
  });

  it('answers no objects when Session Manager uploaded no transcript', async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({});

    // Act
    const objects = await new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 100);

    // Assess
    expect(objects).toStrictEqual([]);
    expect(headCalls()).toEqual([]);
  });

  it("fails with S3's own error when a version cannot be read", async () => {
    // Prepare
    stored.push({ key: KEY, versionId: 'v-1', size: 4, lastModified: new Date('2030-03-01T10:00:00.000Z') });
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', 'Access Denied'));

    // Act
    const reading = new S3TranscriptObjects(BUCKET, CONFIG).objectsOf(SESSION, 100);

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'AccessDenied', message: 'Access Denied' });
  });

  it('talks path-style to a local endpoint only', async () => {
    // Prepare
    const local = new S3TranscriptObjects(BUCKET, { ...CONFIG, endpoint: 'http://127.0.0.1:5000' });
    const regional = new S3TranscriptObjects(BUCKET, CONFIG);

    // Act
    await local.objectsOf(SESSION, 100);
    await regional.objectsOf(SESSION, 100);

    // Assess
    const clients = s3.commandCalls(ListObjectVersionsCommand).map((c) => c.thisValue as S3Client);
    expect(clients.map((client) => client.config.forcePathStyle)).toEqual([true, false]);
    expect(await clients[1]?.config.region()).toBe('eu-west-1');
  });
});
