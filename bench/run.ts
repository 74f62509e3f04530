import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Speed goals, measured as a user meets them: each run is a fresh `npm run demo` process (synth, moto start, world,
 * scenario, teardown), after the first install. Results go to stdout and BENCHMARKS.md; a missed goal exits 1.
 */
const GOALS = [{ name: 'demo (approve scenario), end to end', args: ['--scenario', 'approve'], goalSeconds: 60 }];
const ROOT = path.resolve(__dirname, '..');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timeDemo(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync('npx', ['tsx', 'scripts/demo.ts', '--json', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`demo ${args.join(' ')} failed (exit ${run.status}):\n${run.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function main(): number {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, json: { type: 'boolean' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: "${values.runs}" must be a whole number ≥ 1`);
  process.stderr.write('[bench] warming up (installs the local AWS .venv if missing)\n');
  timeDemo(['--scenario', 'deny']);
  const results = GOALS.map((goal) => {
    const seconds: number[] = [];
    for (let i = 1; i <= runs; i += 1) {
      process.stderr.write(`[bench] ${goal.name}: run ${i}/${runs}\n`);
      seconds.push(timeDemo(goal.args));
    }
    const med = median(seconds);
    return {
      ...goal,
      runs: seconds.map((s) => Number(s.toFixed(2))),
      medianSeconds: Number(med.toFixed(2)),
      met: med < goal.goalSeconds,
    };
  });
  const table = [
    '| benchmark | goal | median | runs (s) | met |',
    '|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | < ${r.goalSeconds} s | ${r.medianSeconds} s | ${r.runs.join(', ')} | ${r.met ? 'yes' : 'NO'} |`,
    ),
  ].join('\n');
  writeFileSync(
    path.join(ROOT, 'BENCHMARKS.md'),
    `# Benchmarks\n\nWritten by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}, ${process.platform}/${process.arch}, Node ${process.version}).\n\n${table}\n`,
  );
  process.stdout.write(values.json ? `${JSON.stringify(results, null, 2)}\n` : `${table}\n`);
  return results.every((r) => r.met) ? 0 : 1;
}

process.exit(main());
