import type { AccessRequest, GrantPlan, ResolvedTarget } from './types';

/**
 * Free text a person typed (ticket, reason, comment), as one quoted line: newlines and quotes are escaped, so it can
 * never pose as a line of the plan or of the instructions around it.
 */
export function quoted(text: string): string {
  return JSON.stringify(text);
}

function describeTarget(target: ResolvedTarget): string {
  return target.kind === 'group'
    ? `every instance tagged ${target.tagKey}=${target.tagValue} (target group ${target.targetGroup})`
    : `${target.instanceIds.join(', ')} (target group ${target.targetGroup})`;
}

export interface ApprovalMessageInput {
  readonly request: AccessRequest;
  readonly targets: readonly ResolvedTarget[];
  readonly plan: GrantPlan;
  readonly planHash: string;
  readonly minApprovals: number;
  /** For an extension: one line on what stays and what changes. */
  readonly delta?: string;
}

/** Who asked, why, and exactly what the grant will create, with the hash `jit-access show` prints for the plan. */
function requestLines({ request, targets, plan, planHash, delta }: ApprovalMessageInput): string[] {
  const rules = plan.ingressRules.map(
    (r) => `  - ${r.securityGroupId}: ${r.protocol} ${r.fromPort}-${r.toPort} from ${r.cidr}`,
  );
  return [
    `Grant ${request.grantId}: vendor ${request.vendorId}, ${request.durationMinutes} minutes of shell access.`,
    `Requested by: ${request.requester.person} (${request.requester.arn})`,
    `Ticket (as typed): ${quoted(request.ticket)}`,
    `Reason (as typed): ${quoted(request.reason)}`,
    ...(delta ? [`Extension: ${delta}`] : []),
    `Window: ${plan.window.startAt} until ${plan.window.expiresAt}`,
    `Targets:`,
    ...targets.map((t) => `  - ${describeTarget(t)}`),
    ``,
    `Plan hash: ${planHash}`,
    `The grant will create:`,
    `  - IAM role ${plan.role.path}${plan.role.name} (boundary ${plan.role.permissionsBoundaryArn}), runs as OS user ${plan.role.tags.SSMSessionRunAs}`,
    `  - session policy (${plan.role.inlinePolicyName}):`,
    JSON.stringify(plan.role.inlinePolicy, null, 2),
    `  - trust policy:`,
    JSON.stringify(plan.role.trustPolicy, null, 2),
    rules.length > 0
      ? `  - temporary ingress rules:\n${rules.join('\n')}`
      : `  - no network rules (Session Manager only)`,
    `  - schedule ${plan.schedule.groupName}/${plan.schedule.name} that revokes everything at expiry`,
  ];
}

/** What an approver reads before deciding. */
export function approvalRequestMessage(input: ApprovalMessageInput): string {
  const { grantId } = input.request;
  return [
    ...requestLines(input),
    ``,
    `${input.minApprovals} distinct approvers (not the requester) must approve. Check that "jit-access show ${grantId}"`,
    `prints the plan hash above, then decide:`,
    `  jit-access approve ${grantId} [--comment "..."]`,
    `  jit-access deny ${grantId} --reason "..."`,
  ].join('\n');
}

/** What every approver and on-call read the moment a break-glass grant is made: loud, and asking for review. */
export function breakGlassMessage(input: ApprovalMessageInput, reviewBy: string): string {
  const { grantId, vendorId } = input.request;
  return [
    `BREAK-GLASS: ${input.request.requester.person} granted vendor ${vendorId} access WITHOUT waiting for approval.`,
    ...requestLines(input),
    ``,
    `${input.minApprovals} approvers must review it by ${reviewBy}, or vendor ${vendorId} is disabled and the grant flagged.`,
    `  jit-access approve ${grantId} [--comment "..."]      (the access was justified)`,
    `  jit-access deny ${grantId} --reason "..."            (revokes it at once)`,
  ].join('\n');
}

/** What the sponsor and vendor read once access is live. */
export function grantedMessage(plan: GrantPlan, roleArn: string, sessionDocumentName: string): string {
  return [
    `Grant ${plan.grantId} for vendor ${plan.vendorId} is active from ${plan.window.startAt} until ${plan.window.expiresAt}.`,
    `Vendor steps (or "jit-access connect ${plan.grantId}" for a ready profile):`,
    `  aws sts assume-role --role-arn ${roleArn} --role-session-name <your-name> --external-id <your external id> [--serial-number <mfa> --token-code <code>]`,
    `  aws ssm start-session --target <instance-id> --document-name ${sessionDocumentName}`,
    `Every session is recorded. Access ends by itself at expiry.`,
  ].join('\n');
}
