import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { JitAccessConfig } from '../../lib/config/schema';
import type { GrantRecord, Residue } from '../../lambdas/domain/types';
import type { AwsCallName } from '../../scripts/local-aws/instrumented-http-handler';
import { LocalJitAccess, type ExecutionOutcome } from '../../scripts/local-aws/local-jit-access';
import { createLocalWorld } from '../../scripts/local-aws/local-world';
import { acmeRequest, newGrantId, PEOPLE, requestAccess } from '../../scripts/local-aws/scenarios';
import { synthesizeStack, type SynthesizedStack } from '../../scripts/local-aws/synthesized-stack';
import { localClientConfig } from './local-aws-clients';

/** What a residue check reads when jit-access left nothing behind. */
export const NO_RESIDUE: Residue = { roles: [], policies: [], securityGroupRules: [], schedules: [], sessions: [] };

/** Monday 08:00 UTC on the warped clock: every local run starts here unless a test says otherwise. */
export const RUN_STARTS_AT = new Date('2026-03-02T08:00:00.000Z');

/** Longer than the sweeper's 10 minutes before it takes over a revoke that did not finish. */
export const PAST_STUCK_THRESHOLD_MINUTES = 15;

export type AccessRequestInput = ReturnType<typeof acmeRequest>;

export interface LocalOptions {
  /** Changes the stack config of this world only, e.g. to let an approver also sponsor a vendor. */
  readonly configure?: (config: JitAccessConfig) => JitAccessConfig;
}

export interface ActiveGrant {
  readonly grantId: string;
  readonly request: AccessRequestInput;
  readonly outcome: ExecutionOutcome;
  readonly grant: GrantRecord;
}

/**
 * Registers the hooks of a file of lifecycle tests: the real stack is synthesized once (into a temporary directory),
 * and `start()` gives each test its own world in the run's moto (names carry a unique suffix, so tests and jest
 * workers never see each other's resources) with the synthesized workflow running over it.
 */
export function localLifecycle(): { start(options?: LocalOptions): Promise<LocalJitAccess> } {
  let outdir: string | undefined;
  let stack: SynthesizedStack | undefined;
  const started: LocalJitAccess[] = [];

  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'jit-access-cdk-out-'));
    stack = synthesizeStack(outdir);
  });

  afterEach(() => {
    for (const local of started.splice(0)) local.dispose();
  });

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  return {
    async start(options: LocalOptions = {}): Promise<LocalJitAccess> {
      if (!stack) throw new Error('localLifecycle() must be called at the top of a describe block');
      const { endpoint } = localClientConfig();
      const world = await createLocalWorld(endpoint, stack);
      const settings = options.configure
        ? { ...world.settings, config: options.configure(world.settings.config) }
        : world.settings;
      const local = new LocalJitAccess({ ...world, settings }, endpoint, RUN_STARTS_AT);
      started.push(local);
      return local;
    },
  };
}

/** Two of the three configured approvers approve (alice, then bob). */
export async function approveByTwo(local: LocalJitAccess, grantId: string): Promise<void> {
  await local.decide(grantId, PEOPLE.approvers[0], 'approve', 'ticket checked');
  await local.decide(grantId, PEOPLE.approvers[1], 'approve');
}

/** Runs the workflow for acme's request (with `overrides`) through two approvals to the end of the grant step. */
export async function grantThroughWorkflow(
  local: LocalJitAccess,
  overrides: Record<string, unknown> = {},
  grantId = newGrantId(),
): Promise<ActiveGrant> {
  const request = acmeRequest(local, overrides);
  const { done } = await requestAccess(local, grantId, request);
  await approveByTwo(local, grantId);
  const outcome = await done;
  return { grantId, request, outcome, grant: await ledgerRecord(local, grantId) };
}

/** The grant as the ledger holds it now; a test fails here if the ledger has no such grant. */
export async function ledgerRecord(local: LocalJitAccess, grantId: string): Promise<GrantRecord> {
  const grant = await local.deps.ledger.getGrant(grantId);
  if (!grant) throw new Error(`the ledger has no grant ${grantId}`);
  return grant;
}

/** The first vendor instance the request names. */
export function firstTarget(request: AccessRequestInput): string {
  const instanceId = request.targets[0];
  if (!instanceId) throw new Error('the request names no target');
  return instanceId;
}

/** The AWS calls of the last timeline entry whose step matches, e.g. `Grant access` or `expiry schedule ... fired`. */
export function callsOfLastStep(local: LocalJitAccess, step: RegExp): readonly AwsCallName[] {
  const entry = [...local.timeline].reverse().find((e) => step.test(e.step));
  if (!entry) throw new Error(`no timeline step matches ${step}`);
  return entry.awsCalls;
}

/** Each call name once, in the order first made. */
export function distinctCalls(calls: readonly AwsCallName[]): AwsCallName[] {
  return [...new Set(calls)];
}

/** Calls that may change AWS state: every call but reads (Get*, List*, Describe*, Query). */
export function mutatingCalls(calls: readonly AwsCallName[]): AwsCallName[] {
  return calls.filter((call) => !/^(Get|List|Describe|Query)/.test(call.split(':')[1] ?? ''));
}

export function isClean(residue: Residue): boolean {
  return Object.values(residue).every((items: readonly string[]) => items.length === 0);
}

/** Settles a promise into its error (or undefined), for acts that may fail on purpose. */
export async function errorOf(work: Promise<unknown>): Promise<Error | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
