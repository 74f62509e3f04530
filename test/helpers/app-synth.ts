import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { cachedOutdir } from './template-cache';

const ROOT = path.resolve(__dirname, '..', '..');

/** What `cdk synth` of the CDK app (bin/jit-access.ts) with the cdk.json context ended with. */
export interface AppSynth {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The cloud assembly it wrote: the template, the guardrail SCP, the OpenAPI document. Read it, never change it. */
  readonly outdir: string;
}

/**
 * Runs the CDK app as `cdk synth` does (its own process, CDK's own template validation on) with the cdk.json context.
 * The assembly of a successful run is shared on disk by every test file and worker until a source changes (see
 * template-cache.ts): the app costs tens of seconds of CPU, and several files read what it writes.
 */
export function synthesizeApp(): AppSynth {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: object };
  const { outdir, result } = cachedOutdir(
    ['cdk synth'],
    (target) => {
      const run = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/jit-access.ts'],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            CDK_OUTDIR: target,
            CDK_CONTEXT_JSON: JSON.stringify(cdkJson.context),
            JIT_VALIDATE_TEMPLATE: '1',
          },
        },
      );
      return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    },
    (run) => run.status === 0,
  );
  return { ...result, outdir };
}
