import type { JitAccessConfig } from '../../lib/config/schema';
import { countedApprovals, hasEnoughApprovals } from './approval-rules';
import { NotStartedError, ValidationError } from './errors';
import { isBreakGlassPerson, isSponsor, personOf } from './identity';
import { planHash } from './plan-hash';
import { findEnabledVendor } from './request-validation';
import type { GrantRecord, Vote } from './types';

const MIN_DURATION_MINUTES = 15;

export interface GrantCheckContext {
  readonly config: JitAccessConfig;
  readonly now: Date;
  readonly stackAccountId: string;
  readonly disabledVendors: ReadonlySet<string>;
  readonly votes: readonly Vote[];
}

/**
 * The grant step's own check of an approved grant as the ledger holds it, against the config as it is now: a ledger
 * record is a claim like any payload. Refuses (ValidationError) a disabled vendor, a requester who no longer sponsors
 * it, a duration, port or target group the vendor may not have, approvals that no longer suffice or were given for
 * another plan, and a start not yet reached.
 */
export function recheckApprovedGrant(grant: GrantRecord, context: GrantCheckContext): void {
  const { config } = context;
  const { request, plan } = grant;
  const vendor = findEnabledVendor(request.vendorId, config, context.disabledVendors);
  if (plan.vendorId !== vendor.id || plan.grantId !== grant.grantId || request.grantId !== grant.grantId) {
    throw refused('plan', 'PLAN_CHANGED', 'the recorded plan is not this grant of this vendor');
  }
  if (planHash(plan) !== grant.planHash) {
    throw refused('plan', 'PLAN_CHANGED', 'the recorded plan is not the one approvers were shown');
  }

  const requester = request.requester;
  if (personOf(requester.arn, config, context.stackAccountId) !== requester.person) {
    throw refused(
      'requester',
      'IDENTITY_MISMATCH',
      `${requester.arn} is not ${requester.person} under the current config`,
    );
  }
  const breakGlass = request.breakGlass === true;
  if (breakGlass !== (grant.breakGlass !== undefined)) {
    throw refused('breakGlass', 'BREAK_GLASS_MISMATCH', 'the request and the grant disagree about break-glass');
  }
  if (breakGlass ? !isBreakGlassPerson(requester.person, config) : !isSponsor(requester.person, vendor)) {
    throw refused('requester', 'NOT_A_SPONSOR', `${requester.person} may no longer request access for ${vendor.id}`);
  }

  const windowMinutes = (Date.parse(plan.window.expiresAt) - Date.parse(plan.window.startAt)) / 60_000;
  const vendorMaxMinutes = vendor.maxGrantHours * 60;
  const maxMinutes = breakGlass ? Math.min(config.breakGlass.maxMinutes, vendorMaxMinutes) : vendorMaxMinutes;
  if (
    request.durationMinutes !== windowMinutes ||
    request.durationMinutes < MIN_DURATION_MINUTES ||
    request.durationMinutes > maxMinutes
  ) {
    throw refused(
      'durationMinutes',
      'DURATION_NOT_ALLOWED',
      `${request.durationMinutes} minutes (approved window ${windowMinutes}) is not within ${MIN_DURATION_MINUTES}-${maxMinutes}`,
    );
  }
  for (const port of request.ports ?? []) {
    const allowed = vendor.ports.some(
      (r) => r.protocol === port.protocol && r.fromPort <= port.fromPort && port.toPort <= r.toPort,
    );
    if (!allowed) {
      throw refused(
        'ports',
        'PORT_NOT_ALLOWED',
        `${port.protocol}/${port.fromPort}-${port.toPort} is not allowed for ${vendor.id}`,
      );
    }
  }
  for (const target of grant.targets) {
    if (!vendor.eligibleTargetGroups.includes(target.targetGroup)) {
      throw refused(
        'targets',
        'TARGET_NOT_ELIGIBLE',
        `${vendor.id} is not eligible for target group ${target.targetGroup}`,
      );
    }
    const named = target.kind === 'group' ? [`group:${target.targetGroup}`] : target.instanceIds;
    if (!named.every((t) => request.targets.includes(t))) {
      throw refused('targets', 'TARGETS_CHANGED', 'the resolved targets are not the ones requested');
    }
  }

  if (!breakGlass) {
    const approvals = countedApprovals(
      context.votes,
      { requester: requester.person, planHash: grant.planHash, stackAccountId: context.stackAccountId },
      config,
    );
    if (!hasEnoughApprovals(approvals, config.approvers.minApprovals)) {
      throw refused(
        'approvals',
        'NOT_ENOUGH_APPROVALS',
        `${approvals.length} of ${config.approvers.minApprovals} approvals count under the current config (${approvals.join(', ') || 'none'})`,
      );
    }
  }

  const requestedStart = Date.parse(request.startAt ?? plan.window.startAt);
  const plannedStart = Date.parse(plan.window.startAt);
  if (Number.isNaN(requestedStart) || Number.isNaN(plannedStart)) {
    throw refused('startAt', 'INVALID_START', 'the recorded start is not a date');
  }
  assertStarted(
    new Date(Math.max(requestedStart, plannedStart)).toISOString(),
    context.now,
    'grant refused: the grant',
  );
}

/**
 * Refuses (NotStartedError) anything done for a grant before its start: the workflow's Wait state resumes on time,
 * but the step that acts must not take that on trust.
 */
export function assertStarted(startAt: string, now: Date, what: string): void {
  if (now.getTime() < Date.parse(startAt)) throw new NotStartedError(startAt, what);
}

function refused(field: string, code: string, why: string): ValidationError {
  return new ValidationError(field, code, `grant refused: ${why}; request access again`);
}
