import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ChangeSnapshots, type ChangeDeltaGrant } from '../../lambdas/adapters/change-snapshots';
import type { ChangeSnapshot } from '../../lambdas/domain/change-delta';

const BUCKET = 'jitaccess-sessions-111122223333-eu-west-1';
const GRANT_ID = 'grant-changes-0001';
const ONE = 'i-0aaaaaaaaaaaaaaa1';
const TWO = 'i-0bbbbbbbbbbbbbbb2';
const THREE = 'i-0ccccccccccccccc3';

function snapshot(phase: 'start' | 'end', packages: Record<string, string>): ChangeSnapshot {
  return {
    schemaVersion: 1,
    status: 'ok',
    phase,
    takenAt: phase === 'start' ? '2030-03-01T09:00:00Z' : '2030-03-01T10:00:00Z',
    packages,
    services: [],
    users: {},
    groups: {},
    sudoers: {},
    crontabs: {},
    listeningPorts: [],
    files: {},
  };
}

const keyOf = (phase: 'start' | 'end', commandId: string, instanceId: string) =>
  `change-snapshots/${GRANT_ID}/${phase}/${commandId}/${instanceId}/awsrunShellScript/${phase === 'start' ? 'snapshotStart' : 'snapshotEnd'}/stdout`;

const s3 = mockClient(S3Client);
let objects: Map<string, { body: string | undefined; at: Date | undefined }>;
/** The encodings the adapter asked the bodies to be decoded with. */
let encodings: (string | undefined)[];

beforeEach(() => {
  s3.reset();
  objects = new Map();
  encodings = [];
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    // Two pages, so that paging is followed.
    const page = input.ContinuationToken ? keys.slice(1) : keys.slice(0, 1);
    return {
      Contents: page.map((Key) => ({ Key, LastModified: objects.get(Key)?.at })),
      IsTruncated: !input.ContinuationToken && keys.length > 1,
      NextContinuationToken: 'next',
    };
  });
  s3.on(GetObjectCommand).callsFake((input: { Key?: string }) => {
    const text = objects.get(input.Key ?? '')?.body;
    // An object S3 answers without a body (undefined) reads as no text.
    if (text === undefined) return {};
    const transformToString = async (encoding?: string) => {
      encodings.push(encoding);
      return text;
    };
    return { Body: { transformToString } as never };
  });
});

afterAll(() => s3.restore());

const put = (key: string, body: object | string, at = '2030-03-01T10:00:00Z') =>
  objects.set(key, { body: typeof body === 'string' ? body : JSON.stringify(body), at: new Date(at) });

/** An object S3 lists without a date, or answers without a body. */
const putBare = (key: string, body: object | undefined, at?: string) =>
  objects.set(key, { body: body && JSON.stringify(body), at: at === undefined ? undefined : new Date(at) });

const grant = (instanceIds: string[], osAccount: Record<string, unknown> = {}): ChangeDeltaGrant =>
  ({
    grantId: GRANT_ID,
    targets: [{ kind: 'instances', targetGroup: 'billing-db', instanceIds }],
    osAccount,
  }) as ChangeDeltaGrant;

describe('S3ChangeSnapshots', () => {
  it("reads each instance's start and end snapshots from the evidence bucket and compares them", async () => {
    // Prepare
    put(keyOf('start', 'cmd-1', ONE), snapshot('start', { bash: '5.2' }));
    put(keyOf('end', 'cmd-2', ONE), snapshot('end', { bash: '5.2', nmap: '7.93' }));
    put(`change-snapshots/${GRANT_ID}/end/cmd-2/${ONE}/awsrunShellScript/osAccount/stdout`, 'jit-access: locked');

    // Act
    const deltas = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(grant([ONE]));

    // Assess
    expect(deltas).toEqual([
      expect.objectContaining({
        instanceId: ONE,
        status: 'compared',
        changes: 1,
        end: { takenAt: '2030-03-01T10:00:00Z', key: keyOf('end', 'cmd-2', ONE) },
      }),
    ]);
    expect(deltas[0]?.status === 'compared' && deltas[0].delta.packages.added).toEqual([
      { key: 'nmap', value: '7.93' },
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Bucket)).toContain(BUCKET);
    expect(encodings).toEqual(['utf8', 'utf8']);
  });

  it('takes the newest end snapshot when the lock was sent again', async () => {
    // Prepare
    put(keyOf('start', 'cmd-1', ONE), snapshot('start', { bash: '5.2' }));
    put(keyOf('end', 'cmd-2', ONE), snapshot('end', { bash: '5.2' }), '2030-03-01T10:00:00Z');
    put(keyOf('end', 'cmd-0', ONE), snapshot('end', { bash: '5.3' }), '2030-03-01T10:05:00Z');

    // Act
    const [delta] = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(grant([ONE]));

    // Assess
    expect(delta).toMatchObject({ status: 'compared', end: { key: keyOf('end', 'cmd-0', ONE) }, changes: 1 });
  });

  it('takes a newer snapshot that S3 lists after an older one', async () => {
    // Prepare
    put(keyOf('start', 'cmd-1', ONE), snapshot('start', { bash: '5.2' }));
    put(keyOf('end', 'cmd-2', ONE), snapshot('end', { bash: '5.2' }), '2030-03-01T10:00:00Z');
    put(keyOf('end', 'cmd-3', ONE), snapshot('end', { bash: '5.3' }), '2030-03-01T10:05:00Z');

    // Act
    const [delta] = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(grant([ONE]));

    // Assess
    expect(delta).toMatchObject({ status: 'compared', end: { key: keyOf('end', 'cmd-3', ONE) }, changes: 1 });
  });

  it('states the missing piece per instance: not recorded, end missing, snapshot failed', async () => {
    // Prepare
    put(keyOf('start', 'cmd-1', ONE), snapshot('start', {}));
    put(keyOf('start', 'cmd-1', THREE), snapshot('start', {}));
    put(keyOf('end', 'cmd-2', THREE), {
      schemaVersion: 1,
      status: 'failed',
      phase: 'end',
      takenAt: '2030-03-01T10:00:00Z',
      reason: 'timed out after 60 s',
    });

    // Act
    const deltas = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(
      grant([ONE], { [TWO]: { action: 'lock' } }),
    );

    // Assess
    expect(deltas).toEqual([
      { instanceId: ONE, status: 'incomplete', missing: 'end snapshot missing' },
      { instanceId: TWO, status: 'incomplete', missing: 'not recorded' },
      { instanceId: THREE, status: 'incomplete', missing: 'end snapshot failed: timed out after 60 s' },
    ]);
  });

  it('takes the instances of a tag group from the bucket: EC2 instances and hybrid nodes, no other path', async () => {
    // Prepare
    const HYBRID = 'mi-0123456789abcdef0';
    put(keyOf('start', 'cmd-1', HYBRID), snapshot('start', {}));
    put(keyOf('end', 'cmd-2', HYBRID), snapshot('end', { nmap: '7.93' }));
    put(keyOf('end', 'cmd-2', ONE), snapshot('end', {}));
    put(keyOf('start', 'cmd-1', 'not-an-instance'), snapshot('start', {}));
    put(`change-snapshots/${GRANT_ID}/start/cmd-1/${TWO}/awsrunShellScript/snapshotEnd/stdout`, snapshot('end', {}));
    put(`change-snapshots/${GRANT_ID}/start/cmd-1/${THREE}/awsrunShellScript/snapshotStart/stderr`, 'warning');
    const tagGroup: ChangeDeltaGrant = {
      grantId: GRANT_ID,
      targets: [
        { kind: 'group', targetGroup: 'billing-db', tagKey: 'jit-access:target-group', tagValue: 'billing-db' },
      ],
    } as ChangeDeltaGrant;

    // Act
    const deltas = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(tagGroup);

    // Assess
    expect(deltas.map((d) => [d.instanceId, d.status, d.status === 'incomplete' ? d.missing : d.changes])).toEqual([
      [ONE, 'incomplete', 'start snapshot missing'],
      [HYBRID, 'compared', 1],
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: BUCKET, Prefix: `change-snapshots/${GRANT_ID}/start/`, ContinuationToken: undefined },
      { Bucket: BUCKET, Prefix: `change-snapshots/${GRANT_ID}/end/`, ContinuationToken: undefined },
      { Bucket: BUCKET, Prefix: `change-snapshots/${GRANT_ID}/start/`, ContinuationToken: 'next' },
      { Bucket: BUCKET, Prefix: `change-snapshots/${GRANT_ID}/end/`, ContinuationToken: 'next' },
    ]);
    // The instances are read side by side: in no set order.
    const reads = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
    expect(reads.sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''))).toEqual([
      { Bucket: BUCKET, Key: keyOf('end', 'cmd-2', ONE) },
      { Bucket: BUCKET, Key: keyOf('end', 'cmd-2', HYBRID) },
      { Bucket: BUCKET, Key: keyOf('start', 'cmd-1', HYBRID) },
    ]);
  });

  it('takes the later key of two snapshots of the same instant, and a dated one over an undated one', async () => {
    // Prepare
    putBare(keyOf('start', 'cmd-1', ONE), snapshot('start', { bash: '5.1' }));
    put(keyOf('start', 'cmd-0', ONE), snapshot('start', { bash: '5.2' }), '2030-03-01T09:00:00Z');
    put(keyOf('end', 'cmd-2', ONE), snapshot('end', { bash: '5.3' }), '2030-03-01T10:00:00Z');
    put(keyOf('end', 'cmd-3', ONE), snapshot('end', { bash: '5.4' }), '2030-03-01T10:00:00Z');

    // Act
    const [delta] = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(grant([ONE]));

    // Assess
    expect(delta).toMatchObject({
      status: 'compared',
      start: { key: keyOf('start', 'cmd-0', ONE) },
      end: { key: keyOf('end', 'cmd-3', ONE) },
    });
    expect(delta?.status === 'compared' && delta.delta.packages.changed).toEqual([
      { key: 'bash', before: '5.2', after: '5.4' },
    ]);
  });

  it('keeps the first of two snapshots of the same instant when the later-listed key sorts before it', async () => {
    // Prepare
    put(keyOf('start', 'cmd-1', ONE), snapshot('start', { bash: '5.1' }));
    put(keyOf('end', 'cmd-2', ONE), snapshot('end', { bash: '5.2' }));
    put(keyOf('end', 'cmd-1', ONE), snapshot('end', { bash: '5.3' }));
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
      // Not in key order: the later key first.
      Contents: [...objects.keys()]
        .filter((k) => k.startsWith(input.Prefix ?? ''))
        .sort()
        .reverse()
        .map((Key) => ({ Key, LastModified: objects.get(Key)?.at })),
    }));

    // Act
    const [delta] = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(grant([ONE]));

    // Assess
    expect(delta).toMatchObject({ status: 'compared', end: { key: keyOf('end', 'cmd-2', ONE) } });
  });

  it('reads an object S3 answers without a body as no text, and a listing without contents as no snapshot', async () => {
    // Prepare
    putBare(keyOf('start', 'cmd-1', ONE), undefined, '2030-03-01T09:00:00Z');
    put(keyOf('end', 'cmd-2', ONE), snapshot('end', {}));

    // Act
    const deltas = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(grant([ONE]));
    s3.on(ListObjectsV2Command).resolves({});
    const none = await new S3ChangeSnapshots(BUCKET, { region: 'eu-west-1', maxAttempts: 1 }).deltas(grant([TWO]));

    // Assess
    expect(deltas).toEqual([
      {
        instanceId: ONE,
        status: 'incomplete',
        missing: 'start snapshot unreadable: not JSON (Unexpected end of JSON input)',
      },
    ]);
    expect(none).toEqual([{ instanceId: TWO, status: 'incomplete', missing: 'not recorded' }]);
  });

  it('talks path-style to a local endpoint only, in the region it was given', async () => {
    // Prepare
    const local = new S3ChangeSnapshots(BUCKET, {
      region: 'eu-west-1',
      maxAttempts: 1,
      endpoint: 'http://127.0.0.1:5000',
    });
    const regional = new S3ChangeSnapshots(BUCKET, { region: 'ap-southeast-2', maxAttempts: 1 });

    // Act
    await local.deltas(grant([]));
    await regional.deltas(grant([]));

    // Assess
    const clients = s3.commandCalls(ListObjectsV2Command).map((c) => c.thisValue as S3Client);
    expect(clients.map((client) => client.config.forcePathStyle)).toEqual([true, true, false, false]);
    expect(await clients[0]?.config.region()).toBe('eu-west-1');
    expect(await clients[2]?.config.region()).toBe('ap-southeast-2');
  });
});
