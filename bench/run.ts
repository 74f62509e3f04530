// First: the handlers run in this process, and their Powertools logs and metrics must not reach stdout (--json).
import '../scripts/local-aws/quiet-powertools';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { measureAgainstMoto } from './against-moto';
import { measureBundles } from './bundle-size';
import { measureDemo, measureSynth } from './command-times';
import type { Figures } from './figures';
import { judgeGoals } from './goals';
import { measureModuleInit } from './module-init';
import { measurePolicyQuotas } from './policy-quotas';
import { textTable, writeBenchmarksMd, type BenchReport } from './report';
import { progress, rounded } from './timing';

const HELP = `Usage: npm run bench -- [--runs N] [--json] [--write]

Measures what issue 11 asks, on this machine, and judges each figure against its goal: AWS calls of the grant and
the revoke (demo approve scenario, in-process against moto), exposure after expiry (by schedule, by sweeper), each
function's bundle size and module init, synth time, the sweeper over 100/300/1000 active grants against moto, the
demo's wall time, and the session policy and security group quotas. Progress goes to stderr. Takes about 5 minutes.

  --runs N   runs per timed figure; each figure is the median (default 3)
  --json     print one JSON object: the figures (units in the key names), "goals" ({goal, met} per goal),
             "allGoalsMet" and "context"
  --write    also rewrite the results block of BENCHMARKS.md (nothing tracked is written without it)
  -h, --help this text

Exit status: 0 every goal met, 1 a goal missed, 2 the benchmark could not run.`;

interface Options {
  readonly runs: number;
  readonly json: boolean;
  readonly write: boolean;
}

function readOptions(): Options | { readonly exit: number } {
  let values: { runs?: string; json?: boolean; write?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string', default: '3' },
        json: { type: 'boolean' },
        write: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message} (see npm run bench -- --help)\n`);
    return { exit: 2 };
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return { exit: 0 };
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs: "${values.runs}" must be a whole number of at least 1\n`);
    return { exit: 2 };
  }
  return { runs, json: values.json ?? false, write: values.write ?? false };
}

async function measure(runs: number): Promise<Figures> {
  progress('session policy and security group quotas (planner and quota check)');
  const quotas = measurePolicyQuotas();
  progress('function bundles (the builder synth uses; cached)');
  const bundles = measureBundles();
  progress(`module init: a fresh node per sample, ${7 * runs} samples per function`);
  const init = measureModuleInit(bundles.dir, Object.keys(bundles.bytes), runs);
  const synthSeconds = measureSynth(runs);
  const synthSecondsWithTemplateValidation = measureSynth(runs, true);
  const moto = await measureAgainstMoto(runs);
  const demoSeconds = measureDemo(runs);
  return {
    grantCalls: moto.grantCalls,
    revokeCalls: moto.revokeCalls,
    callsByOperation: moto.callsByOperation,
    exposureAfterExpirySecondsBySchedule: moto.exposureAfterExpirySecondsBySchedule,
    exposureAfterExpirySecondsBySweeper: moto.exposureAfterExpirySecondsBySweeper,
    bundleBytes: bundles.bytes,
    moduleInitMs: Object.fromEntries(Object.entries(init).map(([fn, ms]) => [fn, rounded(ms, 1)])),
    synthSeconds: rounded(synthSeconds, 2),
    synthSecondsWithTemplateValidation: rounded(synthSecondsWithTemplateValidation, 2),
    demoSeconds: rounded(demoSeconds, 2),
    sweeper: moto.sweeper,
    ...quotas,
  };
}

async function main(): Promise<number> {
  const options = readOptions();
  if ('exit' in options) return options.exit;
  const started = Date.now();
  const figures = await measure(options.runs);
  const goals = judgeGoals(figures);
  const report: BenchReport = {
    ...figures,
    goals,
    allGoalsMet: Object.values(goals).every((goal) => goal.met),
    context: {
      date: new Date().toISOString(),
      machine: `${process.platform}/${process.arch}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
      node: process.version,
      runs: options.runs,
      synthBundleCache: 'warm',
    },
  };
  progress(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  if (options.write) progress(`wrote ${writeBenchmarksMd(report)}`);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : textTable(report));
  return report.allGoalsMet ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
