import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'jit-access-templates');

/**
 * Everything a synthesized template is made of: the stack and function code, the cdk.json config and feature flags,
 * the locked dependencies (aws-cdk-lib, esbuild) and the helpers that call the synth.
 */
const INPUTS = [
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

/** Where the template of `variant` is kept: a digest of the sources and of the variant (e.g. the config). */
export function templateCachePath(variant: unknown): string {
  const key = createHash('sha256').update(digestOfSources()).update(JSON.stringify(variant)).digest('hex');
  return path.join(CACHE_DIR, `${key.slice(0, 32)}.json`);
}

/**
 * A synthesized CloudFormation template, shared on disk by every jest worker and test file: `synthesize` runs only
 * when no template of the same sources and `variant` was kept yet (a synth with bundling costs seconds of CPU per
 * file). The template is written under a temporary name and renamed, so a concurrent reader never sees half of it.
 */
export function cachedTemplate(variant: unknown, synthesize: () => object): Record<string, unknown> {
  const file = templateCachePath(variant);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const template = synthesize();
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, JSON.stringify(template));
  renameSync(partial, file);
  return template as Record<string, unknown>;
}
