import type { AccessRequest, GrantPlan, ResolvedTarget } from './types';

function describeTarget(target: ResolvedTarget): string {
  return target.kind === 'group'
    ? `every instance tagged ${target.tagKey}=${target.tagValue} (target group ${target.targetGroup})`
    : `${target.instanceIds.join(', ')} (target group ${target.targetGroup})`;
}

/** What an approver reads before deciding: who, why, and exactly what the grant will create. */
export function approvalRequestMessage(
  request: AccessRequest,
  targets: readonly ResolvedTarget[],
  plan: GrantPlan,
  minApprovals: number,
): string {
  const rules = plan.ingressRules.map(
    (r) => `  - ${r.securityGroupId}: ${r.protocol} ${r.fromPort}-${r.toPort} from ${r.cidr}`,
  );
  return [
    `Grant ${request.grantId}: vendor ${request.vendorId} asks for ${request.durationMinutes} minutes of shell access.`,
    `Requested by: ${request.requester}`,
    `Ticket: ${request.ticket}`,
    `Reason: ${request.reason}`,
    `Start: ${request.startAt ?? 'as soon as approved'}`,
    `Targets:`,
    ...targets.map((t) => `  - ${describeTarget(t)}`),
    ``,
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
    ``,
    `${minApprovals} distinct approvers (not the requester) must approve. Decide by invoking the decide function with`,
    `{"grantId":"${request.grantId}","approver":"<your principal ARN>","decision":"approve"|"deny","comment":"..."}`,
  ].join('\n');
}

/** What the sponsor and vendor read once access is live. */
export function grantedMessage(plan: GrantPlan, roleArn: string, sessionDocumentName: string): string {
  return [
    `Grant ${plan.grantId} for vendor ${plan.vendorId} is active from ${plan.window.startAt} until ${plan.window.expiresAt}.`,
    `Vendor steps:`,
    `  aws sts assume-role --role-arn ${roleArn} --role-session-name <your-name> --external-id <your external id> [--serial-number <mfa> --token-code <code>]`,
    `  aws ssm start-session --target <instance-id> --document-name ${sessionDocumentName}`,
    `Every session is recorded. Access ends by itself at expiry.`,
  ].join('\n');
}
