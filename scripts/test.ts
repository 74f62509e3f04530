import { spawn } from 'node:child_process';
import * as path from 'node:path';

const USAGE = `Usage: npm test [-- <jest arguments>]

Runs the static checks (npm run checks: tsc, ESLint, Prettier) and jest side by side. Jest's output streams as it
runs; the checks' output follows once both have ended. Exits 1 when either failed, naming what failed. Arguments go
to jest (for example a test file's path).`;

const ROOT = path.resolve(__dirname, '..');

/**
 * Side by side rather than one after the other: jest keeps the two cores busy for all but a few percent of its run
 * (its workers wait on moto and child processes in between, and one file often runs alone at the end), and the static
 * checks fill those gaps instead of taking half a minute of their own first.
 */
function run(args: readonly string[], captured: boolean): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: captured ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: captured && process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env,
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) =>
      resolve({ code: 1, output: `${output}${args.join(' ')} did not start: ${error.message}\n` }),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function main(args: readonly string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const checks = run([path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/static-checks.ts'], true);
  const jest = run([path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...args], false);
  const [checked, tested] = await Promise.all([checks, jest]);
  process.stdout.write(`\n${checked.output}`);
  const failed = [...(checked.code !== 0 ? ['static checks'] : []), ...(tested.code !== 0 ? ['jest'] : [])];
  if (failed.length > 0) console.error(`npm test failed: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
