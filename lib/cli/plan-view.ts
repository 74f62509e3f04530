import { ingressRuleDescription } from '../../lambdas/domain/planner';
import type { GrantPlan, PolicyDocument } from '../../lambdas/domain/types';

/** What `jit-access plan --json` prints: exactly what a grant creates, in the words of the AWS calls that create it. */
export interface PlanView {
  readonly role: {
    readonly name: string;
    readonly path: string;
    readonly trustPolicy: PolicyDocument;
    readonly maxSessionDuration: number;
    readonly permissionsBoundary: string;
    readonly tags: Readonly<Record<string, string>>;
  };
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
  readonly securityGroupRules: readonly {
    readonly groupId: string;
    readonly ipProtocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly cidr: string;
    readonly description: string;
  }[];
  readonly schedule: { readonly name: string; readonly groupName: string; readonly expression: string };
  readonly startsAt: string;
  readonly expiresAt: string;
  readonly hash: string;
}

export function planView(plan: GrantPlan, hash: string): PlanView {
  return {
    role: {
      name: plan.role.name,
      path: plan.role.path,
      trustPolicy: plan.role.trustPolicy,
      maxSessionDuration: plan.role.maxSessionDurationSeconds,
      permissionsBoundary: plan.role.permissionsBoundaryArn,
      tags: plan.role.tags,
    },
    policies: [{ name: plan.role.inlinePolicyName, document: plan.role.inlinePolicy }],
    securityGroupRules: plan.ingressRules.map((rule) => ({
      groupId: rule.securityGroupId,
      ipProtocol: rule.protocol,
      fromPort: rule.fromPort,
      toPort: rule.toPort,
      cidr: rule.cidr,
      description: ingressRuleDescription(plan.grantId),
    })),
    schedule: { ...plan.schedule },
    startsAt: plan.window.startAt,
    expiresAt: plan.window.expiresAt,
    hash,
  };
}

/** The plan for a person: what is created, and the hash to compare with the approval message. */
export function describePlan(view: PlanView): string[] {
  const rules = view.securityGroupRules.map(
    (r) => `    ${r.groupId}  ${r.ipProtocol} ${r.fromPort}-${r.toPort} from ${r.cidr}`,
  );
  return [
    `plan hash: ${view.hash}`,
    `window:    ${view.startsAt} until ${view.expiresAt}`,
    `role:      ${view.role.path}${view.role.name} (runs as ${view.role.tags.SSMSessionRunAs ?? '?'}, sessions up to ${view.role.maxSessionDuration / 3600} h)`,
    `boundary:  ${view.role.permissionsBoundary}`,
    `policy:    ${view.policies.map((p) => `${p.name} (${p.document.Statement.length} statements)`).join(', ')}`,
    rules.length > 0 ? `rules:\n${rules.join('\n')}` : 'rules:     none (Session Manager only)',
    `schedule:  ${view.schedule.groupName}/${view.schedule.name} ${view.schedule.expression}`,
  ];
}
