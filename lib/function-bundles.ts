import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync, version as esbuildVersion } from 'esbuild';
import type { IConstruct } from 'constructs';
import type { JitAccessConfig } from './config/schema';

const PROJECT_ROOT = path.join(__dirname, '..');
/** What a function's bundle is built from: its code, the config code it imports, and the locked dependencies. */
const SOURCE_DIRS = ['lambdas', 'lib/config'];
const CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'jit-access-bundles');
const COMPLETE = '.complete';
/** The Lambda runtime provides the AWS SDK v3 (and the Smithy packages under it): never bundled. */
const EXTERNALS = ['@aws-sdk/*', '@smithy/*'];

export interface FunctionBundleOptions {
  /** `lambdas/handlers/<name>.ts` for each name. */
  readonly handlerNames: readonly string[];
  /** The validated stack config, inlined into every bundle as `process.env.JIT_CONFIG`. */
  readonly config: JitAccessConfig;
  /** Ship source maps (bigger bundles; stack traces in TypeScript terms). */
  readonly sourceMaps: boolean;
}

export interface FunctionBundleSet {
  /** `<dir>/<handler name>/index.js` (and `index.js.map` with source maps). */
  readonly dir: string;
  /** Bytes of each function's `index.js`. */
  readonly bytes: Readonly<Record<string, number>>;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** A digest of everything a bundle is made of: the sources, the lock file, the config and the build options. */
function inputHash(options: FunctionBundleOptions): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([esbuildVersion, options.handlerNames, options.sourceMaps, options.config]));
  const files = SOURCE_DIRS.flatMap((dir) => filesUnder(path.join(PROJECT_ROOT, dir))).sort();
  for (const file of [...files, path.join(PROJECT_ROOT, 'package-lock.json')]) {
    hash.update(path.relative(PROJECT_ROOT, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

function sizes(dir: string, handlerNames: readonly string[]): Record<string, number> {
  return Object.fromEntries(handlerNames.map((name) => [name, statSync(path.join(dir, name, 'index.js')).size]));
}

/**
 * Every function's bundle from one in-process esbuild pass (not a bundling process per function), kept in
 * `node_modules/.cache` by a digest of its inputs, so a synth whose inputs did not change builds nothing.
 */
export function buildFunctionBundles(options: FunctionBundleOptions): FunctionBundleSet {
  const dir = path.join(CACHE_DIR, inputHash(options));
  if (existsSync(path.join(dir, COMPLETE))) return { dir, bytes: sizes(dir, options.handlerNames) };

  // Built beside the cache entry and renamed into place: concurrent synths (test workers) never see half a build.
  const building = `${dir}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(building, { recursive: true });
  buildSync({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: Object.fromEntries(
      options.handlerNames.map((name) => [`${name}/index`, path.join('lambdas', 'handlers', `${name}.ts`)]),
    ),
    outdir: building,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    sourcemap: options.sourceMaps,
    legalComments: 'none',
    external: EXTERNALS,
    define: { 'process.env.JIT_CONFIG': JSON.stringify(JSON.stringify(options.config)) },
    logLevel: 'silent',
  });
  writeFileSync(path.join(building, COMPLETE), '');
  try {
    renameSync(building, dir);
  } catch (error) {
    // Another synth finished the same build first: its copy is identical.
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(path.join(dir, COMPLETE))) throw error;
  }
  return { dir, bytes: sizes(dir, options.handlerNames) };
}

const perStack = new WeakMap<Stack, { readonly options: FunctionBundleOptions; readonly set: FunctionBundleSet }>();

/** The stack's bundles, built on first use; every function of the stack takes its code from them. */
export function functionCode(scope: IConstruct, handlerName: string, options: FunctionBundleOptions): lambda.Code {
  const stack = Stack.of(scope);
  let built = perStack.get(stack);
  if (!built) {
    built = { options, set: buildFunctionBundles(options) };
    perStack.set(stack, built);
  }
  if (!built.options.handlerNames.includes(handlerName)) {
    throw new Error(`${scope.node.path}: no bundle for handler "${handlerName}"`);
  }
  return lambda.Code.fromAsset(path.join(built.set.dir, handlerName));
}
