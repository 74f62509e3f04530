import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CHANGE_SNAPSHOT_SCRIPT_PATH } from '../../lib/constructs/os-account-document';
import { diffSnapshots, parseSnapshot, type ChangeSnapshot } from '../../lambdas/domain/change-delta';

/**
 * The harmless tools the collector uses, linked in from the host; rpm, dpkg-query, systemctl and ss are stubs, so the
 * test reads nothing of this host; nothing else is on the PATH.
 */
const REAL_TOOLS = [
  'awk',
  'sort',
  'find',
  'xargs',
  'sha256sum',
  'mktemp',
  'rm',
  'date',
  'timeout',
  'tail',
  'wc',
  'bash',
  'cat',
  'touch',
];

const SS_OUTPUT = [
  'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
  'tcp   LISTEN 0      128    0.0.0.0:22         0.0.0.0:*         users:(("sshd",pid=812,fd=3))',
  'udp   UNCONN 0      0      127.0.0.1:323      0.0.0.0:*         users:(("chronyd",pid=640,fd=5))',
].join('\\n');

let dir: string;
let root: string;
let bin: string;

function write(path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

function stub(command: string, body: string): void {
  const file = join(bin, command);
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'change-snapshot-'));
  root = join(dir, 'root');
  bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  write('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nacme-support:x:1001:1001::/home/acme-support:/bin/bash\n');
  write('etc/group', 'root:x:0:\nwheel:x:10:ec2-user\n');
  write('etc/shadow', 'acme-support:$6$secret:19000::::::\n');
  write('etc/sudoers', 'root ALL=(ALL) ALL\n');
  write('etc/sudoers.d/90-cloud-init', 'ec2-user ALL=(ALL) NOPASSWD:ALL\n');
  write('etc/crontab', 'SHELL=/bin/bash\n');
  write('var/spool/cron/root', '0 * * * * /usr/bin/true\n');
  write('etc/hosts', '127.0.0.1 localhost\n');
  write('opt/app/conf/app.yml', 'port: 8080\n');
  write(
    'packages',
    '5.2.15-1.amzn2023.x86_64\tbash\n3.0.8-1.amzn2023.x86_64\topenssl\n6.1.1-1.x86_64\tkernel\n6.1.2-1.x86_64\tkernel\n',
  );
  stub('rpm', `cat "${join(root, 'packages')}"`);
  stub(
    'systemctl',
    'printf "sshd.service loaded active running OpenSSH\\namazon-ssm-agent.service loaded active running SSM\\n"',
  );
  stub('ss', `printf '${SS_OUTPUT}\\n'`);
  for (const tool of REAL_TOOLS) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Env {
  readonly ACTION?: string;
  readonly SNAPSHOT_PHASE?: string;
  readonly SNAPSHOT_ON?: string;
  readonly SNAPSHOT_TIME_LIMIT_SECONDS?: string;
}

/** Runs the script as the document does: its variables first, then the script, with `directories` configured. */
function runScript(env: Env = {}, directories: readonly string[] = ['/etc']) {
  const prelude = `SNAPSHOT_DIRECTORIES=(${directories.map((d) => `'${d}'`).join(' ')})\n`;
  const script = join(dir, 'script.sh');
  writeFileSync(script, prelude + readFileSync(CHANGE_SNAPSHOT_SCRIPT_PATH, 'utf8'));
  const result = spawnSync('/bin/bash', [script], {
    encoding: 'utf8',
    env: {
      PATH: bin,
      SNAPSHOT_ROOT: root,
      AWS_SSM_INSTANCE_ID: 'i-0aaaaaaaaaaaaaaa1',
      ACTION: 'unlock',
      SNAPSHOT_PHASE: 'start',
      SNAPSHOT_ON: 'unlock',
      ...env,
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function takenSnapshot(run: { stdout: string }): ChangeSnapshot {
  const parsed = parseSnapshot(run.stdout);
  if (parsed.kind !== 'taken') throw new Error(`expected a snapshot, got ${JSON.stringify(parsed)}: ${run.stdout}`);
  return parsed.snapshot;
}

describe('the change snapshot script', () => {
  it('is valid bash', () => {
    // Act
    const result = spawnSync('/bin/bash', ['-n', CHANGE_SNAPSHOT_SCRIPT_PATH], { encoding: 'utf8' });

    // Assess
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('writes one JSON snapshot of packages, services, users, groups, sudoers, crontabs, ports and file checksums', () => {
    // Act
    const run = runScript({}, ['/etc', '/opt/app/conf']);

    // Assess
    expect(run.status).toBe(0);
    expect(takenSnapshot(run)).toEqual({
      schemaVersion: 1,
      status: 'ok',
      phase: 'start',
      takenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      packages: {
        bash: '5.2.15-1.amzn2023.x86_64',
        kernel: '6.1.1-1.x86_64, 6.1.2-1.x86_64',
        openssl: '3.0.8-1.amzn2023.x86_64',
      },
      services: ['amazon-ssm-agent.service', 'sshd.service'],
      users: {
        root: 'uid=0 gid=0 home=/root shell=/bin/bash',
        'acme-support': 'uid=1001 gid=1001 home=/home/acme-support shell=/bin/bash',
      },
      groups: { root: 'gid=0 members=', wheel: 'gid=10 members=ec2-user' },
      sudoers: {
        '/etc/sudoers': sha256('root ALL=(ALL) ALL\n'),
        '/etc/sudoers.d/90-cloud-init': sha256('ec2-user ALL=(ALL) NOPASSWD:ALL\n'),
      },
      crontabs: {
        '/etc/crontab': sha256('SHELL=/bin/bash\n'),
        '/var/spool/cron/root': sha256('0 * * * * /usr/bin/true\n'),
      },
      listeningPorts: ['tcp 0.0.0.0:22 sshd', 'udp 127.0.0.1:323 chronyd'],
      files: expect.objectContaining({
        '/etc/hosts': sha256('127.0.0.1 localhost\n'),
        '/opt/app/conf/app.yml': sha256('port: 8080\n'),
      }),
    });
    expect(run.stdout.startsWith('{"schemaVersion":1,"status":"ok"')).toBe(true);
  });

  it('never writes a password hash: /etc/shadow is checksummed with /etc, never read into the snapshot', () => {
    // Act
    const run = runScript();

    // Assess
    expect(run.stdout).not.toContain('$6$secret');
    expect(takenSnapshot(run).files['/etc/shadow']).toBe(sha256('acme-support:$6$secret:19000::::::\n'));
  });

  it('shows what changed between a start and an end snapshot: a changed file, a new package, a new sudoers file', () => {
    // Prepare
    const start = takenSnapshot(runScript());
    write('etc/hosts', '127.0.0.1 localhost\n10.0.0.9 evil\n');
    write('etc/sudoers.d/99-vendor', 'acme-support ALL=(ALL) NOPASSWD:ALL\n');
    write(
      'packages',
      '5.2.15-1.amzn2023.x86_64\tbash\n3.0.8-1.amzn2023.x86_64\topenssl\n6.1.1-1.x86_64\tkernel\n6.1.2-1.x86_64\tkernel\n7.93-1.x86_64\tnmap\n',
    );

    // Act
    const end = takenSnapshot(runScript({ ACTION: 'lock', SNAPSHOT_PHASE: 'end', SNAPSHOT_ON: 'lock' }));
    const delta = diffSnapshots(start, end);

    // Assess
    expect(end.phase).toBe('end');
    expect(delta.packages.added).toEqual([{ key: 'nmap', value: '7.93-1.x86_64' }]);
    expect(delta.sudoers.added.map((e) => e.key)).toEqual(['/etc/sudoers.d/99-vendor']);
    expect(delta.files.changed.map((c) => c.key)).toEqual(['/etc/hosts']);
  });

  it('takes a snapshot without file checksums when no directory is configured', () => {
    // Act
    const run = runScript({}, []);

    // Assess
    expect(run.status).toBe(0);
    expect(takenSnapshot(run).files).toEqual({});
  });

  it('takes nothing in the step of the other action: the unlock takes no end snapshot', () => {
    // Act
    const run = runScript({ ACTION: 'unlock', SNAPSHOT_PHASE: 'end', SNAPSHOT_ON: 'lock' });

    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
  });

  it('escapes file names in JSON: quotes, backslashes and tabs stay part of the name', () => {
    // Prepare
    write('etc/odd "name"\\with\ttab', 'x\n');

    // Act
    const snapshot = takenSnapshot(runScript());

    // Assess
    expect(snapshot.files['/etc/odd "name"\\with\ttab']).toBe(sha256('x\n'));
  });

  it('records a failed snapshot, with the reason, when the instance has neither rpm nor dpkg-query, and exits 0', () => {
    // Prepare
    rmSync(join(bin, 'rpm'));

    // Act
    const run = runScript();

    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout.startsWith('{"schemaVersion":1,"status":"failed"')).toBe(true);
    expect(parseSnapshot(run.stdout)).toMatchObject({
      kind: 'failed',
      snapshot: { phase: 'start', reason: 'packages: neither rpm nor dpkg-query is installed' },
    });
    expect(run.stderr).toContain('jit-access: snapshot failed: packages: neither rpm nor dpkg-query is installed');
  });

  it('reads packages with dpkg-query where rpm is absent', () => {
    // Prepare
    rmSync(join(bin, 'rpm'));
    stub('dpkg-query', 'printf "5.2.15-2ubuntu1\\tbash\\n"');

    // Act
    const snapshot = takenSnapshot(runScript());

    // Assess
    expect(snapshot.packages).toEqual({ bash: '5.2.15-2ubuntu1' });
  });

  it('ends a snapshot that hangs at its time limit and records it as failed, exiting 0 so the lock stands', () => {
    // Prepare
    stub('systemctl', 'while :; do :; done');

    // Act
    const run = runScript({ SNAPSHOT_TIME_LIMIT_SECONDS: '1' });

    // Assess
    expect(run.status).toBe(0);
    expect(parseSnapshot(run.stdout)).toMatchObject({ kind: 'failed', snapshot: { reason: 'timed out after 1 s' } });
  });

  test.each([['etc'], ['/etc/../root'], ['/etc/with space'], ['/']])(
    'refuses the directory %s without collecting anything',
    (directory) => {
      // Prepare
      stub('rpm', `touch "${join(dir, 'rpm-ran')}"`);

      // Act
      const run = runScript({}, [directory]);

      // Assess
      expect(run.status).toBe(0);
      expect(parseSnapshot(run.stdout)).toMatchObject({ kind: 'failed' });
      expect(existsSync(join(dir, 'rpm-ran'))).toBe(false);
    },
  );
});
