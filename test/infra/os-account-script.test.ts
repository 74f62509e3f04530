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
import { join } from 'node:path';
import { OS_ACCOUNT_SCRIPT_PATH } from '../../lib/constructs/os-account-document';

/** Every command of the script that changes the system: each is a stub here, so the test never touches this host. */
const STUBBED = [
  'id',
  'usermod',
  'chage',
  'pkill',
  'pgrep',
  'crontab',
  'loginctl',
  'atq',
  'atrm',
  'iptables',
  'getent',
];
/** The harmless tools the script also uses, linked in from the host; nothing else is on the PATH. */
const REAL_TOOLS = ['cut', 'awk', 'xargs', 'rm', 'cat', 'sleep'];

const UIDS: Readonly<Record<string, number>> = { 'acme-support': 1001, root: 0, daemon: 2, nobody: 65534 };

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Each stubbed command run, as `<command> <arguments>`. */
  readonly calls: readonly string[];
}

let dir: string;
let home: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'os-account-'));
  home = join(dir, 'home', 'acme-support');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const log = join(dir, 'calls.log');
  const uids = Object.entries(UIDS)
    .map(([user, uid]) => `${user}) echo ${uid} ;;`)
    .join(' ');
  const behaviour: Record<string, string> = {
    // `id -u -- <user>`: the uid of a known user, else "no such user".
    id: `case "$3" in ${uids} *) exit 1 ;; esac`,
    getent: `echo "$3:x:1001:1001::${home}:/bin/bash"`,
    // No process of the user is left after the first round.
    pgrep: 'exit 1',
    pkill: 'exit 0',
    // The user's crontab is there until `-r` removes it.
    crontab:
      'if [ "$1" = -l ]; then [ -f "$STUB_DIR/has-crontab" ]; elif [ "$1" = -r ]; then rm -f "$STUB_DIR/has-crontab"; fi',
    atq: 'printf "7\\tMon Dec  1 00:00:00 2026 a acme-support\\n8\\tMon Dec  1 00:00:00 2026 a someone-else\\n"',
    // The metadata rule is there once: `-C` finds it until `-D` removes it.
    iptables:
      'if [ "$1" = -C ]; then [ -f "$STUB_DIR/imds-rule" ]; elif [ "$1" = -D ]; then rm -f "$STUB_DIR/imds-rule"; fi',
  };
  for (const command of STUBBED) {
    const file = join(bin, command);
    writeFileSync(file, `#!/bin/bash\necho "${command} $*" >> "${log}"\n${behaviour[command] ?? 'exit 0'}\n`);
    chmodSync(file, 0o755);
  }
  for (const tool of REAL_TOOLS) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runScript(env: { ACTION: string; OS_USER: string; BLOCK_IMDS?: string }): Run {
  const result = spawnSync('/bin/bash', [OS_ACCOUNT_SCRIPT_PATH], {
    encoding: 'utf8',
    env: { PATH: join(dir, 'bin'), STUB_DIR: dir, BLOCK_IMDS: 'false', ...env },
  });
  const log = join(dir, 'calls.log');
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .map((line) => line.trimEnd())
        .filter(Boolean)
    : [];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

const IMDS_RULE = 'OUTPUT -d 169.254.169.254 -m owner --uid-owner 1001 -m comment --comment jit-access -j REJECT';

describe('the OS-account script', () => {
  it('is valid bash', () => {
    // Act
    const result = spawnSync('/bin/bash', ['-n', OS_ACCOUNT_SCRIPT_PATH], { encoding: 'utf8' });

    // Assess
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('locks: account locked and expired, linger off, crontab and at jobs removed, processes killed, keys cleared', () => {
    // Prepare
    writeFileSync(join(dir, 'has-crontab'), '');
    writeFileSync(join(dir, 'imds-rule'), '');
    writeFileSync(join(home, '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAA vendor-planted\n');

    // Act
    const run = runScript({ ACTION: 'lock', OS_USER: 'acme-support' });

    // Assess
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([
      'id -u -- acme-support',
      'usermod -L -e 1 -- acme-support',
      'loginctl disable-linger -- acme-support',
      'loginctl terminate-user -- acme-support',
      'crontab -l -u acme-support',
      'crontab -r -u acme-support',
      'atq',
      'atrm 7',
      'pkill -KILL -U 1001',
      'pkill -KILL -u 1001',
      'pgrep -U 1001',
      'pgrep -u 1001',
      'getent passwd -- acme-support',
      `iptables -C ${IMDS_RULE}`,
      `iptables -D ${IMDS_RULE}`,
      `iptables -C ${IMDS_RULE}`,
    ]);
    expect(readFileSync(join(home, '.ssh', 'authorized_keys'), 'utf8')).toBe('');
    expect(run.stdout).toContain(
      'acme-support locked (processes killed, crontab removed, linger disabled, authorized_keys cleared, account locked and expired)',
    );
  });

  it('locks again without error: a second lock of a locked user succeeds and has no crontab left to remove', () => {
    // Prepare
    writeFileSync(join(dir, 'has-crontab'), '');
    const first = runScript({ ACTION: 'lock', OS_USER: 'acme-support' });

    // Act
    const second = runScript({ ACTION: 'lock', OS_USER: 'acme-support' });

    // Assess
    expect(first.status).toBe(0);
    expect(second.status).toBe(0);
    expect(second.calls.filter((c) => c.startsWith('crontab -r'))).toEqual(['crontab -r -u acme-support']);
  });

  it('removes a planted authorized_keys symlink instead of emptying the file it points to', () => {
    // Prepare
    const rootKeys = join(dir, 'root-authorized_keys');
    writeFileSync(rootKeys, 'ssh-ed25519 AAAA root\n');
    symlinkSync(rootKeys, join(home, '.ssh', 'authorized_keys'));

    // Act
    const run = runScript({ ACTION: 'lock', OS_USER: 'acme-support' });

    // Assess
    expect(run.status).toBe(0);
    expect(readFileSync(rootKeys, 'utf8')).toBe('ssh-ed25519 AAAA root\n');
    expect(() => readFileSync(join(home, '.ssh', 'authorized_keys'))).toThrow();
  });

  it('fails the lock when processes of the user survive every round of SIGKILL', () => {
    // Prepare
    writeFileSync(join(dir, 'bin', 'pgrep'), `#!/bin/bash\necho "pgrep $*" >> "${join(dir, 'calls.log')}"\nexit 0\n`);
    writeFileSync(join(dir, 'bin', 'sleep'), '#!/bin/bash\nexit 0\n');

    // Act
    const run = runScript({ ACTION: 'lock', OS_USER: 'acme-support' });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('processes of acme-support still run after 10 rounds of SIGKILL');
    expect(run.calls.filter((c) => c === 'pkill -KILL -U 1001')).toHaveLength(10);
  });

  it('unlocks by clearing the expiry only, and adds the metadata rule once when blockImds is true', () => {
    // Act
    const first = runScript({ ACTION: 'unlock', OS_USER: 'acme-support', BLOCK_IMDS: 'true' });
    writeFileSync(join(dir, 'imds-rule'), '');
    const second = runScript({ ACTION: 'unlock', OS_USER: 'acme-support', BLOCK_IMDS: 'true' });

    // Assess
    expect(first.status).toBe(0);
    expect(first.calls).toEqual([
      'id -u -- acme-support',
      'chage -E -1 -- acme-support',
      `iptables -C ${IMDS_RULE}`,
      `iptables -I ${IMDS_RULE}`,
    ]);
    expect(second.status).toBe(0);
    expect(second.calls.slice(first.calls.length).filter((c) => c.startsWith('iptables -I'))).toEqual([]);
  });

  it('unlocks without touching iptables when blockImds is false', () => {
    // Act
    const run = runScript({ ACTION: 'unlock', OS_USER: 'acme-support' });

    // Assess
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(['id -u -- acme-support', 'chage -E -1 -- acme-support']);
  });

  test.each(['root', 'daemon', 'nobody'])('refuses %s and changes nothing', (osUser) => {
    // Act
    const run = runScript({ ACTION: 'lock', OS_USER: osUser });

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('refused');
    expect(run.calls.filter((c) => !c.startsWith('id '))).toEqual([]);
  });

  test.each([
    ['a user name with shell in it', { ACTION: 'lock', OS_USER: 'x;reboot' }],
    ['an action it does not know', { ACTION: 'delete', OS_USER: 'acme-support' }],
    ['a blockImds that is not true or false', { ACTION: 'unlock', OS_USER: 'acme-support', BLOCK_IMDS: 'yes' }],
  ])('refuses %s before running anything', (_, env) => {
    // Act
    const run = runScript(env);

    // Assess
    expect(run.status).toBe(2);
    expect(run.calls).toEqual([]);
  });

  it('treats a lock of a user this instance does not have as done, and an unlock of one as a failure', () => {
    // Act
    const lock = runScript({ ACTION: 'lock', OS_USER: 'globex-ops' });
    const unlock = runScript({ ACTION: 'unlock', OS_USER: 'globex-ops' });

    // Assess
    expect(lock.status).toBe(0);
    expect(unlock.status).toBe(1);
    expect(unlock.stderr).toContain('no user globex-ops on this instance');
    expect(unlock.calls.filter((c) => !c.startsWith('id '))).toEqual([]);
  });
});
