import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/** Where a progress line goes; the default writes to stderr so stdout stays machine-readable (e.g. `--json`). */
export type LogLine = (line: string) => void;

export interface EnsureVenvOptions {
  /** @default writes `[local-aws] <line>` to stderr */
  readonly log?: LogLine;
}

export interface StartMotoOptions extends EnsureVenvOptions {
  /** How long moto may take to answer HTTP before start fails. @default 30000 */
  readonly readyTimeoutMs?: number;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`, usable as the `endpoint` of every AWS SDK v3 client. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server and waits until its process has exited; safe to call twice. */
  stop(): Promise<void>;
  /** Drops every resource in every moto backend, giving the next test an empty account. */
  reset(): Promise<void>;
}

const HOST = '127.0.0.1';
/**
 * The account moto plays: the account of the cdk.json example, so that the example's people (IAM users, Identity
 * Center users, pinned role sessions in 111122223333) are people of the local stack too.
 */
export const LOCAL_ACCOUNT = '111122223333';
export const LOCAL_REGION = 'eu-west-1';
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const VENV_DIR = path.join(REPO_ROOT, '.venv');
const VENV_BIN = path.join(VENV_DIR, 'bin');
// A sibling of .venv, not inside it, so a broken venv can be deleted while the lock is held.
const LOCK_DIR = path.join(REPO_ROOT, '.venv.lock');

/** One virtual environment of pinned Python tools, installed from a requirements file and its frozen constraints. */
interface ToolVenv {
  readonly dir: string;
  /** What it holds, for progress lines. */
  readonly tools: string;
  readonly requirements: string;
  readonly constraints: string;
  readonly freshInstallSeconds: number;
}

/** The pinned cfn-lint that `ensureVenv` installs. */
export const CFN_LINT = path.join(VENV_DIR, 'cfn-lint', 'bin', 'cfn-lint');
/** The pinned checkov that `ensureVenv` installs. */
export const CHECKOV = path.join(VENV_DIR, 'checkov', 'bin', 'checkov');
/** The file that pins checkov's version (`checkov==<version>`). */
export const CHECKOV_REQUIREMENTS = path.join(__dirname, 'checkov-requirements.txt');

const TOOL_VENVS: readonly ToolVenv[] = [
  {
    dir: VENV_DIR,
    tools: 'moto',
    requirements: path.join(__dirname, 'requirements.txt'),
    constraints: path.join(__dirname, 'constraints.txt'),
    freshInstallSeconds: 30,
  },
  {
    // Inside .venv like checkov's: moto 5.1.22 caps cfn-lint at 1.41 (see cfn-lint-requirements.txt).
    dir: path.join(VENV_DIR, 'cfn-lint'),
    tools: 'cfn-lint',
    requirements: path.join(__dirname, 'cfn-lint-requirements.txt'),
    constraints: path.join(__dirname, 'cfn-lint-constraints.txt'),
    freshInstallSeconds: 10,
  },
  {
    // Inside .venv, created after it (deleting .venv removes both); its own venv because checkov's boto3 and networkx
    // pins conflict with moto's (see checkov-requirements.txt).
    dir: path.join(VENV_DIR, 'checkov'),
    tools: 'checkov',
    requirements: CHECKOV_REQUIREMENTS,
    constraints: path.join(__dirname, 'checkov-constraints.txt'),
    freshInstallSeconds: 45,
  },
];
const MIN_PYTHON: readonly [number, number] = [3, 9];
const PYTHON_FIX = 'install Python 3.9+ with the venv module (Debian/Ubuntu: apt-get install python3 python3-venv)';
const LOCK_WAIT_MS = 10 * 60 * 1000;
const OUTPUT_TAIL_LINES = 40;

const defaultLog: LogLine = (line) => process.stderr.write(`[local-aws] ${line}\n`);

/**
 * Makes sure `<repo>/.venv` holds the pinned moto, `<repo>/.venv/cfn-lint` the pinned cfn-lint and
 * `<repo>/.venv/checkov` the pinned checkov, creating or updating each whose requirements or constraints changed (a
 * stamp holds their hash, so a new pin upgrades an old venv). Returns the bin directory of `.venv`.
 */
export async function ensureVenv(options: EnsureVenvOptions = {}): Promise<string> {
  const log = options.log ?? defaultLog;
  const wanted = await Promise.all(TOOL_VENVS.map(async (venv) => ({ venv, hash: await requirementsHash(venv) })));
  const allUpToDate = async () =>
    (await Promise.all(wanted.map(({ venv, hash }) => isUpToDate(venv, hash)))).every(Boolean);
  if (await allUpToDate()) return VENV_BIN;

  // Two test runs in the same tree may start together; pip installing twice into one venv corrupts it.
  const release = await acquireLock(log);
  try {
    if (await allUpToDate()) return VENV_BIN;
    await checkPython();
    // In order, each checked again: recreating .venv also removes the checkov venv inside it.
    for (const { venv, hash } of wanted) {
      if (!(await isUpToDate(venv, hash))) await install(venv, hash, log);
    }
    return VENV_BIN;
  } finally {
    await release();
  }
}

async function install(venv: ToolVenv, hash: string, log: LogLine): Promise<void> {
  const bin = path.join(venv.dir, 'bin');
  if (!existsSync(path.join(bin, 'python'))) {
    await rm(venv.dir, { recursive: true, force: true });
    log(`creating ${path.relative(process.cwd(), venv.dir) || venv.dir} with python3 -m venv`);
    await run('python3', ['-m', 'venv', venv.dir], (line) => log(`  ${line}`));
  }
  log(`installing ${venv.tools} with pip (about ${venv.freshInstallSeconds} s on a fresh clone)`);
  const started = Date.now();
  await run(
    path.join(bin, 'python'),
    ['-m', 'pip', 'install', '--progress-bar', 'off', '-r', venv.requirements, '-c', venv.constraints],
    (line) => {
      // One line per package keeps progress visible; the full output still appears in the error if pip fails.
      const step = /^(Collecting|Processing|Installing|Successfully|ERROR)\b/.test(line);
      if (step) log(`  ${line.replace(/ \(from .*\)$/, '')}`);
    },
  );
  await writeFile(stampFile(venv), `${hash}\n`);
  log(`${venv.tools} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * An endpoint named by a variable (such as JIT_AWS_ENDPOINT), if it is an http URL on loopback: local AWS only ever
 * runs there, and the local credentials must never reach another host.
 */
export function loopbackEndpoint(value: string, variable: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(
      `${variable}: "${value}" is not a local AWS endpoint: use http://127.0.0.1:<port> (npm run local-aws -- start prints one), or unset it`,
    );
  }
  return value;
}

/** Starts one moto server on a free loopback port and resolves once it answers HTTP. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const log = options.log ?? defaultLog;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const bin = await ensureVenv({ log });
  // The free port is only reserved until we close it, so another process can take it first; retry on that race.
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await launch(bin, port, readyTimeoutMs);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof PortInUseError)) throw error;
      log(`port ${port} was taken before moto bound it; retrying`);
    }
  }
}

class PortInUseError extends Error {}

async function launch(bin: string, port: number, readyTimeoutMs: number): Promise<MotoServer> {
  const endpoint = `http://${HOST}:${port}`;
  // Run moto's own entry point behind a watchdog: when this Node process dies without calling stop() (crash, SIGKILL,
  // Ctrl-C on jest), its end of stdin closes and moto exits instead of lingering on the port.
  const watchdog = [
    'import os, sys, threading',
    'threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()',
    'from moto.server import main',
    'main(sys.argv[1:])',
  ].join('\n');
  const child = spawn(path.join(bin, 'python'), ['-c', watchdog, '-H', HOST, '-p', String(port)], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    // moto itself calls HTTP subscribers (e.g. SNS); a proxy from the environment must not intercept loopback.
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      MOTO_ACCOUNT_ID: LOCAL_ACCOUNT,
      NO_PROXY: noProxy(),
      no_proxy: noProxy(),
    },
  });
  // Werkzeug logs every request; the pipes must be drained or moto blocks once the buffer fills.
  const tail = keepTail(child);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + readyTimeoutMs;
  let ready = false;
  while (!ready) {
    const outcome = await Promise.race([
      exited.then((status) => ({ kind: 'exited' as const, status })),
      spawnFailed.then((error) => ({ kind: 'failed' as const, error })),
      delay(200).then(() => ({ kind: 'poll' as const })),
    ]);
    if (outcome.kind === 'failed') throw new Error(`could not start moto (${outcome.error.message})`);
    if (outcome.kind === 'exited') {
      const output = tail();
      const message = `moto_server on ${endpoint} exited with ${outcome.status} before answering:\n${output}`;
      throw /Address already in use/i.test(output) ? new PortInUseError(message) : new Error(message);
    }
    ready = await answers(`${endpoint}/moto-api/`);
    if (!ready && Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server on ${endpoint} did not answer within ${readyTimeoutMs} ms:\n${tail()}`);
    }
  }

  return {
    endpoint,
    port,
    stop,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status} ${await response.text()}`);
    },
  };
}

function noProxy(): string {
  const existing = process.env.NO_PROXY ?? process.env.no_proxy;
  return [existing, '127.0.0.1', 'localhost'].filter(Boolean).join(',');
}

/** Binds port 0 on loopback so the OS picks a free port, then releases it for moto. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('no port assigned')) : resolve(port)));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole process group that `detached` created, in case moto ever forks helpers.
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Reads a child's stdout and stderr line by line, keeping the last lines for error messages. */
function keepTail(child: ChildProcess, onLine?: (line: string) => void): () => string {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > OUTPUT_TAIL_LINES) lines.shift();
      onLine?.(line);
    });
  }
  return () => lines.join('\n') || '(no output)';
}

function stampFile(venv: ToolVenv): string {
  return path.join(venv.dir, '.requirements.sha256');
}

async function requirementsHash(venv: ToolVenv): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [venv.requirements, venv.constraints]) hash.update(await readFile(file));
  return hash.digest('hex');
}

async function isUpToDate(venv: ToolVenv, wanted: string): Promise<boolean> {
  try {
    const stamp = (await readFile(stampFile(venv), 'utf8')).trim();
    return stamp === wanted && existsSync(path.join(venv.dir, 'bin', 'python'));
  } catch {
    return false;
  }
}

async function checkPython(): Promise<void> {
  const probe = `import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])`;
  let version: string;
  try {
    version = (await capture('python3', ['-c', probe])).trim();
  } catch (error) {
    const reason = isErrorCode(error, 'ENOENT')
      ? 'python3 was not found on PATH'
      : `python3 cannot create venvs (${errorText(error)})`;
    throw new Error(`Local AWS (moto) needs Python: ${reason}. Fix: ${PYTHON_FIX}.`, { cause: error });
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new Error(
      `Local AWS (moto) needs Python ${MIN_PYTHON.join('.')}+, found python3 ${version}. Fix: ${PYTHON_FIX}.`,
    );
  }
}

/** mkdir is atomic, so the directory doubles as a lock; a lock left by a dead process is taken over. */
async function acquireLock(log: LogLine): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      await writeFile(path.join(LOCK_DIR, 'pid'), String(process.pid));
      return () => rm(LOCK_DIR, { recursive: true, force: true });
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    }
    if (await lockIsStale()) {
      await rm(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR}; delete it if no install is running`);
    if (!announced) log('another process is installing the venv; waiting for it');
    announced = true;
    await delay(500);
  }
}

async function lockIsStale(): Promise<boolean> {
  try {
    const owner = Number(await readFile(path.join(LOCK_DIR, 'pid'), 'utf8'));
    process.kill(owner, 0);
    return false;
  } catch (error) {
    if (isErrorCode(error, 'ESRCH')) return true;
    // No pid file yet: the owner is between mkdir and writeFile unless the lock is old.
    if (isErrorCode(error, 'ENOENT')) {
      const info = await stat(LOCK_DIR).catch(() => undefined);
      return info === undefined || Date.now() - info.mtimeMs > 10_000;
    }
    return false;
  }
}

/** Runs a command, passing each output line to `onLine`; rejects with the output tail on failure. */
function run(command: string, args: readonly string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = keepTail(child, onLine);
    child.once('error', reject);
    // 'close', not 'exit': it fires after the output streams are drained, so the tail is complete.
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} failed with ${code ?? signal}:\n${tail()}`)),
    );
  });
}

function capture(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(stderr.trim() || `exit ${code}`))));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').slice(-1)[0] ?? text;
}
