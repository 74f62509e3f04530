/**
 * `npm run mutation`: StrykerJS mutation testing over lambdas/ and lib/config/ (or the files and directories given),
 * one source file at a time. Each file is its own incremental chunk in reports/mutation/chunks/, so a run stopped
 * halfway keeps every file it finished and a rerun tests only the mutants whose code or covering tests changed. Then
 * it sums the chunks: the score, per file, and every surviving mutant. Exit 0 at or above 85 % with every file
 * measured, 1 below it (or with files not measured yet), 2 when Stryker cannot run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_PATHS = ['lambdas', 'lib/config'];
const CHUNKS = path.join(ROOT, 'reports', 'mutation', 'chunks');
const BREAK_PERCENT = 85;

const HELP = `Usage: npm run mutation -- [<file or directory>...] [--summary] [--json]

  Runs StrykerJS (stryker.config.mjs) on each TypeScript file under the paths given (default: ${DEFAULT_PATHS.join(', ')}),
  one file at a time, then prints the mutation score of them all.

  --summary   only sum what earlier runs measured (reports/mutation/chunks/); run nothing
  --force     test every mutant again, not only those whose code or covering tests changed
  --json      print the summary as one JSON object
  -h, --help  this text
`;

/** A mutant's status as Stryker's JSON report writes it. */
type MutantStatus = 'Killed' | 'Timeout' | 'Survived' | 'NoCoverage' | 'CompileError' | 'RuntimeError' | 'Ignored';

interface ReportMutant {
  readonly status: MutantStatus;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}

interface FileSummary {
  readonly file: string;
  readonly measured: boolean;
  readonly killed: number;
  readonly survived: number;
  readonly noCoverage: number;
  /** Killed and timed out over every mutant that ran or had no test; compile and runtime errors do not count. */
  readonly score: number | null;
  readonly survivors: readonly string[];
}

function sourceFiles(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!existsSync(full)) throw new Error(`${entry}: no such file or directory`);
  if (!statSync(full).isDirectory()) return entry.endsWith('.ts') ? [entry] : [];
  return readdirSync(full)
    .sort()
    .flatMap((name) => sourceFiles(path.join(entry, name)));
}

const chunkOf = (file: string) => file.replace(/[/\\.]/g, '_');

function summarize(file: string): FileSummary {
  const report = path.join(CHUNKS, `${chunkOf(file)}.json`);
  if (!existsSync(report)) {
    return { file, measured: false, killed: 0, survived: 0, noCoverage: 0, score: null, survivors: [] };
  }
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    files: Record<string, { mutants: ReportMutant[] }>;
  };
  const mutants = Object.values(json.files).flatMap((f) => f.mutants);
  const count = (...statuses: MutantStatus[]) => mutants.filter((m) => statuses.includes(m.status)).length;
  const killed = count('Killed', 'Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + survived + noCoverage;
  return {
    file,
    measured: true,
    killed,
    survived,
    noCoverage,
    score: valid === 0 ? null : (100 * killed) / valid,
    survivors: mutants
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .map(
        (m) =>
          `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no test covers it)' : ''}${m.replacement ? ` → ${m.replacement.replace(/\s+/g, ' ').slice(0, 80)}` : ''}`,
      ),
  };
}

function main(): number {
  let values: { summary?: boolean; json?: boolean; force?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: {
        summary: { type: 'boolean' },
        json: { type: 'boolean' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    }));
  } catch (error) {
    process.stderr.write(`mutation: ${(error as Error).message}; see npm run mutation -- --help\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let files: string[];
  try {
    files = (positionals.length > 0 ? positionals : DEFAULT_PATHS).flatMap(sourceFiles);
  } catch (error) {
    process.stderr.write(`mutation: ${(error as Error).message}\n`);
    return 2;
  }

  if (!values.summary) {
    for (const [index, file] of files.entries()) {
      process.stderr.write(`[mutation] ${index + 1}/${files.length} ${file}\n`);
      const run = spawnSync('npx', ['stryker', 'run', '--mutate', file, ...(values.force ? ['--force'] : [])], {
        cwd: ROOT,
        env: { ...process.env, MUTATION_CHUNK: chunkOf(file) },
        // Stryker's own log and progress go to stderr: the summary alone is on stdout.
        stdio: ['ignore', 2, 'inherit'],
      });
      if (run.status !== 0) {
        process.stderr.write(`mutation: Stryker failed on ${file} (exit ${run.status}); its chunk is not updated\n`);
        return 2;
      }
    }
  }

  const summaries = files.map(summarize);
  const measured = summaries.filter((s) => s.measured);
  const killed = measured.reduce((n, s) => n + s.killed, 0);
  const valid = measured.reduce((n, s) => n + s.killed + s.survived + s.noCoverage, 0);
  const score = valid === 0 ? null : (100 * killed) / valid;
  const notMeasured = summaries.filter((s) => !s.measured).map((s) => s.file);
  const passed = score !== null && score >= BREAK_PERCENT && notMeasured.length === 0;
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ score, breakAt: BREAK_PERCENT, passed, notMeasured, files: summaries })}\n`,
    );
  } else {
    const pct = (value: number | null) => (value === null ? '-' : `${value.toFixed(1)} %`);
    process.stdout.write('| file | killed | survived | no coverage | score |\n| --- | --- | --- | --- | --- |\n');
    for (const s of measured) {
      process.stdout.write(`| ${s.file} | ${s.killed} | ${s.survived} | ${s.noCoverage} | ${pct(s.score)} |\n`);
    }
    process.stdout.write(
      `\nscore: ${pct(score)} of ${valid} mutants over ${measured.length} files (break at ${BREAK_PERCENT} %)\n`,
    );
    if (notMeasured.length > 0) process.stdout.write(`not measured yet: ${notMeasured.join(', ')}\n`);
    const survivors = measured.flatMap((s) => s.survivors);
    if (survivors.length > 0) process.stdout.write(`\nsurviving mutants:\n${survivors.join('\n')}\n`);
  }
  return passed ? 0 : 1;
}

process.exitCode = main();
