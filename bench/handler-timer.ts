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
 * invoked from inside it, so a wrapper is the one place to see where that handler starts and ends. A handler's time
 * is its own: what the harness invokes after it within the same call (SSM's result events of the commands it sent,
 * which EventBridge delivers once it has returned) is timed apart.
 */
export function timeHandlers(local: LocalJitAccess): readonly HandlerRun[] {
  const runs: HandlerRun[] = [];
  const invoke = local.invoke.bind(local);
  let nestedNanos = 0n;
  local.invoke = async <T>(handler: string, event: unknown, actor: string, step: string): Promise<T> => {
    const started = process.hrtime.bigint();
    const outerNested = nestedNanos;
    nestedNanos = 0n;
    try {
      return await invoke<T>(handler, event, actor, step);
    } finally {
      const elapsed = process.hrtime.bigint() - started;
      runs.push({ handler, step, seconds: Number(elapsed - nestedNanos) / 1e9 });
      nestedNanos = outerNested + elapsed;
    }
  };
  return runs;
}
