import type { VendorConfig } from '../../lib/config/schema';
import type {
  AccessRequest,
  Environment,
  GrantPlan,
  GrantWindow,
  IngressRule,
  PolicyDocument,
  PolicyStatement,
  ResolvedTarget,
} from './types';
import { GRANT_ID_PATTERN } from './types';
import { atExpression, roleSessionSeconds } from './expiry';

/** AWS-owned session documents whose sessions are not recorded (port forwarding, SSH, commands). */
export const UNRECORDED_SESSION_DOCUMENTS = [
  'AWS-StartPortForwardingSession',
  'AWS-StartPortForwardingSessionToRemoteHost',
  'AWS-StartPortForwardingSessionToSocket',
  'AWS-StartSSHSession',
  'AWS-StartInteractiveCommand',
  'AWS-StartNonInteractiveCommand',
] as const;

export const GRANT_TAG = 'jit-access:grant-id';
export const MANAGED_TAG = 'jit-access:managed';
export const RUN_AS_TAG = 'SSMSessionRunAs';
export const VENDOR_TAG = 'jit-access:vendor';
export const EXPIRES_TAG = 'jit-access:expires-at';
/** Every tag a grant role carries; the grant Lambda's IAM policy allows no other key. */
export const GRANT_ROLE_TAG_KEYS = [RUN_AS_TAG, GRANT_TAG, MANAGED_TAG, VENDOR_TAG, EXPIRES_TAG] as const;
export const INLINE_POLICY_NAME = 'jit-session-access';

/** What of a request the plan depends on: its id (names) and its ports (rules). */
export type PlannedRequest = Pick<AccessRequest, 'grantId' | 'ports'>;

/** The description of every ingress rule a grant opens (EC2 shows it beside the rule). */
export function ingressRuleDescription(grantId: string): string {
  return `jit-access grant ${grantId}`;
}

/** EC2's longest security-group rule description. */
const RULE_DESCRIPTION_MAX = 255;

/**
 * The description of a rule as its holders change: the grants that hold it now, sorted, as many as fit in EC2's 255
 * characters and how many more. One holder reads as a rule of that grant alone.
 */
export function heldIngressRuleDescription(holders: readonly string[]): string {
  const sorted = [...new Set(holders)].sort();
  if (sorted.length === 1) return ingressRuleDescription(sorted[0] as string);
  for (let shown = sorted.length; shown > 0; shown--) {
    const more = sorted.length - shown;
    const text = `jit-access grants ${sorted.slice(0, shown).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    if (text.length <= RULE_DESCRIPTION_MAX) return text;
  }
  return `jit-access grants: ${sorted.length}`;
}

/** Stack facts the planner needs: where the grant lives and what it may use. */
export interface PlanContext {
  readonly env: Environment;
  readonly iamPath: string;
  readonly permissionsBoundaryArn: string;
  readonly sessionDocumentName: string;
  readonly sessionKeyArn: string;
  readonly scheduleGroupName: string;
  /** JIT ingress security group per target group name. */
  readonly securityGroups: Readonly<Record<string, string>>;
}

export function roleNameFor(grantId: string): string {
  return `jit-${grantId}`;
}

export function scheduleNameFor(grantId: string): string {
  return `jit-${grantId}`;
}

/** The grant id in a role or schedule name `jit-<grantId>`, or undefined for names jit-access did not make. */
export function grantIdFromName(name: string): string | undefined {
  const grantId = name.startsWith('jit-') ? name.slice(4) : undefined;
  return grantId && GRANT_ID_PATTERN.test(grantId) ? grantId : undefined;
}

/** The one plan for a grant: approvers are shown it, and the grant Lambda creates exactly it. */
export function planGrant(
  request: PlannedRequest,
  targets: readonly ResolvedTarget[],
  vendor: VendorConfig,
  window: GrantWindow,
  context: PlanContext,
): GrantPlan {
  const roleName = roleNameFor(request.grantId);
  return {
    grantId: request.grantId,
    vendorId: vendor.id,
    window,
    role: {
      name: roleName,
      path: context.iamPath,
      maxSessionDurationSeconds: roleSessionSeconds(window),
      permissionsBoundaryArn: context.permissionsBoundaryArn,
      tags: {
        [RUN_AS_TAG]: vendor.osUser,
        [GRANT_TAG]: request.grantId,
        [MANAGED_TAG]: 'true',
        [VENDOR_TAG]: vendor.id,
        [EXPIRES_TAG]: window.expiresAt,
      },
      trustPolicy: trustPolicy(vendor, window),
      inlinePolicyName: INLINE_POLICY_NAME,
      inlinePolicy: sessionPolicy(targets, window, context, vendor.allowedCidrs),
    },
    ingressRules: ingressRules(request, targets, vendor, context),
    schedule: {
      name: scheduleNameFor(request.grantId),
      groupName: context.scheduleGroupName,
      expression: atExpression(window.expiresAt),
    },
  };
}

function timeWindow(window: GrantWindow): Record<string, Record<string, string>> {
  return {
    DateGreaterThan: { 'aws:CurrentTime': window.startAt },
    DateLessThan: { 'aws:CurrentTime': window.expiresAt },
  };
}

/** How long an MFA sign-in stays good for assuming a grant role: one hour, the shortest role session. */
export const MFA_MAX_AGE_SECONDS = 3600;

/**
 * Who may assume the grant role: the vendor's principals, with its external id, from its CIDRs, inside the window,
 * with a recent MFA sign-in where the vendor needs it. Session tags and a source identity set by the caller are denied:
 * neither may stand in for, or hide, who the vendor is.
 */
export function trustPolicy(vendor: VendorConfig, window: GrantWindow): PolicyDocument {
  const condition: Record<string, Record<string, string | readonly string[]>> = {
    StringEquals: { 'sts:ExternalId': vendor.externalId },
    IpAddress: { 'aws:SourceIp': vendor.allowedCidrs },
    ...timeWindow(window),
  };
  if (vendor.requireMfa) {
    condition.Bool = { 'aws:MultiFactorAuthPresent': 'true' };
    condition.NumericLessThan = { 'aws:MultiFactorAuthAge': String(MFA_MAX_AGE_SECONDS) };
  }
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'VendorAssumesWithinWindow',
        Effect: 'Allow',
        Principal: { AWS: vendor.principals },
        Action: 'sts:AssumeRole',
        Condition: condition,
      },
      {
        Sid: 'NoCallerChosenSessionTagsOrSourceIdentity',
        Effect: 'Deny',
        Principal: { AWS: vendor.principals },
        Action: ['sts:TagSession', 'sts:SetSourceIdentity'],
      },
    ],
  };
}

function instanceArn(env: Environment, instanceId: string): string {
  return `arn:${env.partition}:ec2:${env.region}:${env.accountId}:instance/${instanceId}`;
}

/**
 * Session access only: the granted instances, only through the stack's recorded document, only until expiry, and
 * only from the vendor's own addresses (`IpAddress`, not `IfExists`: a call through a VPC endpoint, where
 * `aws:SourceIp` is absent, is refused), so stolen credentials are useless elsewhere.
 */
export function sessionPolicy(
  targets: readonly ResolvedTarget[],
  window: GrantWindow,
  context: PlanContext,
  vendorCidrs: readonly string[],
): PolicyDocument {
  const { env } = context;
  const bounded = { ...timeWindow(window), IpAddress: { 'aws:SourceIp': vendorCidrs } };
  // Without this, a StartSession call that names no document silently uses the default (unrecorded) shell document.
  const documentCheck = { BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } };
  const instanceIds = targets.flatMap((t) => (t.kind === 'instances' ? t.instanceIds : []));
  const groups = targets.filter((t): t is Extract<ResolvedTarget, { kind: 'group' }> => t.kind === 'group');
  const statements: PolicyStatement[] = [];
  if (instanceIds.length > 0) {
    statements.push({
      Sid: 'StartSessionOnGrantedInstances',
      Effect: 'Allow',
      Action: 'ssm:StartSession',
      Resource: instanceIds.map((id) => instanceArn(env, id)),
      Condition: { ...bounded, ...documentCheck },
    });
  }
  groups.forEach((group, index) => {
    statements.push({
      Sid: `StartSessionOnTargetGroup${index}`,
      Effect: 'Allow',
      Action: 'ssm:StartSession',
      Resource: instanceArn(env, '*'),
      Condition: {
        ...bounded,
        ...documentCheck,
        StringEquals: { [`ssm:resourceTag/${group.tagKey}`]: group.tagValue },
      },
    });
  });
  statements.push(
    {
      Sid: 'StartSessionWithRecordedDocumentOnly',
      Effect: 'Allow',
      Action: 'ssm:StartSession',
      Resource: `arn:${env.partition}:ssm:${env.region}:${env.accountId}:document/${context.sessionDocumentName}`,
      Condition: { ...bounded, ...documentCheck },
    },
    {
      Sid: 'ManageOwnSessionsOnly',
      Effect: 'Allow',
      Action: ['ssm:TerminateSession', 'ssm:ResumeSession'],
      Resource: `arn:${env.partition}:ssm:${env.region}:${env.accountId}:session/*`,
      Condition: { ...bounded, StringLike: { 'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}' } },
    },
    {
      Sid: 'EncryptSessionWithStackKey',
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: context.sessionKeyArn,
      Condition: bounded,
    },
    {
      Sid: 'DenyUnrecordedSessionDocuments',
      Effect: 'Deny',
      Action: 'ssm:StartSession',
      Resource: UNRECORDED_SESSION_DOCUMENTS.map((doc) => `arn:${env.partition}:ssm:${env.region}::document/${doc}`),
    },
  );
  return { Version: '2012-10-17', Statement: statements };
}

/** One rule per vendor CIDR and requested port range, in the JIT security group of each granted target group. */
export function ingressRules(
  request: PlannedRequest,
  targets: readonly ResolvedTarget[],
  vendor: VendorConfig,
  context: PlanContext,
): IngressRule[] {
  const ports = request.ports ?? [];
  const groups = [...new Set(targets.map((t) => t.targetGroup))];
  return groups.flatMap((group) => {
    const securityGroupId = context.securityGroups[group];
    if (!securityGroupId) throw new Error(`no JIT security group is deployed for target group "${group}"`);
    return ports.flatMap((port) =>
      vendor.allowedCidrs.map((cidr) => ({
        securityGroupId,
        protocol: port.protocol,
        fromPort: port.fromPort,
        toPort: port.toPort,
        cidr,
      })),
    );
  });
}

/**
 * The policy revoke puts on the role first, in place of the session policy. Unconditional, it covers credentials
 * already issued (what an `aws:TokenIssueTime` deny does) and also any the vendor obtains between this step and the
 * role's deletion.
 */
export function revokedRolePolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'DenyEverythingOnceRevoked', Effect: 'Deny', Action: '*', Resource: '*' }],
  };
}

/**
 * Whether two plans create the same things, apart from their time window. The grant re-plans with the window fixed
 * at grant time; anything else that differs means the config changed after approvers saw the plan.
 */
export function samePlanApartFromWindow(a: GrantPlan, b: GrantPlan): boolean {
  const neutral = (plan: GrantPlan) =>
    JSON.stringify(plan)
      .split(plan.schedule.expression)
      .join('<at>')
      .split(plan.window.startAt)
      .join('<start>')
      .split(plan.window.expiresAt)
      .join('<expiry>');
  return neutral(a) === neutral(b);
}

/** A stable key for an ingress rule, shared by every grant that holds the same rule. */
export function ingressRuleKey(rule: IngressRule): string {
  return `${rule.securityGroupId}|${rule.protocol}|${rule.fromPort}|${rule.toPort}|${rule.cidr}`;
}

/** Whether two rules open the same thing (same group, protocol, ports and CIDR), whatever their ids or tags. */
export function sameIngressRule(a: IngressRule, b: IngressRule): boolean {
  return ingressRuleKey(a) === ingressRuleKey(b);
}
