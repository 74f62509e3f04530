import { spawn } from 'node:child_process';
import * as path from 'node:path';

const USAGE = `Usage: npm run checks

Runs the static checks of npm test side by side: tsc --noEmit, eslint . and prettier --check . (each prints its own
output once it ends, so the outputs never interleave). Exits 1 when any of them fails, naming each that failed.`;

const ROOT = path.resolve(__dirname, '..');

interface Check {
  readonly name: string;
  readonly bin: string;
  readonly args: readonly string[];
}

/**
 * ESLint's and Prettier's caches (under node_modules/.cache, beside the synthesized templates and bundled functions):
 * a file whose content, the tool's version and its config are unchanged keeps its earlier result, so a second run
 * checks only the files that changed (about 50 s of CPU down to 4 s here). Both rules and formatting are per file, so
 * no result depends on another file's content. A fresh clone has no cache and checks every file.
 */
const cached = (location: string) => [
  '--cache',
  '--cache-location',
  `node_modules/.cache/${location}`,
  '--cache-strategy',
  'content',
];

/**
 * Side by side rather than one after another, beside jest (scripts/test.ts): they fill the moments jest's workers wait.
 *
 * The type check is TypeScript 7's compiler (the `typescript-7` alias; native, a third of 5.9's CPU time on this
 * project: the aws-cdk-lib and AWS SDK declarations it loads are 1.5 million lines). The `typescript` package stays at
 * 5.9 for the tools that call its JavaScript API (typescript-eslint, editors, Stryker's checker); both read the same
 * tsconfig.json and report the same errors.
 */
const CHECKS: readonly Check[] = [
  { name: 'tsc --noEmit', bin: 'typescript-7/bin/tsc', args: ['--noEmit'] },
  { name: 'eslint .', bin: 'eslint/bin/eslint.js', args: ['.', ...cached('eslint/')] },
  { name: 'prettier --check .', bin: 'prettier/bin/prettier.cjs', args: ['--check', '.', ...cached('prettier/cache')] },
];

interface Outcome {
  readonly check: Check;
  readonly passed: boolean;
  readonly output: string;
  readonly seconds: number;
}

function run(check: Check): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', check.bin), ...check.args], {
      cwd: ROOT,
      // Output is piped, so the checks would drop their colours: keep them when this terminal shows colours.
      env: process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const end = (passed: boolean, extra = '') =>
      resolve({ check, passed, output: output + extra, seconds: (Date.now() - started) / 1000 });
    child.on('error', (error) => end(false, `${check.name} did not start: ${error.message}\n`));
    child.on('close', (code) => end(code === 0));
  });
}

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 0) {
    console.error(`unknown argument "${args[0]}": npm run checks takes no arguments (-h for help)`);
    return 2;
  }
  const outcomes = await Promise.all(CHECKS.map(run));
  for (const { check, passed, output, seconds } of outcomes) {
    process.stdout.write(`> ${check.name} (${seconds.toFixed(1)} s): ${passed ? 'passed' : 'FAILED'}\n${output}`);
  }
  const failed = outcomes.filter((outcome) => !outcome.passed).map((outcome) => outcome.check.name);
  if (failed.length > 0) console.error(`static checks failed: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
