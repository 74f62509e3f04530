import type { VendorConfig } from '../lib/config/schema';
import { planGrant, type PlanContext } from '../lambdas/domain/planner';
import { checkQuotas, INBOUND_RULES_PER_SECURITY_GROUP, policySize } from '../lambdas/domain/quotas';
import type { GrantPlan, ResolvedTarget } from '../lambdas/domain/types';
import { stackConfig } from './stack-config';

export interface PolicyQuotas {
  /** Characters of the session policy (IAM counts them without whitespace; its limit is 10,240). */
  readonly inlinePolicyChars: {
    readonly instances1: number;
    readonly instances10: number;
    readonly instances100: number;
    readonly tagGroup: number;
  };
  /** The most instance ids one grant's session policy can name and still pass the quota check. */
  readonly largestInstanceListThatFits: number;
  /** EC2's 60 inbound rules per group, minus what one grant of the example vendor opens in each of its groups. */
  readonly sgRuleHeadroomPerGroup: number;
}

const VENDOR_ID = 'acme';
/**
 * A deployed stack's values at their real lengths, in a region with one of the longest names (14 characters): each
 * instance ARN carries the region, so a shorter region fits a few more instances. The session document is named by
 * CloudFormation (`<stack>-<logical id>-<12 characters>`), the key ARN ends in a 36-character key id.
 */
const ACCOUNT = '111122223333';
const REGION = 'ap-southeast-2';
const WINDOW = { startAt: '2026-03-09T08:00:00.000Z', expiresAt: '2026-03-09T16:00:00.000Z' };

function planContext(securityGroups: Readonly<Record<string, string>>): PlanContext {
  return {
    env: { accountId: ACCOUNT, region: REGION, partition: 'aws' },
    iamPath: '/jit-access/',
    permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/JitAccess-GrantPermissionsBoundary0A1B2C3D-AbCdEfGhIjKl`,
    sessionDocumentName: 'JitAccess-SessionLoggingDocument5F1E2D3C-AbCdEfGhIjKl',
    sessionKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`,
    scheduleGroupName: 'jit-access',
    securityGroups,
  };
}

/** `i-` and 17 hex digits, as EC2 names instances today. */
function instanceId(index: number): string {
  return `i-${index.toString(16).padStart(17, '0')}`;
}

/**
 * Session policy sizes, the largest instance list that fits, and security group rule headroom, for grants of the
 * example vendor (all its ports) planned by the real planner and checked by the real quota check.
 */
export function measurePolicyQuotas(): PolicyQuotas {
  const config = stackConfig();
  const vendor = config.vendors.find((v) => v.id === VENDOR_ID) as VendorConfig;
  const groupName = vendor.eligibleTargetGroups[0] as string;
  const group = config.targetGroups.find((g) => g.name === groupName);
  if (!group) throw new Error(`target group ${groupName} of vendor ${VENDOR_ID} is not configured`);
  const securityGroups = Object.fromEntries(
    config.targetGroups.map((g, i) => [g.name, `sg-${(i + 1).toString(16).padStart(17, '0')}`]),
  );
  const plan = (targets: readonly ResolvedTarget[]): GrantPlan =>
    planGrant({ grantId: 'g-0123456789', ports: vendor.ports }, targets, vendor, WINDOW, planContext(securityGroups));
  const forInstances = (count: number) =>
    plan([
      {
        kind: 'instances',
        targetGroup: group.name,
        instanceIds: Array.from({ length: count }, (_, i) => instanceId(i)),
      },
    ]);
  const chars = (grant: GrantPlan) => policySize(grant.role.inlinePolicy);
  const fits = (count: number) => {
    try {
      checkQuotas(forInstances(count), {});
      return true;
    } catch {
      return false;
    }
  };

  // Double until a list does not fit, then halve the gap: the answer is the last count that fits.
  let tooMany = 1;
  while (fits(tooMany)) tooMany *= 2;
  let fitting = tooMany / 2;
  while (tooMany - fitting > 1) {
    const middle = Math.floor((fitting + tooMany) / 2);
    if (fits(middle)) fitting = middle;
    else tooMany = middle;
  }

  const rulesPerGroup = new Map<string, number>();
  for (const rule of forInstances(1).ingressRules) {
    rulesPerGroup.set(rule.securityGroupId, (rulesPerGroup.get(rule.securityGroupId) ?? 0) + 1);
  }
  return {
    inlinePolicyChars: {
      instances1: chars(forInstances(1)),
      instances10: chars(forInstances(10)),
      instances100: chars(forInstances(100)),
      tagGroup: chars(
        plan([{ kind: 'group', targetGroup: group.name, tagKey: group.tagKey, tagValue: group.tagValue }]),
      ),
    },
    largestInstanceListThatFits: fitting,
    sgRuleHeadroomPerGroup: INBOUND_RULES_PER_SECURITY_GROUP - Math.max(0, ...rulesPerGroup.values()),
  };
}
