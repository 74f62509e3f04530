import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { scratchDir } from '../helpers/scratch-dir';

const ROOT = path.resolve(__dirname, '..', '..');
const MEASURED = 'lambdas/lifecycle/check-request.ts';
const NO_MUTANTS = 'lambdas/lifecycle/teardown-adapters.ts';

/** `npm run mutation -- <args>` with its chunks in `chunks` and `env` added to the environment. */
function mutation(chunks: string, args: readonly string[], env: Record<string, string> = {}) {
  return spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/mutation.ts', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, MUTATION_CHUNKS: chunks, ...env },
      encoding: 'utf8',
    },
  );
}

/** `npm run mutation -- --summary --json <files>` over the chunks in `chunks`. */
function summary(chunks: string, files: readonly string[]): { status: number | null; json: unknown } {
  const run = mutation(chunks, ['--summary', '--json', ...files]);
  return { status: run.status, json: JSON.parse(run.stdout) };
}

/** A Stryker JSON report holding one file with one killed and one surviving mutant. */
function writeReport(chunks: string, chunk: string): void {
  const at = (line: number) => ({ start: { line, column: 3 }, end: { line, column: 9 } });
  const report = {
    files: {
      [MEASURED]: {
        mutants: [
          { status: 'Killed', mutatorName: 'ConditionalExpression', replacement: 'true', location: at(10) },
          { status: 'Survived', mutatorName: 'StringLiteral', replacement: '""', location: at(12) },
        ],
      },
    },
  };
  writeFileSync(path.join(chunks, `${chunk}.json`), JSON.stringify(report));
}

describe('the mutation summary (scripts/mutation.ts --summary)', () => {
  it('counts a file of a finished run that Stryker found no mutant in as measured, with no score', () => {
    // Prepare
    const chunks = scratchDir('jit-mutation-chunks-');
    writeReport(chunks, 'set-1');
    writeFileSync(path.join(chunks, 'set-1.files.json'), JSON.stringify([MEASURED, NO_MUTANTS]));

    // Act
    const result = summary(chunks, [MEASURED, NO_MUTANTS]);

    // Assess
    expect(result).toEqual({
      status: 1,
      json: {
        score: 50,
        breakAt: 85,
        passed: false,
        notMeasured: [],
        files: [
          {
            file: MEASURED,
            measured: true,
            killed: 1,
            survived: 1,
            noCoverage: 0,
            score: 50,
            survivors: [`${MEASURED}:12:3 StringLiteral → ""`],
          },
          { file: NO_MUTANTS, measured: true, killed: 0, survived: 0, noCoverage: 0, score: null, survivors: [] },
        ],
      },
    });
  });

  it('counts a file that no finished run had as not measured, so the run cannot pass', () => {
    // Prepare
    const chunks = scratchDir('jit-mutation-chunks-');
    writeReport(chunks, 'set-2');

    // Act
    const result = summary(chunks, [NO_MUTANTS]);

    // Assess
    expect(result).toEqual({
      status: 1,
      json: {
        score: null,
        breakAt: 85,
        passed: false,
        notMeasured: [NO_MUTANTS],
        files: [
          { file: NO_MUTANTS, measured: false, killed: 0, survived: 0, noCoverage: 0, score: null, survivors: [] },
        ],
      },
    });
  });
});

describe('npm run mutation with JIT_AWS_ENDPOINT set', () => {
  it('refuses an endpoint that is not local AWS on loopback, naming the variable, and runs nothing', () => {
    // Prepare
    const chunks = scratchDir('jit-mutation-chunks-');

    // Act
    const run = mutation(chunks, [MEASURED], { JIT_AWS_ENDPOINT: 'https://dynamodb.eu-west-1.amazonaws.com' });

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      'mutation: JIT_AWS_ENDPOINT: "https://dynamodb.eu-west-1.amazonaws.com" is not a local AWS endpoint: use ' +
        'http://127.0.0.1:<port> (npm run local-aws -- start prints one), or unset it\n',
    );
    expect(readdirSync(chunks)).toEqual([]);
  });
});
