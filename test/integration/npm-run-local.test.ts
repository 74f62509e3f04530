import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const STARTUP_MS = 90_000;

/** What `npm run local -- --json` prints once everything runs. */
interface LocalEnvironment {
  readonly apiUrl: string;
  readonly awsEndpoint: string;
  readonly env: Record<string, string>;
  readonly profiles: Record<string, { readonly profile: string; readonly arn: string }>;
}

/** A user's shell: no AWS credentials or endpoints of this test run, only what they export themselves. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'JIT_AWS_ENDPOINT']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function firstLineOf(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('npm run local printed nothing in time')), STARTUP_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run local exited ${code} before printing its environment`));
    });
  });
}

function exitOf(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Runs `jit-access <args>` (package.json "bin") in its own process, as a user would. */
async function jitAccess(args: readonly string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'jit-access.cjs'), ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await exitOf(child as ChildProcessWithoutNullStreams);
  return { code, stdout, stderr };
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

describe('npm run local', () => {
  let local: ChildProcessWithoutNullStreams | undefined;

  afterAll(() => {
    // Only if the test failed before its own SIGINT: never leave moto running.
    if (local && local.exitCode === null) local.kill('SIGINT');
  });

  it('--json prints the environment, the CLI works against it as local-dana, and Ctrl-C stops it and its moto', async () => {
    // Prepare
    local = spawn(process.execPath, [TSX, 'scripts/local.ts', '--json'], { cwd: ROOT, env: userEnv() });
    let progress = '';
    local.stderr.on('data', (chunk: Buffer) => (progress += chunk.toString('utf8')));
    const environment = JSON.parse(await firstLineOf(local)) as LocalEnvironment;

    // Act
    const whoami = await jitAccess(['--profile', 'local-dana', '--json', 'whoami'], userEnv(environment.env));
    local.kill('SIGINT');
    const exitCode = await exitOf(local);

    // Assess
    expect(environment).toMatchObject({
      apiUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1\/$/),
      awsEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      env: {
        JIT_ACCESS_API_URL: environment.apiUrl,
        AWS_REGION: 'eu-west-1',
        AWS_SHARED_CREDENTIALS_FILE: expect.any(String),
        AWS_CONFIG_FILE: expect.any(String),
      },
      profiles: { dana: { profile: 'local-dana' } },
    });
    expect(whoami).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(whoami.stdout)).toMatchObject({
      person: 'dana',
      arn: environment.profiles.dana?.arn,
      sponsorOf: ['acme', 'globex'],
    });
    expect(exitCode).toBe(0);
    expect(progress).toContain('[local] stopping');
    expect(await answers(environment.awsEndpoint)).toBe(false);
    expect(await answers(environment.apiUrl)).toBe(false);
  }, 120_000);
});
