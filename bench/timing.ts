import { spawnSync } from 'node:child_process';

/** The middle value (the upper middle for an even count): robust to one slow run on a shared machine. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Rounds for the report: figures are medians of a few runs, so more digits would only show noise. */
export function rounded(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/** Wall time of `work`, in seconds, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ readonly value: T; readonly seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export interface CommandRun {
  readonly seconds: number;
  readonly stdout: string;
}

/** Runs a command to its end and returns its wall time; a command that fails fails the benchmark with its output. */
export function timeCommand(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): CommandRun {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.error) throw new Error(`${command} ${args.join(' ')} could not start: ${run.error.message}`);
  if (run.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
  }
  return { seconds, stdout: run.stdout };
}

/** Progress for whoever watches: stderr, so that stdout stays one JSON object with --json. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}
