import { ValidationError } from './errors';
import type { GrantPlan } from './types';

/** IAM: a role's inline policies may hold 10,240 characters in all (whitespace not counted). */
export const INLINE_POLICY_CHAR_LIMIT = 10_240;
/** IAM: a trust policy may hold 2,048 characters by default (whitespace not counted). */
export const TRUST_POLICY_CHAR_LIMIT = 2_048;
/** EC2: 60 inbound rules per security group (IPv4), by default. */
export const INBOUND_RULES_PER_SECURITY_GROUP = 60;

export function policySize(document: object): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}

/**
 * Refuses a plan AWS would reject half-way: a policy over IAM's size limits, or more temporary rules than the
 * security group has room for. Rules already held by another grant are counted again (conservative).
 */
export function checkQuotas(plan: GrantPlan, inboundRuleCounts: Readonly<Record<string, number>>): void {
  const inline = policySize(plan.role.inlinePolicy);
  // Revoke replaces the session policy with its (smaller) deny, so the session policy alone must fit.
  if (inline > INLINE_POLICY_CHAR_LIMIT) {
    throw new ValidationError(
      'targets',
      'POLICY_TOO_LARGE',
      `the session policy would be ${inline} characters, over IAM's ${INLINE_POLICY_CHAR_LIMIT}: request fewer instances, or a whole target group ("group:<name>")`,
    );
  }
  const trust = policySize(plan.role.trustPolicy);
  if (trust > TRUST_POLICY_CHAR_LIMIT) {
    throw new ValidationError(
      'vendorId',
      'TRUST_POLICY_TOO_LARGE',
      `the trust policy would be ${trust} characters, over IAM's ${TRUST_POLICY_CHAR_LIMIT}: list fewer principals or CIDRs for this vendor`,
    );
  }
  const newRules = new Map<string, number>();
  for (const rule of plan.ingressRules)
    newRules.set(rule.securityGroupId, (newRules.get(rule.securityGroupId) ?? 0) + 1);
  for (const [securityGroupId, added] of newRules) {
    const existing = inboundRuleCounts[securityGroupId] ?? 0;
    if (existing + added > INBOUND_RULES_PER_SECURITY_GROUP) {
      throw new ValidationError(
        'ports',
        'SECURITY_GROUP_FULL',
        `${securityGroupId} holds ${existing} inbound rules and this grant adds ${added}, over the ${INBOUND_RULES_PER_SECURITY_GROUP} allowed: request fewer ports or wait for other grants to end`,
      );
    }
  }
}
