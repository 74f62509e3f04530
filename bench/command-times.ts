import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './stack-config';
import { median, progress, timeCommand } from './timing';

/**
 * `npx cdk synth --quiet` as a user runs it on their machine (app, bundles, cdk-nag; CDK's own template validation
 * only with `validateTemplate`, as in CI: see lib/template-validation.ts), into a scratch directory so cdk.out is left
 * alone; median of `runs`.
 */
export function measureSynth(runs: number, validateTemplate = false): number {
  const outdir = mkdtempSync(path.join(tmpdir(), 'jit-access-bench-synth-'));
  try {
    const seconds: number[] = [];
    for (let run = 1; run <= runs; run += 1) {
      progress(`synth${validateTemplate ? ' with template validation' : ''}: run ${run}/${runs}`);
      const env = {
        ...process.env,
        CDK_DISABLE_CLI_TELEMETRY: '1',
        JIT_VALIDATE_TEMPLATE: validateTemplate ? '1' : '0',
      };
      seconds.push(
        timeCommand('npx', ['cdk', 'synth', '--quiet', '--output', outdir], { cwd: REPO_ROOT, env }).seconds,
      );
    }
    return median(seconds);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * `npm run demo`'s approve scenario end to end, as a user meets it: a fresh process that synthesizes (or reuses
 * cdk.out synthesized from the same sources, as after any earlier run), starts moto, builds a world, plays the
 * scenario and checks the residue (it exits 1 if anything is left); median of `runs`.
 */
export function measureDemo(runs: number): number {
  const seconds: number[] = [];
  for (let run = 1; run <= runs; run += 1) {
    progress(`demo: run ${run}/${runs}`);
    seconds.push(timeCommand('npx', ['tsx', 'scripts/demo.ts', '--json'], { cwd: REPO_ROOT }).seconds);
  }
  return median(seconds);
}
