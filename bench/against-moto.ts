import type { AwsCallName } from '../scripts/local-aws/instrumented-http-handler';
import { runApproveScenario, type ApproveScenarioRun } from './expiry-by-schedule';
import { runExpiryBySweeper } from './expiry-by-sweeper';
import type { Figures } from './figures';
import { SWEEPER_GRANTS } from './goals';
import { startLocalAwsSession } from './local-aws-session';
import { measureSweeperAtScale } from './sweeper-at-scale';
import { median, progress, rounded } from './timing';

/** EventBridge Scheduler invokes a one-time schedule within a minute of its `at()` time. */
const SCHEDULER_PRECISION_SECONDS = 60;

type MotoFigures = Pick<
  Figures,
  | 'grantCalls'
  | 'revokeCalls'
  | 'callsByOperation'
  | 'exposureAfterExpirySecondsBySchedule'
  | 'exposureAfterExpirySecondsBySweeper'
  | 'sweeper'
>;

function byOperation(calls: readonly AwsCallName[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call] = (counts[call] ?? 0) + 1;
  return counts;
}

/**
 * Everything measured with the real handlers in-process against one moto server: the approve scenario's calls and
 * revoke time, the sweeper's revoke of a grant whose schedule was deleted, and the sweeper over many fine grants.
 */
export async function measureAgainstMoto(runs: number): Promise<MotoFigures> {
  const session = await startLocalAwsSession();
  try {
    const approveRuns: ApproveScenarioRun[] = [];
    const sweepSeconds: number[] = [];
    for (let run = 1; run <= runs; run += 1) {
      progress(`approve scenario against moto: run ${run}/${runs}`);
      approveRuns.push(await runApproveScenario(session));
      progress(`expiry by the sweeper, schedule deleted by hand: run ${run}/${runs}`);
      sweepSeconds.push(await runExpiryBySweeper(session));
    }
    const sweeper = await measureSweeperAtScale(session, SWEEPER_GRANTS, runs);

    const grantCalls = median(approveRuns.map((r) => r.grantCalls.length));
    const revokeCalls = median(approveRuns.map((r) => r.revokeCalls.length));
    // The calls are the same every run; the breakdown shown is that of a run with the median counts.
    const typical =
      approveRuns.find((r) => r.grantCalls.length === grantCalls) ?? (approveRuns[0] as ApproveScenarioRun);
    const typicalRevoke =
      approveRuns.find((r) => r.revokeCalls.length === revokeCalls) ?? (approveRuns[0] as ApproveScenarioRun);
    const sweeperIntervalSeconds = session.stack.config.sweeperRateMinutes * 60;
    return {
      grantCalls,
      revokeCalls,
      callsByOperation: { grant: byOperation(typical.grantCalls), revoke: byOperation(typicalRevoke.revokeCalls) },
      exposureAfterExpirySecondsBySchedule: rounded(
        SCHEDULER_PRECISION_SECONDS + median(approveRuns.map((r) => r.revokeSeconds)),
        2,
      ),
      exposureAfterExpirySecondsBySweeper: rounded(sweeperIntervalSeconds + median(sweepSeconds), 2),
      sweeper: { ...sweeper, seconds: sweeper.seconds.map((s) => rounded(s, 2)) },
    };
  } finally {
    await session.stop();
  }
}
