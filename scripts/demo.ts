import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Residue } from '../lambdas/domain/types';
import { startMoto } from './local-aws/local-aws';
import { LocalJitAccess, type TimelineEntry } from './local-aws/local-jit-access';
import { createLocalWorld } from './local-aws/local-world';
import { runScenario, SCENARIOS, type ScenarioName, type ScenarioResult } from './local-aws/scenarios';
import { synthesizeStack } from './local-aws/synthesized-stack';

const HELP = `Usage: npm run demo -- [--scenario ${SCENARIOS.join('|')}] [--json]

Runs one grant's whole lifecycle offline: the synthesized state machine (cdk.out) in aws-local-stepfunctions, the real
Lambda handlers in-process, against a local moto server (installed into .venv on first use), on a warped clock.
Prints the timeline, what was created, and the residue check; exits 1 if anything was left behind.

  --scenario  approve (default): 2 of 3 approve, vendor session, expiry removes everything
              deny: an approver denies          timeout: nobody decides in time
              kill: kill switch during a session overlap: two grants share an ingress rule
              fault: a permanent AWS failure mid-grant; compensation removes what was created
  --json      print {"scenario","grantId","timeline","awsCalls","created","residue"} instead of text
  --help      this text`;

const progress = (line: string) => process.stderr.write(`[demo] ${line}\n`);

function countCalls(timeline: readonly TimelineEntry[], handlerStep: RegExp): number {
  return timeline.filter((e) => handlerStep.test(e.step)).reduce((sum, e) => sum + e.awsCalls.length, 0);
}

function leftovers(residue: Residue): string[] {
  return Object.entries(residue).flatMap(([kind, items]: [string, readonly string[]]) =>
    items.map((i) => `${kind}: ${i}`),
  );
}

function printText(result: ScenarioResult, timeline: readonly TimelineEntry[]): void {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`jit-access demo: scenario "${result.scenario}", grant ${result.grantId}`);
  out(`workflow: ${result.outcome.status}${result.outcome.error ? ` (${result.outcome.error})` : ''}`);
  out();
  out('timeline (warped clock):');
  for (const entry of timeline) {
    out(`  ${entry.at}  ${entry.actor.split('/').pop()?.padEnd(10)}  ${entry.step}`);
    if (entry.awsCalls.length > 0) out(`  ${' '.repeat(24)}  ${' '.repeat(10)}  aws: ${summarize(entry.awsCalls)}`);
  }
  out();
  out('created:');
  const created = Object.entries(result.created);
  if (created.length === 0) out('  nothing (no grant was made)');
  for (const [kind, value] of created) out(`  ${kind}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
  out(`final status in the ledger: ${result.grant?.status ?? 'no record'}`);
  out();
  const left = leftovers(result.residue);
  out(left.length === 0 ? 'residue: none' : `residue:\n${left.map((l) => `  ${l}`).join('\n')}`);
}

/** `iam:CreateRole, iam:PutRolePolicy ×2` style: each call name once, with its count. */
function summarize(calls: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call, (counts.get(call) ?? 0) + 1);
  return [...counts].map(([call, n]) => (n > 1 ? `${call} ×${n}` : call)).join(', ');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { scenario: { type: 'string', default: 'approve' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const scenario = values.scenario as ScenarioName;
  if (!SCENARIOS.includes(scenario)) {
    process.stderr.write(`--scenario: "${values.scenario}" is not a scenario: use one of ${SCENARIOS.join(', ')}\n`);
    return 2;
  }

  progress('synthesizing the stack into cdk.out');
  const stack = synthesizeStack(path.resolve(__dirname, '..', 'cdk.out'));
  progress('starting local AWS (moto)');
  const moto = await startMoto({ log: progress });
  try {
    const world = await createLocalWorld(moto.endpoint, stack, progress);
    const local = new LocalJitAccess(world, moto.endpoint, new Date('2026-03-02T08:00:00Z'));
    progress(`running scenario "${scenario}"`);
    const result = await runScenario(local, scenario);
    if (values.json) {
      const report = {
        scenario,
        grantId: result.grantId,
        timeline: local.timeline.map(({ at, actor, step }) => ({ at, actor, step })),
        awsCalls: {
          grant: countCalls(local.timeline, /^Grant access$/),
          revoke: countCalls(local.timeline, /revoke|expiry schedule/),
        },
        created: result.created,
        residue: result.residue,
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      printText(result, local.timeline);
    }
    return leftovers(result.residue).length === 0 ? 0 : 1;
  } finally {
    await moto.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
