import type { Figures } from './figures';

/** One goal of issue 11, beside the figure it judges. */
export interface GoalResult {
  readonly goal: string;
  readonly met: boolean;
}

export type GoalName =
  'grantCalls' | 'revokeCalls' | 'bundleBytes' | 'moduleInitMs' | 'synthSeconds' | 'demoSeconds' | 'sweeper';

export const MAX_CALLS = 15;
/** 150 KB, read as KiB. */
export const MAX_BUNDLE_BYTES = 150 * 1024;
export const MAX_MODULE_INIT_MS = 60;
export const MAX_SYNTH_SECONDS = 10;
export const DEMO_SECONDS_BELOW = 60;
export const SWEEPER_GRANTS = [100, 300, 1000] as const;
export const MAX_SWEEPER_SECONDS = 30;
/**
 * "Calls grow with pages, not with grants": a list page holds dozens of roles or schedules and DynamoDB's up to 1 MB
 * of records, so paging adds a few calls per hundred grants, while one call per grant would add at least one.
 */
export const MAX_SWEEPER_CALLS_PER_ADDED_GRANT = 0.1;

export const callsWithinGoal = (calls: number) => calls <= MAX_CALLS;
export const bundleWithinGoal = (bytes: number) => bytes <= MAX_BUNDLE_BYTES;
export const initWithinGoal = (ms: number) => ms <= MAX_MODULE_INIT_MS;
export const sweepWithinGoal = (seconds: number) => seconds <= MAX_SWEEPER_SECONDS;
export const sweeperGrowthWithinGoal = (callsPerGrant: number) => callsPerGrant <= MAX_SWEEPER_CALLS_PER_ADDED_GRANT;

/** Extra sweeper calls per extra grant, between the smallest and the largest grant count measured. */
export function sweeperCallsPerAddedGrant(sweeper: Figures['sweeper']): number {
  const last = sweeper.grants.length - 1;
  const addedGrants = (sweeper.grants[last] ?? 0) - (sweeper.grants[0] ?? 0);
  return addedGrants > 0 ? ((sweeper.calls[last] ?? 0) - (sweeper.calls[0] ?? 0)) / addedGrants : 0;
}

/** The sweep time at the largest grant count measured. */
export function sweeperSecondsAtLargest(sweeper: Figures['sweeper']): number {
  return sweeper.seconds[sweeper.seconds.length - 1] ?? Infinity;
}

/** The speed and size goals of issue 11, judged against the figures of this run. */
export function judgeGoals(figures: Figures): Record<GoalName, GoalResult> {
  const { sweeper } = figures;
  const largest = sweeper.grants[sweeper.grants.length - 1] ?? 0;
  return {
    grantCalls: { goal: `<= ${MAX_CALLS}`, met: callsWithinGoal(figures.grantCalls) },
    revokeCalls: { goal: `<= ${MAX_CALLS}`, met: callsWithinGoal(figures.revokeCalls) },
    bundleBytes: {
      goal: `<= ${MAX_BUNDLE_BYTES} each`,
      met: Object.values(figures.bundleBytes).every(bundleWithinGoal),
    },
    moduleInitMs: {
      goal: `<= ${MAX_MODULE_INIT_MS} each`,
      met: Object.values(figures.moduleInitMs).every(initWithinGoal),
    },
    synthSeconds: { goal: `<= ${MAX_SYNTH_SECONDS}`, met: figures.synthSeconds <= MAX_SYNTH_SECONDS },
    demoSeconds: { goal: `< ${DEMO_SECONDS_BELOW}`, met: figures.demoSeconds < DEMO_SECONDS_BELOW },
    sweeper: {
      goal: `<= ${MAX_SWEEPER_SECONDS} s at ${SWEEPER_GRANTS.at(-1)} grants, <= ${MAX_SWEEPER_CALLS_PER_ADDED_GRANT} calls per added grant`,
      met:
        largest >= (SWEEPER_GRANTS.at(-1) ?? 0) &&
        sweepWithinGoal(sweeperSecondsAtLargest(sweeper)) &&
        sweeperGrowthWithinGoal(sweeperCallsPerAddedGrant(sweeper)),
    },
  };
}
