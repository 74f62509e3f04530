/**
 * `npm run mutation`: StrykerJS mutation testing over lambdas/ and lib/config/ (or the files and directories given),
 * one directory at a time. Each run is its own incremental chunk in reports/mutation/chunks/, so a run stopped halfway
 * keeps every directory it finished and a rerun tests only the mutants whose code or covering tests changed. A
 * directory is one Stryker run rather than one per file: the dry run (every related test, with coverage) then happens
 * once for the directory instead of once for each file that many tests import. Then it sums the chunks, the newest
 * one holding each file: the score, per file, and every surviving mutant. Exit 0 at or above 85 % with every file
 * measured, 1 below it (or with files not measured yet), 2 when Stryker cannot run.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loopbackEndpoint, startMoto, type MotoServer } from './local-aws/local-aws';

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_PATHS = ['lambdas', 'lib/config'];
/** Where each run's reports go; MUTATION_CHUNKS names another directory (the script's own tests use it). */
const CHUNKS = process.env.MUTATION_CHUNKS ?? path.join(ROOT, 'reports', 'mutation', 'chunks');
const BREAK_PERCENT = 85;

const HELP = `Usage: npm run mutation -- [<file or directory>...] [--together] [--summary] [--json]

  Runs StrykerJS (stryker.config.mjs) on the TypeScript files under the paths given (default: ${DEFAULT_PATHS.join(', ')}),
  one Stryker run per directory (a file given by name is a run of its own), then prints the mutation score of them all.

  --together  one Stryker run for every file given
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

/** One Stryker run: the files it mutates and the chunk its reports go to. */
interface Batch {
  readonly chunk: string;
  readonly files: readonly string[];
}

/** A file given by name is a batch of its own; a directory is one batch per directory in it that holds files. */
function batchesOf(entry: string): Batch[] {
  const files = sourceFiles(entry);
  if (!statSync(path.join(ROOT, entry)).isDirectory())
    return files.map((file) => ({ chunk: chunkOf(file), files: [file] }));
  const byDirectory = new Map<string, string[]>();
  for (const file of files) byDirectory.set(path.dirname(file), [...(byDirectory.get(path.dirname(file)) ?? []), file]);
  return [...byDirectory].map(([directory, inIt]) => ({ chunk: chunkOf(directory), files: inIt }));
}

/** Every file given, as one batch named after the set (so the same set reuses its incremental chunk). */
function together(files: readonly string[]): Batch {
  const digest = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
  return { chunk: `set-${digest}`, files };
}

/** The report of the newest chunk that measured the file, if any. */
function newestReport(file: string): string | undefined {
  if (!existsSync(CHUNKS)) return undefined;
  const holding = readdirSync(CHUNKS)
    .filter((name) => name.endsWith('.json') && !name.endsWith('.incremental.json') && !name.endsWith('.files.json'))
    .map((name) => path.join(CHUNKS, name))
    .filter((report) => file in reportFiles(report));
  return holding.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

const parsedReports = new Map<string, Record<string, { mutants: ReportMutant[] }>>();
function reportFiles(report: string): Record<string, { mutants: ReportMutant[] }> {
  let files = parsedReports.get(report);
  if (!files) {
    files = (JSON.parse(readFileSync(report, 'utf8')) as { files: Record<string, { mutants: ReportMutant[] }> }).files;
    parsedReports.set(report, files);
  }
  return files;
}

/**
 * Whether a finished run had the file to mutate (its `<chunk>.files.json`): Stryker's report leaves out a file in
 * which it found no mutant to run (only types, or only static code, which `ignoreStatic` skips).
 */
function inFinishedRun(file: string): boolean {
  if (!existsSync(CHUNKS)) return false;
  return readdirSync(CHUNKS)
    .filter((name) => name.endsWith('.files.json'))
    .some((name) => (JSON.parse(readFileSync(path.join(CHUNKS, name), 'utf8')) as string[]).includes(file));
}

function summarize(file: string): FileSummary {
  const report = newestReport(file);
  if (!report) {
    const measured = inFinishedRun(file);
    return { file, measured, killed: 0, survived: 0, noCoverage: 0, score: null, survivors: [] };
  }
  const mutants = reportFiles(report)[file]?.mutants ?? [];
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

async function main(): Promise<number> {
  let values: { summary?: boolean; json?: boolean; force?: boolean; together?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: {
        summary: { type: 'boolean' },
        json: { type: 'boolean' },
        force: { type: 'boolean' },
        together: { type: 'boolean' },
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
  let batches: Batch[];
  try {
    const entries = positionals.length > 0 ? positionals : DEFAULT_PATHS;
    batches = entries.flatMap(batchesOf);
    files = batches.flatMap((batch) => batch.files);
    if (values.together) batches = [together(files)];
  } catch (error) {
    process.stderr.write(`mutation: ${(error as Error).message}\n`);
    return 2;
  }

  if (!values.summary) {
    const status = await runBatches(batches, values.force === true);
    if (status !== 0) return status;
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

/**
 * Runs Stryker on each batch in turn. The ledger's tests on local AWS (jest.mutation.config.js) need a moto server:
 * one is started here for the whole run, unless JIT_AWS_ENDPOINT already names one, and stopped at the end.
 */
async function runBatches(batches: readonly Batch[], force: boolean): Promise<number> {
  // A named endpoint must be local AWS on loopback: the tests send it their local credentials.
  const named = process.env.JIT_AWS_ENDPOINT;
  const endpoint = named ? loopbackEndpoint(named, 'JIT_AWS_ENDPOINT') : undefined;
  let moto: MotoServer | undefined;
  if (!endpoint) {
    process.stderr.write('[mutation] starting moto on loopback for the ledger tests on local AWS\n');
    moto = await startMoto();
  }
  try {
    for (const [index, batch] of batches.entries()) {
      const what = batch.files.length === 1 ? batch.files[0] : `${batch.chunk} (${batch.files.length} files)`;
      process.stderr.write(`[mutation] ${index + 1}/${batches.length} ${what}\n`);
      const args = ['stryker', 'run', '--mutate', batch.files.join(','), ...(force ? ['--force'] : [])];
      // Stryker's own log and progress go to stderr: the summary alone is on stdout. Asynchronous, so that moto's
      // output pipes keep draining while Stryker runs.
      const child = spawn('npx', args, {
        cwd: ROOT,
        env: { ...process.env, MUTATION_CHUNK: batch.chunk, JIT_AWS_ENDPOINT: endpoint ?? moto?.endpoint },
        stdio: ['ignore', 2, 'inherit'],
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (code !== 0) {
        process.stderr.write(`mutation: Stryker failed on ${what} (exit ${code}); its chunk is not updated\n`);
        return 2;
      }
      mkdirSync(CHUNKS, { recursive: true });
      writeFileSync(path.join(CHUNKS, `${batch.chunk}.files.json`), `${JSON.stringify(batch.files)}\n`);
    }
    return 0;
  } finally {
    await moto?.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mutation: ${(error as Error).message}\n`);
    process.exitCode = 2;
  },
);
