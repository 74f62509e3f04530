import { createHash, randomBytes } from 'node:crypto';
import type { InstanceChangeDelta } from '../../lambdas/domain/change-delta';
import type { CreatedResources, GrantRecord, PortRequest, Residue } from '../../lambdas/domain/types';
import type { AwsCallName, FaultKind } from './instrumented-http-handler';
import type { ExecutionOutcome, LocalJitAccess } from './local-jit-access';
import type { VendorIamCheck } from './vendor-iam-checks';

/** People of the example config in cdk.json; each acts through the CLI with the profile `local-<name>`. */
export const PEOPLE = {
  sponsor: 'dana',
  approvers: ['alice', 'bob', 'carol'],
  admin: 'erin',
  breakGlass: 'erin',
} as const;

export const SCENARIOS = ['approve', 'deny', 'timeout', 'kill', 'overlap', 'fault', 'break-glass', 'lockout'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioResult {
  readonly scenario: ScenarioName;
  readonly grantId: string;
  readonly outcome: ExecutionOutcome;
  readonly grant?: GrantRecord;
  readonly created: CreatedResources;
  readonly residue: Residue;
  /** The vendor's own calls on the active grant, judged by the IAM policy simulator. */
  readonly vendorIam?: readonly VendorIamCheck[];
  /** What the vendor changed on each instance: the start and end change snapshots compared (evidence bucket). */
  readonly changes?: readonly InstanceChangeDelta[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** An id for something a test makes by hand (an orphan role, a foreign rule): the API names real grants. */
export function newGrantId(label = 'g'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

/** A request as the CLI takes it (`jit-access request --vendor … --targets …`). */
export interface RequestInput {
  readonly vendorId: string;
  readonly targets: readonly string[];
  readonly durationMinutes: number;
  readonly ticket: string;
  readonly reason: string;
  readonly ports?: readonly PortRequest[];
  readonly startAt?: string;
  readonly breakGlass?: boolean;
}

/** A sponsor's request for the acme vendor: one instance of billing-db, Postgres port open, 8 hours. */
export function acmeRequest(local: LocalJitAccess, overrides: Partial<RequestInput> = {}): RequestInput {
  const instanceId = local.world.instances['billing-db']?.[0];
  if (!instanceId) throw new Error('the local world has no billing-db instance');
  return {
    vendorId: 'acme',
    targets: [instanceId],
    durationMinutes: 480,
    ticket: 'CHG-4711',
    reason: 'Vendor support for the billing database upgrade',
    ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
    ...overrides,
  };
}

/** The `jit-access request` arguments for a request. */
export function requestArgs(request: RequestInput): string[] {
  return [
    '--vendor',
    request.vendorId,
    '--targets',
    request.targets.join(','),
    '--duration',
    String(request.durationMinutes),
    '--ticket',
    request.ticket,
    '--reason',
    request.reason,
    ...(request.ports?.length
      ? ['--ports', request.ports.map((p) => `${p.protocol}:${p.fromPort}-${p.toPort}`).join(',')]
      : []),
    ...(request.startAt ? ['--start', request.startAt] : []),
    ...(request.breakGlass ? ['--break-glass'] : []),
  ];
}

/**
 * A person (the sponsor unless told) requests access with the CLI; returns the grant id the API gave it and the
 * execution's end, once the execution waits for approval (or has moved past it).
 */
export function requestAccess(
  local: LocalJitAccess,
  request: RequestInput,
  person: string = PEOPLE.sponsor,
): Promise<{ grantId: string; done: Promise<ExecutionOutcome> }> {
  return local.request(person, requestArgs(request));
}

async function approveByTwo(local: LocalJitAccess, grantId: string): Promise<void> {
  await local.decide(grantId, PEOPLE.approvers[0], 'approve', 'ticket checked');
  await local.decide(grantId, PEOPLE.approvers[1], 'approve');
}

async function finish(
  local: LocalJitAccess,
  scenario: ScenarioName,
  grantId: string,
  outcome: ExecutionOutcome,
  created: CreatedResources,
): Promise<ScenarioResult> {
  const grant = await local.deps.ledger.getGrant(grantId);
  return { scenario, grantId, outcome, ...(grant ? { grant } : {}), created, residue: await local.residue() };
}

/** 1: request → 2 of 3 approve → grant → vendor session → expiry fires → everything removed, session ended. */
export async function approveScenario(local: LocalJitAccess): Promise<ScenarioResult> {
  const request = acmeRequest(local);
  const { grantId, done } = await requestAccess(local, request);
  await local.advanceBy(12);
  await approveByTwo(local, grantId);
  const outcome = await done;
  const active = await local.deps.ledger.getGrant(grantId);
  await local.advanceBy(5);
  const [granted, other] = local.world.instances['billing-db'] ?? [];
  const vendorIam = await local.vendorCallsUnderIam(grantId, granted as string, other as string);
  const sessionId = await local.vendorStartsSession(grantId, request.targets[0] as string);
  await local.vendorTypes(sessionId, ['whoami', 'psql -c "select count(*) from invoices where status = \'stuck\'"']);
  // What the vendor's work left on the instance, for the end snapshot to show: a tuned config file, a new package.
  local.osAccounts.changeConfiguration(request.targets[0] as string, {
    files: { '/etc/postgresql/postgresql.conf': sha256('max_connections = 300\n') },
    packages: { pg_repack: '1.4.8-1.amzn2023.x86_64' },
  });
  await local.cliOk(PEOPLE.approvers[0], ['watch', grantId, '--once']);
  await local.advanceTo(active?.expiresAt ?? local.clock());
  const result = await finish(local, 'approve', grantId, outcome, active?.created ?? {});
  return { ...result, vendorIam, ...(result.grant ? { changes: await local.changeDeltas(result.grant) } : {}) };
}

/** 2: one approver denies: the workflow ends Denied, nothing is created. */
export async function denyScenario(local: LocalJitAccess): Promise<ScenarioResult> {
  const { grantId, done } = await requestAccess(local, acmeRequest(local));
  await local.advanceBy(3);
  await local.decide(grantId, PEOPLE.approvers[2], 'deny', 'no change window today');
  return finish(local, 'deny', grantId, await done, {});
}

/** 3: nobody decides before the approval timeout: the request expires, nothing is created. */
export async function timeoutScenario(local: LocalJitAccess): Promise<ScenarioResult> {
  const { grantId, done } = await requestAccess(local, acmeRequest(local));
  await local.timeOutApproval(grantId);
  return finish(local, 'timeout', grantId, await done, {});
}

/** 5: the kill switch during a live session: the session ends at once and everything is removed. */
export async function killScenario(local: LocalJitAccess): Promise<ScenarioResult> {
  const request = acmeRequest(local);
  const { grantId, done } = await requestAccess(local, request);
  await approveByTwo(local, grantId);
  const outcome = await done;
  const active = await local.deps.ledger.getGrant(grantId);
  await local.vendorStartsSession(grantId, request.targets[0] as string);
  await local.advanceBy(40);
  await local.revoke(grantId, 'suspicious activity in the session', PEOPLE.admin);
  return finish(local, 'kill', grantId, outcome, active?.created ?? {});
}

/**
 * 7: two overlapping grants for the same vendor share one ingress rule: the first revoke keeps it for the second,
 * the second removes it. Reports the second grant; the first one's result is in `first`.
 */
export async function overlapScenario(
  local: LocalJitAccess,
): Promise<ScenarioResult & { first: ScenarioResult; ruleKeptAfterFirst: boolean }> {
  const { grantId: firstId, done: firstDone } = await requestAccess(local, acmeRequest(local, { durationMinutes: 60 }));
  await approveByTwo(local, firstId);
  const firstOutcome = await firstDone;
  await local.advanceBy(20);
  const { grantId: secondId, done: secondDone } = await requestAccess(
    local,
    acmeRequest(local, { durationMinutes: 120 }),
  );
  await approveByTwo(local, secondId);
  const secondOutcome = await secondDone;
  const first = await local.deps.ledger.getGrant(firstId);
  const second = await local.deps.ledger.getGrant(secondId);

  await local.advanceTo(first?.expiresAt ?? local.clock());
  const afterFirst = await local.residue();
  const sharedRule = second?.created.securityGroupRuleIds?.[0];
  const ruleKeptAfterFirst = sharedRule !== undefined && afterFirst.securityGroupRules.includes(sharedRule);
  const firstResult = await finish(local, 'overlap', firstId, firstOutcome, first?.created ?? {});

  await local.advanceTo(second?.expiresAt ?? local.clock());
  const result = await finish(local, 'overlap', secondId, secondOutcome, second?.created ?? {});
  return { ...result, first: firstResult, ruleKeptAfterFirst };
}

/**
 * 9 (one case): a fault on one AWS call of the grant. A transient fault is retried by the SDK and the grant
 * succeeds; a permanent one makes the grant compensate, and the workflow ends GrantFailed with nothing left.
 */
export async function faultScenario(
  local: LocalJitAccess,
  call: AwsCallName = 'ec2:AuthorizeSecurityGroupIngress',
  kind: FaultKind = 'permanent',
): Promise<ScenarioResult> {
  const { grantId, done } = await requestAccess(local, acmeRequest(local));
  local.faultDuring('grant', call, kind);
  await approveByTwo(local, grantId);
  const outcome = await done;
  local.clearHandlerFaults();
  const grant = await local.deps.ledger.getGrant(grantId);
  if (grant?.status === 'ACTIVE') await local.advanceTo(grant.expiresAt ?? local.clock());
  return finish(local, 'fault', grantId, outcome, grant?.created ?? {});
}

/**
 * Break-glass: erin gets access at once, every approver is told, two of them review it afterwards; then it expires
 * and everything is removed.
 */
export async function breakGlassScenario(local: LocalJitAccess): Promise<ScenarioResult> {
  const request = acmeRequest(local, { durationMinutes: 45, breakGlass: true });
  const { grantId, done } = await requestAccess(local, request, PEOPLE.breakGlass);
  const outcome = await done;
  const active = await local.deps.ledger.getGrant(grantId);
  await local.advanceBy(30);
  await local.decide(grantId, PEOPLE.approvers[0], 'approve', 'outage ticket confirms the emergency');
  await local.decide(grantId, PEOPLE.approvers[1], 'approve');
  await local.advanceTo(active?.expiresAt ?? local.clock());
  return finish(local, 'break-glass', grantId, outcome, active?.created ?? {});
}

/**
 * Lockout: during a live session the vendor's role is refused five calls within minutes (CloudTrail records, played
 * to the lockout function): the grant is revoked, the vendor locked and approvers told; erin then unlocks it.
 */
export async function lockoutScenario(local: LocalJitAccess): Promise<ScenarioResult> {
  const request = acmeRequest(local);
  const { grantId, done } = await requestAccess(local, request);
  await approveByTwo(local, grantId);
  const outcome = await done;
  const active = await local.deps.ledger.getGrant(grantId);
  await local.vendorStartsSession(grantId, request.targets[0] as string);
  await local.advanceBy(5);
  await local.vendorDenied(grantId, local.deps.settings.config.lockout.threshold);
  await local.cliOk(PEOPLE.admin, ['vendor', 'unlock', 'acme', '--reason', 'the vendor fixed a misconfigured script']);
  return finish(local, 'lockout', grantId, outcome, active?.created ?? {});
}

export function runScenario(local: LocalJitAccess, name: ScenarioName): Promise<ScenarioResult> {
  const scenarios: Record<ScenarioName, () => Promise<ScenarioResult>> = {
    'break-glass': () => breakGlassScenario(local),
    approve: () => approveScenario(local),
    deny: () => denyScenario(local),
    timeout: () => timeoutScenario(local),
    kill: () => killScenario(local),
    overlap: () => overlapScenario(local),
    fault: () => faultScenario(local),
    lockout: () => lockoutScenario(local),
  };
  return scenarios[name]();
}
