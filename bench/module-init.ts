import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { LOCAL_REGION } from '../scripts/local-aws/local-aws';
import { REPO_ROOT } from './stack-config';
import { median } from './timing';

/** Node start-up varies by a few ms from one process to the next; seven samples per run steady the median. */
const SAMPLES_PER_RUN = 7;

/**
 * A clean environment: no loader options inherited from tsx, the SDK resolvable from the repository (Lambda's runtime
 * provides it), and a region, as Lambda sets one.
 */
function childEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    AWS_REGION: LOCAL_REGION,
  };
}

function runNode(script: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-e', script], { env: childEnv(), encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node -e ${script} failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
  return ms;
}

/**
 * A cold start's module init, per function: the wall time of a fresh `node -e "require(<bundle>)"` minus that of a
 * bare `node -e 0`, each the median of 7 × `runs` samples taken in turn (so a busy moment hits both alike).
 */
export function measureModuleInit(
  bundleDir: string,
  functions: readonly string[],
  runs: number,
): Record<string, number> {
  const baseline: number[] = [];
  const samples = new Map<string, number[]>(functions.map((fn) => [fn, []]));
  for (let round = 0; round < SAMPLES_PER_RUN * runs; round += 1) {
    baseline.push(runNode('0'));
    for (const fn of functions) {
      samples.get(fn)?.push(runNode(`require(${JSON.stringify(path.join(bundleDir, fn, 'index.js'))})`));
    }
  }
  const bare = median(baseline);
  return Object.fromEntries(functions.map((fn) => [fn, Math.max(0, median(samples.get(fn) ?? []) - bare)]));
}
