import type { SweepReport } from '../lambdas/lifecycle/reconcile';
import type { AwsCallName } from '../scripts/local-aws/instrumented-http-handler';
import { ActiveGrantSeeder } from './active-grant-seeder';
import type { LocalAwsSession } from './local-aws-session';
import { median, progress, timed } from './timing';

export interface SweeperAtScale {
  readonly grants: readonly number[];
  /** Median wall time of one sweep, per grant count. */
  readonly seconds: readonly number[];
  /** AWS calls of one sweep, per grant count. */
  readonly calls: readonly number[];
  /** The calls of one sweep at the largest count, by operation: where the pages are. */
  readonly callsByOperationAtLargest: Readonly<Record<string, number>>;
}

/** What a sweep reports when every grant is fine: nothing found, nothing failed. */
function foundNothing(report: SweepReport): boolean {
  return Object.values(report).every((items: readonly string[]) => items.length === 0);
}

function byOperation(calls: readonly AwsCallName[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call] = (counts[call] ?? 0) + 1;
  return counts;
}

/**
 * The sweeper over `grants` ACTIVE grants that are all fine, in one world that grows from the smallest count to the
 * largest: at each count, `runs` sweeps (a sweep with nothing to do changes nothing, so each sees the same world),
 * timed from invoke to report, with the AWS calls the harness counted on the wire.
 */
export async function measureSweeperAtScale(
  session: LocalAwsSession,
  grants: readonly number[],
  runs: number,
): Promise<SweeperAtScale> {
  const local = await session.newLocal(new Date());
  const seeder = new ActiveGrantSeeder(local, session.endpoint);
  const seconds: number[] = [];
  const calls: number[] = [];
  let lastCalls: readonly AwsCallName[] = [];
  for (const count of grants) {
    progress(`sweeper: seeding ${count} active grants (not timed)`);
    const seeding = await timed(() => seeder.growTo(count));
    progress(`sweeper: seeded ${seeder.count} grants in ${seeding.seconds.toFixed(1)} s; sweeping ${runs}×`);
    const times: number[] = [];
    const counts: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const sweep = await timed(() => local.sweep() as Promise<SweepReport>);
      if (!foundNothing(sweep.value)) {
        throw new Error(`the sweep over ${count} fine grants found work: ${JSON.stringify(sweep.value)}`);
      }
      lastCalls = local.timeline.at(-1)?.awsCalls ?? [];
      times.push(sweep.seconds);
      counts.push(lastCalls.length);
    }
    seconds.push(median(times));
    calls.push(median(counts));
    progress(`sweeper: ${count} grants: ${median(times).toFixed(2)} s, ${median(counts)} calls`);
  }
  return { grants, seconds, calls, callsByOperationAtLargest: byOperation(lastCalls) };
}
