import type { LocalJitAccess } from '../scripts/local-aws/local-jit-access';

/** One handler invocation made by the harness: which handler, for which step, and its wall time. */
export interface HandlerRun {
  readonly handler: string;
  readonly step: string;
  readonly seconds: number;
}

/**
 * Times every handler the harness invokes from now on (API functions, workflow tasks, fired schedules, sweeps) by
 * wrapping this instance's `invoke`. The harness records calls but not durations, and the scheduler's revoke is
 * invoked from inside it, so a wrapper is the one place to see where that handler starts and ends.
 */
export function timeHandlers(local: LocalJitAccess): readonly HandlerRun[] {
  const runs: HandlerRun[] = [];
  const invoke = local.invoke.bind(local);
  local.invoke = async <T>(handler: string, event: unknown, actor: string, step: string): Promise<T> => {
    const started = process.hrtime.bigint();
    try {
      return await invoke<T>(handler, event, actor, step);
    } finally {
      runs.push({ handler, step, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    }
  };
  return runs;
}
