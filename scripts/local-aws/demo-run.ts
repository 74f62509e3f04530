/** The demo's run, loaded by scripts/demo.ts once its arguments are read: one scenario in a local world, reported. */
import * as path from 'node:path';
import { renderChangeDeltas } from '../../lambdas/domain/change-delta';
import type { Residue } from '../../lambdas/domain/types';
import type { OsAccountRun } from './in-memory-os-accounts';
import type { AwsCallName } from './instrumented-http-handler';
import { loopbackEndpoint, startMoto } from './local-aws';
import { LocalJitAccess, type TimelineEntry } from './local-jit-access';
import { createLocalWorld } from './local-world';
import { runScenario, type ScenarioName, type ScenarioResult } from './scenarios';
import { synthesizeStack } from './synthesized-stack';
import { asExpected, describeCheck } from './vendor-iam-checks';

const progress = (line: string) => process.stderr.write(`[demo] ${line}\n`);

/** The calls of the grant step (up to a failure) and of the revoke path (expiry, kill switch, compensation). */
function callsByPath(timeline: readonly TimelineEntry[]): { grant: AwsCallName[]; revoke: AwsCallName[] } {
  const grant: AwsCallName[] = [];
  const revoke: AwsCallName[] = [];
  for (const entry of timeline) {
    if (entry.step === 'Grant access') {
      const split = entry.compensationFrom ?? entry.awsCalls.length;
      grant.push(...entry.awsCalls.slice(0, split));
      revoke.push(...entry.awsCalls.slice(split));
    } else if (/^revoke |^expiry schedule .* fired$/.test(entry.step)) {
      revoke.push(...entry.awsCalls);
    }
  }
  return { grant, revoke };
}

/** `iam:CreateRole: 1` style counts, each operation once. */
function byOperation(calls: readonly AwsCallName[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call] = (counts[call] ?? 0) + 1;
  return counts;
}

function leftovers(residue: Residue): string[] {
  return Object.entries(residue).flatMap(([kind, items]: [string, readonly string[]]) =>
    items.map((i) => `${kind}: ${i}`),
  );
}

/** `iam:CreateRole, iam:PutRolePolicy ×2` style: each call name once, with its count. */
function summarize(calls: readonly string[]): string {
  return Object.entries(byOperation(calls as AwsCallName[]))
    .map(([call, n]) => (n > 1 ? `${call} ×${n}` : call))
    .join(', ');
}

type DemoResult = ScenarioResult & { readonly ruleKeptAfterFirst?: boolean };

/** What the OS-account document did on each instance, as a person reads it. */
function osAccountLine({ instanceId, osUser, summary }: OsAccountRun): string {
  return `on ${instanceId}: vendor OS user ${osUser} ${summary}`;
}

function printText(result: DemoResult, timeline: readonly TimelineEntry[], runs: readonly OsAccountRun[]): void {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`jit-access demo: scenario "${result.scenario}", grant ${result.grantId}`);
  out(`workflow: ${result.outcome.status}${result.outcome.error ? ` (${result.outcome.error})` : ''}`);
  out();
  out('timeline (warped clock):');
  for (const entry of timeline) {
    out(`  ${entry.at}  ${entry.actor.split('/').pop()?.padEnd(10)}  ${entry.step}`);
    if (entry.awsCalls.length > 0) out(`  ${' '.repeat(24)}  ${' '.repeat(10)}  aws: ${summarize(entry.awsCalls)}`);
    if (entry.failedCall) {
      const compensation = entry.awsCalls.slice(entry.compensationFrom ?? entry.awsCalls.length);
      out(`  ${' '.repeat(36)}  FAILED: ${entry.failedCall} (permanent fault injected by the demo)`);
      out(`  ${' '.repeat(36)}  compensation (the revoke path): ${summarize(compensation) || 'no calls'}`);
    }
  }
  out();
  const { grant, revoke } = callsByPath(timeline);
  out(`aws calls: grant ${grant.length}, revoke ${revoke.length} (compensation included)`);
  out('created:');
  const created = Object.entries(result.created);
  if (created.length === 0) out('  nothing (no grant was made)');
  for (const [kind, value] of created) out(`  ${kind}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
  if (result.vendorIam) {
    out();
    out("the vendor's own calls, judged by IAM (policy simulator on the grant's policies; moto enforces no IAM):");
    for (const check of result.vendorIam) out(`  ${describeCheck(check)}`);
  }
  if (result.ruleKeptAfterFirst !== undefined) {
    out(
      `shared ingress rule still open for the second grant after the first was revoked: ${result.ruleKeptAfterFirst ? 'yes' : 'NO'}`,
    );
  }
  // The instances' side is the local double of the stack's OS-account document (the script is tested on its own).
  out('on the instances (OS-account document):');
  if (runs.length === 0) out('  nothing was run');
  for (const run of runs) out(`  ${osAccountLine(run)}`);
  if (result.changes) {
    out('what the vendor changed (change snapshots at unlock and after the lock, from the evidence bucket):');
    for (const line of renderChangeDeltas(result.changes).trimEnd().split('\n')) out(line ? `  ${line}` : '');
  }
  out(`final status in the ledger: ${result.grant?.status ?? 'no record'}`);
  out();
  const left = leftovers(result.residue);
  out(left.length === 0 ? 'residue: none' : `residue:\n${left.map((l) => `  ${l}`).join('\n')}`);
}

function jsonReport(
  scenario: ScenarioName,
  result: DemoResult,
  timeline: readonly TimelineEntry[],
  runs: readonly OsAccountRun[],
) {
  const { grant, revoke } = callsByPath(timeline);
  return {
    scenario,
    grantId: result.grantId,
    outcome: { status: result.outcome.status, ...(result.outcome.error ? { error: result.outcome.error } : {}) },
    finalStatus: result.grant?.status ?? null,
    timeline: timeline.map(({ at, actor, step, failedCall }) => ({
      at,
      actor,
      step,
      ...(failedCall ? { failedCall } : {}),
    })),
    awsCalls: {
      grant: grant.length,
      revoke: revoke.length,
      byOperation: { grant: byOperation(grant), revoke: byOperation(revoke) },
    },
    ...(result.ruleKeptAfterFirst !== undefined ? { sharedRuleKeptAfterFirstRevoke: result.ruleKeptAfterFirst } : {}),
    created: result.created,
    ...(result.vendorIam ? { vendorIam: result.vendorIam } : {}),
    osAccount: runs.map((run) => ({ instanceId: run.instanceId, action: run.action, line: osAccountLine(run) })),
    ...(result.changes ? { changes: result.changes } : {}),
    residue: result.residue,
  };
}

/**
 * Yesterday at 08:00 UTC: a recent day (CloudWatch keeps the session transcript's own times, within 14 days) whose
 * eight-hour grant is over before now.
 */
function demoStart(): Date {
  const start = new Date(Date.now() - 24 * 3_600_000);
  start.setUTCHours(8, 0, 0, 0);
  return start;
}

export interface DemoArguments {
  readonly scenario: ScenarioName;
  readonly json: boolean;
}

/**
 * Runs the scenario in a new world (in JIT_AWS_ENDPOINT's moto or one of its own), prints the report, and returns the
 * exit code: 1 if anything was left behind or IAM answered a vendor call otherwise than the security model says.
 */
export async function runDemo(args: DemoArguments): Promise<number> {
  const stack = synthesizeStack(path.resolve(__dirname, '..', '..', 'cdk.out'), {
    reused: (reused) =>
      progress(
        reused
          ? 'cdk.out holds the stack as synthesized from these sources: reusing it'
          : 'synthesizing the stack into cdk.out',
      ),
  });
  const moto = await localAws();
  let local: LocalJitAccess | undefined;
  try {
    const world = await createLocalWorld(moto.endpoint, stack, progress);
    local = new LocalJitAccess(world, moto.endpoint, demoStart());
    progress(`running scenario "${args.scenario}" (people act through the jit-access CLI and the local API)`);
    const result: DemoResult = await runScenario(local, args.scenario);
    if (args.json) {
      const report = jsonReport(args.scenario, result, local.timeline, local.osAccounts.runs);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      printText(result, local.timeline, local.osAccounts.runs);
    }
    const iamAsExpected = (result.vendorIam ?? []).every(asExpected);
    return leftovers(result.residue).length === 0 && iamAsExpected ? 0 : 1;
  } finally {
    await local?.dispose();
    await moto.stop?.();
  }
}

/** The moto that JIT_AWS_ENDPOINT names, left running, or one of the demo's own, stopped at the end. */
async function localAws(): Promise<{ endpoint: string; stop?: () => Promise<void> }> {
  const named = process.env.JIT_AWS_ENDPOINT;
  if (named) {
    const endpoint = loopbackEndpoint(named, 'JIT_AWS_ENDPOINT');
    progress(`using local AWS (moto) at ${endpoint} from JIT_AWS_ENDPOINT`);
    return { endpoint };
  }
  progress('starting local AWS (moto)');
  return startMoto({ log: progress });
}
