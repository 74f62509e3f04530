import fc from 'fast-check';
import {
  CHANGE_CATEGORIES,
  changeCount,
  changeRows,
  compareInstance,
  diffSnapshots,
  parseSnapshot,
  renderChangeDeltas,
  type ChangeSnapshot,
  type SnapshotRead,
} from '../../lambdas/domain/change-delta';
import { changeSnapshotPrefix, snapshotPhaseOf } from '../../lambdas/domain/change-snapshot-layout';

const INSTANCE = 'i-0aaaaaaaaaaaaaaa1';

function snapshot(overrides: Partial<ChangeSnapshot> = {}): ChangeSnapshot {
  return {
    schemaVersion: 1,
    status: 'ok',
    phase: 'start',
    takenAt: '2030-03-01T10:00:00Z',
    instanceId: INSTANCE,
    packages: { bash: '5.2.15-1.amzn2023', openssl: '3.0.8-1.amzn2023' },
    services: ['amazon-ssm-agent.service', 'sshd.service'],
    users: { 'acme-support': 'uid=1001 gid=1001 home=/home/acme-support shell=/bin/bash' },
    groups: { wheel: 'gid=10 members=ec2-user' },
    sudoers: { '/etc/sudoers': 'a'.repeat(64) },
    crontabs: { '/etc/crontab': 'b'.repeat(64) },
    listeningPorts: ['tcp 0.0.0.0:22 sshd'],
    files: { '/etc/hosts': 'c'.repeat(64), '/etc/ssh/sshd_config': 'd'.repeat(64) },
    ...overrides,
  };
}

const read = (value: object | string, key = 'change-snapshots/g/start/cmd/i/awsrunShellScript/snapshotStart/stdout') =>
  ({ kind: 'object', key, text: typeof value === 'string' ? value : JSON.stringify(value) }) as const;
const ABSENT: SnapshotRead = { kind: 'absent' };

const text = fc.string({ minLength: 1, maxLength: 6 });
const entriesArb = fc.dictionary(text, text, { maxKeys: 6 });
const namesArb = fc.uniqueArray(text, { maxLength: 6 });
const snapshotArb: fc.Arbitrary<ChangeSnapshot> = fc.record({
  schemaVersion: fc.constant(1 as const),
  status: fc.constant('ok' as const),
  phase: fc.constantFrom('start' as const, 'end' as const),
  takenAt: fc.constant('2030-03-01T10:00:00Z'),
  packages: entriesArb,
  services: namesArb,
  users: entriesArb,
  groups: entriesArb,
  sudoers: entriesArb,
  crontabs: entriesArb,
  listeningPorts: namesArb,
  files: entriesArb,
});

describe('the snapshot key layout', () => {
  it('takes the start snapshot at the unlock and the end snapshot at the lock', () => {
    expect(snapshotPhaseOf('unlock')).toBe('start');
    expect(snapshotPhaseOf('lock')).toBe('end');
  });

  it('puts each phase of a grant under its own prefix', () => {
    // Assess
    expect(changeSnapshotPrefix('grant-0001', 'start')).toBe('change-snapshots/grant-0001/start/');
    expect(changeSnapshotPrefix('grant-0001', 'end')).toBe('change-snapshots/grant-0001/end/');
  });
});

describe('parseSnapshot', () => {
  it('reads a snapshot the collector took', () => {
    // Act
    const parsed = parseSnapshot(JSON.stringify(snapshot()));

    // Assess
    expect(parsed).toEqual({ kind: 'taken', snapshot: snapshot() });
  });

  it('reads a failed snapshot with its reason', () => {
    // Act
    const parsed = parseSnapshot(
      JSON.stringify({
        schemaVersion: 1,
        status: 'failed',
        phase: 'end',
        takenAt: 'x',
        reason: 'timed out after 90 s',
      }),
    );

    // Assess
    expect(parsed).toMatchObject({ kind: 'failed', snapshot: { reason: 'timed out after 90 s' } });
  });

  test.each([
    ['text that is not JSON', '{"schemaVersion":1,', /^not JSON/],
    ['another schema version', JSON.stringify({ ...snapshot(), schemaVersion: 2 }), /^schemaVersion 2 is not 1/],
    ['a category of the wrong type', JSON.stringify({ ...snapshot(), services: 'sshd' }), /^field services: /],
    ['a missing category', JSON.stringify({ ...snapshot(), files: undefined }), /^field files: /],
  ])('calls %s unreadable, naming what is wrong', (_, input, reason) => {
    // Act
    const parsed = parseSnapshot(input);

    // Assess
    expect(parsed.kind).toBe('unreadable');
    expect(parsed.kind === 'unreadable' && parsed.reason).toMatch(reason);
  });
});

describe('diffSnapshots', () => {
  it("names a changed file, a new package, a package's new version, a new user and a new listening port", () => {
    // Prepare
    const before = snapshot();
    const after = snapshot({
      phase: 'end',
      packages: { ...before.packages, openssl: '3.0.8-2.amzn2023', nginx: '1.24.0-1.amzn2023' },
      users: { ...before.users, backdoor: 'uid=1002 gid=1002 home=/home/backdoor shell=/bin/bash' },
      listeningPorts: [...before.listeningPorts, 'tcp 0.0.0.0:8080 nginx'],
      files: { ...before.files, '/etc/hosts': 'e'.repeat(64) },
      services: ['amazon-ssm-agent.service'],
    });

    // Act
    const delta = diffSnapshots(before, after);

    // Assess
    expect(delta.packages).toEqual({
      added: [{ key: 'nginx', value: '1.24.0-1.amzn2023' }],
      removed: [],
      changed: [{ key: 'openssl', before: '3.0.8-1.amzn2023', after: '3.0.8-2.amzn2023' }],
    });
    expect(delta.users.added).toEqual([
      { key: 'backdoor', value: 'uid=1002 gid=1002 home=/home/backdoor shell=/bin/bash' },
    ]);
    expect(delta.listeningPorts.added).toEqual([{ key: 'tcp 0.0.0.0:8080 nginx', value: '' }]);
    expect(delta.services.removed).toEqual([{ key: 'sshd.service', value: '' }]);
    expect(delta.files.changed).toEqual([{ key: '/etc/hosts', before: 'c'.repeat(64), after: 'e'.repeat(64) }]);
    expect(changeCount(delta)).toBe(6);
  });

  it('finds nothing between a snapshot and itself', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        expect(changeCount(diffSnapshots(s, s))).toBe(0);
      }),
    );
  });

  it('is a mirror image when the two snapshots swap: added is removed, changed turns around', () => {
    fc.assert(
      fc.property(snapshotArb, snapshotArb, (a, b) => {
        const forward = diffSnapshots(a, b);
        const backward = diffSnapshots(b, a);
        for (const category of CHANGE_CATEGORIES) {
          expect(backward[category].added).toEqual(forward[category].removed);
          expect(backward[category].removed).toEqual(forward[category].added);
          expect(backward[category].changed).toEqual(
            forward[category].changed.map(({ key, before, after }) => ({ key, before: after, after: before })),
          );
        }
      }),
    );
  });

  it('accounts for every key of both snapshots exactly once: unchanged, added, removed or changed', () => {
    fc.assert(
      fc.property(snapshotArb, snapshotArb, (a, b) => {
        const delta = diffSnapshots(a, b);
        const before = new Set(Object.keys(a.packages));
        const after = new Set(Object.keys(b.packages));
        const unchanged = [...before].filter((k) => after.has(k) && a.packages[k] === b.packages[k]);
        const { added, removed, changed } = delta.packages;
        expect(added.length + changed.length + unchanged.length).toBe(after.size);
        expect(removed.length + changed.length + unchanged.length).toBe(before.size);
      }),
    );
  });
});

describe('compareInstance', () => {
  it('compares a start and an end snapshot and counts the changes', () => {
    // Prepare
    const end = snapshot({ phase: 'end', takenAt: '2030-03-01T11:00:00Z', packages: { bash: '5.2.15-1.amzn2023' } });

    // Act
    const result = compareInstance(INSTANCE, read(snapshot()), read(end, 'end-key'));

    // Assess
    expect(result).toMatchObject({
      instanceId: INSTANCE,
      status: 'compared',
      start: { takenAt: '2030-03-01T10:00:00Z' },
      end: { takenAt: '2030-03-01T11:00:00Z', key: 'end-key' },
      changes: 1,
    });
  });

  test.each([
    ['neither snapshot', ABSENT, ABSENT, 'not recorded'],
    ['no end snapshot', read(snapshot()), ABSENT, 'end snapshot missing'],
    ['no start snapshot', ABSENT, read(snapshot({ phase: 'end' })), 'start snapshot missing'],
    [
      'a failed end snapshot',
      read(snapshot()),
      read({ schemaVersion: 1, status: 'failed', phase: 'end', takenAt: 'x', reason: 'no rpm or dpkg-query' }),
      'end snapshot failed: no rpm or dpkg-query',
    ],
    [
      'a failed start snapshot',
      read({ schemaVersion: 1, status: 'failed', phase: 'start', takenAt: 'x', reason: 'timed out after 90 s' }),
      read(snapshot({ phase: 'end' })),
      'start snapshot failed: timed out after 90 s',
    ],
    [
      'an unreadable end snapshot',
      read(snapshot()),
      read('garbage'),
      expect.stringMatching(/^end snapshot unreadable: not JSON/),
    ],
  ])('states the missing piece when there is %s', (_, start, end, missing) => {
    // Act
    const result = compareInstance(INSTANCE, start, end);

    // Assess
    expect(result).toEqual({ instanceId: INSTANCE, status: 'incomplete', missing });
  });
});

describe('renderChangeDeltas', () => {
  it('renders each instance as Markdown: added, removed and changed per category, missing pieces stated', () => {
    // Prepare
    const end = snapshot({
      phase: 'end',
      takenAt: '2030-03-01T11:00:00Z',
      packages: { bash: '5.2.15-1.amzn2023', openssl: '3.0.8-1.amzn2023', nginx: '1.24.0' },
      files: { '/etc/hosts': 'e'.repeat(8), '/etc/ssh/sshd_config': 'd'.repeat(64) },
      services: ['amazon-ssm-agent.service'],
    });
    const deltas = [
      compareInstance('i-0bbbbbbbbbbbbbbb2', ABSENT, ABSENT),
      compareInstance(INSTANCE, read(snapshot()), read(end)),
    ];

    // Act
    const markdown = renderChangeDeltas(deltas);

    // Assess
    expect(markdown).toBe(
      [
        `### ${INSTANCE}`,
        '',
        'Snapshots: start 2030-03-01T10:00:00Z, end 2030-03-01T11:00:00Z.',
        '',
        '- Installed packages:',
        '  - \\+ `nginx` `1.24.0`',
        '- Running services:',
        '  - \\- `sshd.service`',
        '- Files (SHA-256):',
        `  - ~ \`/etc/hosts\`: \`${'c'.repeat(64)}\` → \`${'e'.repeat(8)}\``,
        '',
        '### i-0bbbbbbbbbbbbbbb2',
        '',
        'No change delta: not recorded.',
        '',
      ].join('\n'),
    );
  });

  it('says "No change." for an instance whose snapshots agree, and renders the same text for the same deltas', () => {
    // Prepare
    const deltas = [compareInstance(INSTANCE, read(snapshot()), read(snapshot({ phase: 'end' })))];

    // Act
    const first = renderChangeDeltas(deltas);
    const second = renderChangeDeltas([...deltas]);

    // Assess
    expect(first).toContain('No change.');
    expect(second).toBe(first);
  });
});

describe('the order and wording of a delta', () => {
  it('lists added, removed and changed items by key, whatever order the snapshots hold them in', () => {
    // Prepare
    const before = snapshot({ packages: { zlib: '1', apache: '1', mid: '1', gone: '1', away: '1' } });
    const after = snapshot({ packages: { zlib: '2', mid: '2', apache: '2', yum: '1', curl: '1' } });

    // Act
    const { packages } = diffSnapshots(before, after);

    // Assess
    expect(packages.added.map((e) => e.key)).toEqual(['curl', 'yum']);
    expect(packages.removed.map((e) => e.key)).toEqual(['away', 'gone']);
    expect(packages.changed.map((e) => e.key)).toEqual(['apache', 'mid', 'zlib']);
  });

  it('renders instances in id order, a category with only removals, and plain keys without a value', () => {
    // Prepare
    const start = read(snapshot());
    const end = read(snapshot({ phase: 'end', services: ['amazon-ssm-agent.service'] }));
    const second = compareInstance('i-0bbbbbbbbbbbbbbb2', start, end);
    const first = compareInstance('i-0aaaaaaaaaaaaaaa1', start, end);

    // Act
    const lines = renderChangeDeltas([second, first]).split('\n');

    // Assess
    expect(lines.filter((l) => l.startsWith('### '))).toEqual(['### i-0aaaaaaaaaaaaaaa1', '### i-0bbbbbbbbbbbbbbb2']);
    expect(lines).toContain('  - \\- `sshd.service`');
  });

  it('names the first invalid field of a snapshot it cannot read, by its path', () => {
    // Act
    const parsed = parseSnapshot(JSON.stringify({ ...snapshot(), packages: { bash: 5 } }));

    // Assess
    expect(parsed).toEqual({ kind: 'unreadable', reason: expect.stringMatching(/^field packages\.bash: \S/) });
  });

  it('reads a snapshot whose JSON is null as one without a schema version', () => {
    // Act
    const parsed = parseSnapshot('null');

    // Assess
    expect(parsed).toEqual({
      kind: 'unreadable',
      reason: expect.stringMatching(/^schemaVersion undefined is not 1: /),
    });
  });
});

describe('the exact text of a delta', () => {
  it("names an invalid field with the schema's own message", () => {
    // Act
    const parsed = parseSnapshot(JSON.stringify({ ...snapshot(), packages: { bash: 5 } }));

    // Assess
    expect(parsed).toEqual({ kind: 'unreadable', reason: 'field packages.bash: Invalid input' });
  });

  it('sorts added, removed and changed items by key when the snapshots hold them in a mixed order', () => {
    // Prepare
    const before = snapshot({ packages: { mid: '1', zlib: '1', apache: '1', gone: '1', away: '1', old: '1' } });
    const after = snapshot({ packages: { mid: '2', zlib: '2', apache: '2', new: '1', curl: '1', yum: '1' } });

    // Act
    const { packages } = diffSnapshots(before, after);

    // Assess
    expect(packages.added.map((e) => e.key)).toEqual(['curl', 'new', 'yum']);
    expect(packages.removed.map((e) => e.key)).toEqual(['away', 'gone', 'old']);
    expect(packages.changed.map((e) => e.key)).toEqual(['apache', 'mid', 'zlib']);
  });

  it('renders instances in id order whatever order they come in', () => {
    // Prepare
    const deltas = ['i-0b', 'i-0c', 'i-0a'].map((id) => compareInstance(id, ABSENT, ABSENT));

    // Act
    const headings = renderChangeDeltas(deltas)
      .split('\n')
      .filter((l) => l.startsWith('### '));

    // Assess
    expect(headings).toEqual(['### i-0a', '### i-0b', '### i-0c']);
  });

  it('renders an instance whose snapshots agree as "No change." and a blank line', () => {
    // Prepare
    const deltas = [compareInstance(INSTANCE, read(snapshot()), read(snapshot({ phase: 'end' })))];

    // Act
    const markdown = renderChangeDeltas(deltas);

    // Assess
    expect(markdown).toBe(
      [
        `### ${INSTANCE}`,
        '',
        'Snapshots: start 2030-03-01T10:00:00Z, end 2030-03-01T10:00:00Z.',
        '',
        'No change.',
        '',
      ].join('\n'),
    );
  });

  it('renders a category whose additions match its removals, or its changes, and a backtick as a quote', () => {
    // Prepare
    const before = snapshot();
    const after = snapshot({
      phase: 'end',
      packages: { bash: '5.2.15-1.amzn2023', 'nc`at': '1.10' },
      users: { 'acme-support': 'uid=1001 gid=1001 home=/home/acme-support shell=/bin/sh', backdoor: 'uid=1002' },
      groups: {},
    });

    // Act
    const lines = renderChangeDeltas([compareInstance(INSTANCE, read(before), read(after))]).split('\n');

    // Assess
    expect(lines.slice(4)).toEqual([
      '- Installed packages:',
      "  - \\+ `nc'at` `1.10`",
      '  - \\- `openssl` `3.0.8-1.amzn2023`',
      '- Local users:',
      '  - \\+ `backdoor` `uid=1002`',
      '  - ~ `acme-support`: `uid=1001 gid=1001 home=/home/acme-support shell=/bin/bash` → `uid=1001 gid=1001 home=/home/acme-support shell=/bin/sh`',
      '- Local groups:',
      '  - \\- `wheel` `gid=10 members=ec2-user`',
      '',
    ]);
  });

  it('turns a delta into rows: the value after an addition, before a removal, and both of a change', () => {
    // Prepare
    const before = snapshot();
    const after = snapshot({
      phase: 'end',
      packages: { bash: '5.2.15-2.amzn2023', nginx: '1.24.0' },
      services: ['amazon-ssm-agent.service', 'nginx.service'],
      listeningPorts: [],
    });

    // Act
    const rows = changeRows(diffSnapshots(before, after));

    // Assess
    expect(rows).toStrictEqual([
      { category: 'packages', change: 'added', item: 'nginx', after: '1.24.0' },
      { category: 'packages', change: 'removed', item: 'openssl', before: '3.0.8-1.amzn2023' },
      {
        category: 'packages',
        change: 'changed',
        item: 'bash',
        before: '5.2.15-1.amzn2023',
        after: '5.2.15-2.amzn2023',
      },
      { category: 'services', change: 'added', item: 'nginx.service' },
      { category: 'services', change: 'removed', item: 'sshd.service' },
      { category: 'listeningPorts', change: 'removed', item: 'tcp 0.0.0.0:22 sshd' },
    ]);
  });
});
