import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'jit-access-templates');

/**
 * Everything a synthesized template is made of: the CDK app, the stack and function code, the cdk.json config and
 * feature flags, the locked dependencies (aws-cdk-lib, esbuild) and the helpers that call the synth.
 */
const INPUTS = [
  'bin',
  'lib',
  'lambdas',
  'cdk.json',
  'package-lock.json',
  'scripts/local-aws/synthesized-stack.ts',
  'test/helpers/synth-stack.ts',
];

function filesUnder(entry: string): string[] {
  if (!existsSync(entry)) return [];
  if (!statSync(entry).isDirectory()) return [entry];
  return readdirSync(entry)
    .sort()
    .flatMap((name) => filesUnder(path.join(entry, name)));
}

let sourcesDigest: string | undefined;

/** One digest of every input file, read once per test file. */
function digestOfSources(): string {
  if (!sourcesDigest) {
    const hash = createHash('sha256');
    for (const file of INPUTS.flatMap((input) => filesUnder(path.join(ROOT, input)))) {
      hash.update(path.relative(ROOT, file));
      hash.update(readFileSync(file));
    }
    sourcesDigest = hash.digest('hex');
  }
  return sourcesDigest;
}

/** A digest of the sources and of the variant (e.g. the config): a synth's output is a function of both. */
function cacheKey(variant: unknown): string {
  return createHash('sha256').update(digestOfSources()).update(JSON.stringify(variant)).digest('hex').slice(0, 32);
}

/** Where the template of `variant` is kept. */
export function templateCachePath(variant: unknown): string {
  return path.join(CACHE_DIR, `${cacheKey(variant)}.json`);
}

/** How long a worker waits for another one's synth of the same variant before synthesizing it itself. */
const LOCK_WAIT_MS = 5 * 60 * 1000;
/** A lock older than this was left by a process that died: it is taken over. */
const STALE_LOCK_MS = 10 * 60 * 1000;

/**
 * One synth per variant, not one per jest worker: the first worker to miss the cache takes `<entry>.lock` (mkdir is
 * atomic) and synthesizes; the others wait until `done()` says its result is there. Returns the lock's release, or
 * undefined when the result appeared meanwhile. A holder that failed releases the lock without a result, and the
 * next waiter synthesizes (and fails the same way, with its own output).
 */
function claimOrAwait(entry: string, done: () => boolean): (() => void) | undefined {
  const lock = `${entry}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (done()) return undefined;
    try {
      mkdirSync(lock);
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = Date.now() - (existsSync(lock) ? statSync(lock).mtimeMs : Date.now());
    if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) return () => undefined;
    else Atomics.wait(pause, 0, 0, 200);
  }
}

/**
 * A synthesized CloudFormation template, shared on disk by every jest worker and test file: `synthesize` runs only
 * when no template of the same sources and `variant` was kept yet (a synth with bundling costs seconds of CPU per
 * file). The template is written under a temporary name and renamed, so a concurrent reader never sees half of it.
 */
export function cachedTemplate(variant: unknown, synthesize: () => object): Record<string, unknown> {
  const file = templateCachePath(variant);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  mkdirSync(CACHE_DIR, { recursive: true });
  const release = claimOrAwait(file, () => existsSync(file));
  if (!release) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  try {
    const template = synthesize();
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, JSON.stringify(template));
    renameSync(partial, file);
    return template as Record<string, unknown>;
  } finally {
    release();
  }
}

/** A cloud assembly directory with what wrote it. */
export interface CachedOutdir<T> {
  readonly outdir: string;
  readonly result: T;
}

/**
 * A cloud assembly (cdk.out) shared on disk like `cachedTemplate`: `synthesize` writes into the empty directory it is
 * given and returns what to keep beside it (e.g. the exit status and output of `cdk synth`). Only a synth that
 * `succeeded` is kept, so a failing one fails every run. One worker synthesizes while the others wait for it (see
 * claimOrAwait); a writer that waited past the limit synthesizes into its own directory and the first rename wins.
 */
export function cachedOutdir<T>(
  variant: unknown,
  synthesize: (outdir: string) => T,
  succeeded: (result: T) => boolean,
): CachedOutdir<T> {
  const dir = path.join(CACHE_DIR, cacheKey(variant));
  const resultFile = path.join(dir, 'result.json');
  const outdir = path.join(dir, 'cdk.out');
  const cached = (): CachedOutdir<T> => ({ outdir, result: JSON.parse(readFileSync(resultFile, 'utf8')) as T });
  if (existsSync(resultFile)) return cached();
  mkdirSync(CACHE_DIR, { recursive: true });
  const release = claimOrAwait(dir, () => existsSync(resultFile));
  if (!release) return cached();
  try {
    const partial = mkdtempSync(`${dir}.partial-`);
    mkdirSync(path.join(partial, 'cdk.out'));
    const result = synthesize(path.join(partial, 'cdk.out'));
    if (!succeeded(result)) return { outdir: path.join(partial, 'cdk.out'), result };
    writeFileSync(path.join(partial, 'result.json'), JSON.stringify(result));
    try {
      renameSync(partial, dir);
    } catch (error) {
      if (!existsSync(resultFile)) throw error;
      rmSync(partial, { recursive: true, force: true });
    }
    return { outdir, result };
  } finally {
    release();
  }
}
