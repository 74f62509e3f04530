import type { Figures } from '../../bench/figures';
import { judgeGoals, sweeperCallsPerAddedGrant } from '../../bench/goals';
import { textTable, type BenchReport } from '../../bench/report';

/** Figures that meet every goal of issue 11, each just inside its limit. */
function figures(overrides: Partial<Figures> = {}): Figures {
  return {
    grantCalls: 15,
    revokeCalls: 15,
    callsByOperation: { grant: { 'iam:CreateRole': 1 }, revoke: { 'iam:DeleteRole': 1 } },
    exposureAfterExpirySecondsBySchedule: 61,
    exposureAfterExpirySecondsBySweeper: 305,
    bundleBytes: { grant: 150 * 1024, revoke: 90_000 },
    moduleInitMs: { grant: 60, revoke: 12 },
    synthSeconds: 10,
    synthSecondsWithTemplateValidation: 25,
    demoSeconds: 59.9,
    sweeper: { grants: [100, 300, 1000], seconds: [3, 8, 30], calls: [12, 20, 47], callsByOperationAtLargest: {} },
    inlinePolicyChars: { instances1: 2307, instances10: 2946, instances100: 9336, tagGroup: 2355 },
    largestInstanceListThatFits: 112,
    sgRuleHeadroomPerGroup: 58,
    ...overrides,
  };
}

function report(measured: Figures): BenchReport {
  const goals = judgeGoals(measured);
  return {
    ...measured,
    goals,
    allGoalsMet: Object.values(goals).every((g) => g.met),
    context: { date: '2026-11-30T00:00:00.000Z', machine: 'test', node: 'v20', runs: 1, synthBundleCache: 'warm' },
  };
}

const unmet = (measured: Figures) =>
  Object.entries(judgeGoals(measured))
    .filter(([, goal]) => !goal.met)
    .map(([name]) => name);

describe('the benchmark goals', () => {
  it('are all met by figures at their limits', () => {
    expect(unmet(figures())).toEqual([]);
  });

  it.each<[string, Partial<Figures>, string]>([
    ['a 16-call grant', { grantCalls: 16 }, 'grantCalls'],
    ['a 16-call revoke', { revokeCalls: 16 }, 'revokeCalls'],
    ['one bundle a byte over 150 KiB', { bundleBytes: { grant: 150 * 1024 + 1, revoke: 1 } }, 'bundleBytes'],
    ['one function initialising in 60.1 ms', { moduleInitMs: { grant: 1, revoke: 60.1 } }, 'moduleInitMs'],
    ['a 10.1 s synth', { synthSeconds: 10.1 }, 'synthSeconds'],
    ['a 60 s demo', { demoSeconds: 60 }, 'demoSeconds'],
  ])('are missed by %s', (_name, overrides, goal) => {
    expect(unmet(figures(overrides))).toEqual([goal]);
  });

  it('miss the sweeper goal when 1,000 grants take over 30 s', () => {
    const sweeper = { ...figures().sweeper, seconds: [3, 8, 30.8] };
    expect(unmet(figures({ sweeper }))).toEqual(['sweeper']);
  });

  it('miss the sweeper goal when its calls grow by one per added grant', () => {
    const sweeper = { ...figures().sweeper, calls: [112, 320, 1047] };
    expect(sweeperCallsPerAddedGrant(sweeper)).toBeCloseTo(1.039, 3);
    expect(unmet(figures({ sweeper }))).toEqual(['sweeper']);
  });

  it('miss the sweeper goal when the largest count measured is under 1,000 grants', () => {
    const sweeper = { ...figures().sweeper, grants: [100, 300], seconds: [1, 2], calls: [12, 13] };
    expect(unmet(figures({ sweeper }))).toEqual(['sweeper']);
  });

  it('are judged in the table row by row, with the verdict at the end', () => {
    const table = textTable(report(figures({ revokeCalls: 28 })));
    expect(table).toMatch(/^revokeCalls\s+28\s+<= 15\s+NO$/m);
    expect(table).toMatch(/^grantCalls\s+15\s+<= 15\s+yes$/m);
    expect(table).toMatch(/GOALS MISSED \(1 runs, test\)\n$/);
  });
});
