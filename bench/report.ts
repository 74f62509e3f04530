import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Figures } from './figures';
import {
  bundleWithinGoal,
  callsWithinGoal,
  DEMO_SECONDS_BELOW,
  initWithinGoal,
  MAX_BUNDLE_BYTES,
  MAX_CALLS,
  MAX_MODULE_INIT_MS,
  MAX_SWEEPER_CALLS_PER_ADDED_GRANT,
  MAX_SWEEPER_SECONDS,
  MAX_SYNTH_SECONDS,
  sweeperCallsPerAddedGrant,
  sweeperGrowthWithinGoal,
  sweepWithinGoal,
  type GoalName,
  type GoalResult,
} from './goals';
import { REPO_ROOT } from './stack-config';

/** Where and how the figures were measured. */
export interface RunContext {
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  readonly runs: number;
  /** Whether the function bundles were already in the cache when synth was timed (the bundle step builds them). */
  readonly synthBundleCache: 'warm';
}

/** The one JSON object `--json` prints: the figures, then each goal with whether it was met. */
export interface BenchReport extends Figures {
  readonly goals: Readonly<Record<GoalName, GoalResult>>;
  readonly allGoalsMet: boolean;
  readonly context: RunContext;
}

interface Row {
  readonly figure: string;
  readonly value: string;
  readonly goal: string;
  readonly met: string;
}

const number = (value: number) => value.toLocaleString('en-US');

function row(figure: string, value: string | number, goal = '', met?: boolean): Row {
  return { figure, value: String(value), goal, met: met === undefined ? '' : met ? 'yes' : 'NO' };
}

/** One row per value; a goal over several values (per function, per grant count) is judged on each row. */
function rows(report: BenchReport): Row[] {
  const { sweeper } = report;
  const largest = sweeper.grants.length - 1;
  const growth = sweeperCallsPerAddedGrant(sweeper);
  return [
    row('grantCalls', report.grantCalls, `<= ${MAX_CALLS}`, callsWithinGoal(report.grantCalls)),
    row('revokeCalls', report.revokeCalls, `<= ${MAX_CALLS}`, callsWithinGoal(report.revokeCalls)),
    row('exposureAfterExpirySecondsBySchedule', report.exposureAfterExpirySecondsBySchedule, 'no goal set'),
    row('exposureAfterExpirySecondsBySweeper', report.exposureAfterExpirySecondsBySweeper, 'no goal set'),
    ...Object.entries(report.bundleBytes).map(([fn, bytes]) =>
      row(`bundleBytes.${fn}`, number(bytes), `<= ${number(MAX_BUNDLE_BYTES)}`, bundleWithinGoal(bytes)),
    ),
    ...Object.entries(report.moduleInitMs).map(([fn, ms]) =>
      row(`moduleInitMs.${fn}`, ms, `<= ${MAX_MODULE_INIT_MS}`, initWithinGoal(ms)),
    ),
    row('synthSeconds', report.synthSeconds, `<= ${MAX_SYNTH_SECONDS}`, report.goals.synthSeconds.met),
    row(
      'synthSecondsWithTemplateValidation',
      report.synthSecondsWithTemplateValidation,
      'no goal (CI runs it: see README)',
    ),
    row('demoSeconds', report.demoSeconds, `< ${DEMO_SECONDS_BELOW}`, report.goals.demoSeconds.met),
    ...sweeper.grants.map((grants, i) => {
      const seconds = sweeper.seconds[i] ?? Infinity;
      const value = `${seconds} s, ${sweeper.calls[i]} calls`;
      return i === largest
        ? row(`sweeper at ${number(grants)} grants`, value, `<= ${MAX_SWEEPER_SECONDS} s`, sweepWithinGoal(seconds))
        : row(`sweeper at ${number(grants)} grants`, value);
    }),
    row(
      'sweeper calls per added grant',
      growth.toFixed(3),
      `<= ${MAX_SWEEPER_CALLS_PER_ADDED_GRANT}`,
      sweeperGrowthWithinGoal(growth),
    ),
    ...Object.entries(report.inlinePolicyChars).map(([key, chars]) =>
      row(`inlinePolicyChars.${key}`, number(chars), 'no goal (IAM allows 10,240)'),
    ),
    row('largestInstanceListThatFits', report.largestInstanceListThatFits, 'no goal (a request names at most 20)'),
    row('sgRuleHeadroomPerGroup', report.sgRuleHeadroomPerGroup, 'no goal (EC2 allows 60 rules)'),
  ];
}

/** The table printed without --json: fixed-width columns. */
export function textTable(report: BenchReport): string {
  const header: Row = { figure: 'figure', value: 'value', goal: 'goal', met: 'met' };
  const all = [header, ...rows(report)];
  const width = (key: keyof Row) => Math.max(...all.map((row) => row[key].length));
  const line = (row: Row) =>
    [row.figure.padEnd(width('figure')), row.value.padStart(width('value')), row.goal.padEnd(width('goal')), row.met]
      .join('  ')
      .trimEnd();
  const verdict = report.allGoalsMet ? 'every goal met' : 'GOALS MISSED';
  return `${all.map(line).join('\n')}\n\n${verdict} (${report.context.runs} runs, ${report.context.machine})\n`;
}

const BEGIN = '<!-- bench:results:begin -->';
const END = '<!-- bench:results:end -->';

function operations(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([call, n]) => (n > 1 ? `${call} ×${n}` : call))
    .join(', ');
}

function markdownResults(report: BenchReport): string {
  const { context } = report;
  return [
    `Latest run: ${context.date}, ${context.machine}, Node ${context.node}, median of ${context.runs} runs` +
      ` (function bundles ${context.synthBundleCache} in the cache when synth was timed).`,
    '',
    '| figure | value | goal | met |',
    '| --- | --- | --- | --- |',
    ...rows(report).map((row) => `| ${row.figure} | ${row.value} | ${row.goal} | ${row.met} |`),
    '',
    `Grant calls by operation: ${operations(report.callsByOperation.grant)}.`,
    '',
    `Revoke calls by operation: ${operations(report.callsByOperation.revoke)}.`,
    '',
    `Sweeper calls by operation at ${number(Math.max(...report.sweeper.grants))} grants: ${operations(report.sweeper.callsByOperationAtLargest)}.`,
    '',
    report.allGoalsMet ? 'Every goal is met.' : 'Some goals are missed: see below.',
  ].join('\n');
}

/** Replaces the results between the markers in BENCHMARKS.md; the method and analysis around them are kept. */
export function writeBenchmarksMd(report: BenchReport): string {
  const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
  const text = readFileSync(file, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) {
    throw new Error(`${file} has no "${BEGIN}" … "${END}" block: add the two lines where the results go`);
  }
  writeFileSync(file, `${text.slice(0, begin + BEGIN.length)}\n\n${markdownResults(report)}\n\n${text.slice(end)}`);
  return file;
}
