/**
 * Properties that must hold for any config, checked over two unlike ones (test/helpers/config-fixture.ts): the
 * cdk.json example (two approvals of three, vendors with and without ports) and a second config (three approvals of
 * four, another IAM path, a shell-only vendor without MFA, a vendor with several ports and ranges). A rule written
 * for the example's numbers alone (say, "two approvals") fails here.
 */
import type { JitAccessConfig, VendorConfig } from '../../lib/config/schema';
import { assertMayVote, countedApprovals, hasEnoughApprovals } from '../../lambdas/domain/approval-rules';
import { ApprovalError, ValidationError } from '../../lambdas/domain/errors';
import type { Caller } from '../../lambdas/domain/identity';
import { planGrant, type PlanContext } from '../../lambdas/domain/planner';
import {
  checkQuotas,
  INBOUND_RULES_PER_SECURITY_GROUP,
  INLINE_POLICY_CHAR_LIMIT,
  policySize,
  TRUST_POLICY_CHAR_LIMIT,
} from '../../lambdas/domain/quotas';
import { validateRequestBody } from '../../lambdas/domain/request-validation';
import type { GrantWindow, ResolvedTarget, Vote } from '../../lambdas/domain/types';
import { CONFIG_FIXTURES } from '../helpers/config-fixture';
import { ACCOUNT_ID, ALICE, BOB, CAROL, DANA, ERIN } from '../helpers/handler-deps';

const FRANK: Caller = { person: 'frank', arn: `arn:aws:iam::${ACCOUNT_ID}:user/frank` };
/** Every person either fixture names, with the ARN each signs with. */
const PEOPLE: readonly Caller[] = [ALICE, BOB, CAROL, DANA, ERIN, FRANK];
const PLAN_HASH = 'c'.repeat(64);
const WINDOW: GrantWindow = { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T12:00:00.000Z' };

function contextFor(config: JitAccessConfig): PlanContext {
  return {
    env: { accountId: ACCOUNT_ID, region: 'eu-west-1', partition: 'aws' },
    iamPath: config.iamPath,
    permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT_ID}:policy${config.iamPath}JitGrantBoundary`,
    sessionDocumentName: 'JitAccess-VendorShell',
    sessionKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    scheduleGroupName: 'jit-access',
    securityGroups: Object.fromEntries(
      config.targetGroups.map((group, i) => [group.name, `sg-0${String(i).padStart(16, '0')}`]),
    ),
  };
}

function approve(voter: Caller, planHash = PLAN_HASH): Vote {
  return { person: voter.person, arn: voter.arn, decision: 'approve', at: WINDOW.startAt, planHash };
}

/** Every subset of `items`. */
function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((subset) => [...subset, item])], [[]]);
}

const groupTarget = (config: JitAccessConfig, name: string): ResolvedTarget => {
  const group = config.targetGroups.find((g) => g.name === name);
  if (!group) throw new Error(`no target group ${name}`);
  return { kind: 'group', targetGroup: name, tagKey: group.tagKey, tagValue: group.tagValue };
};

describe.each(CONFIG_FIXTURES)('for %s', (_name, makeConfig) => {
  const config = makeConfig();
  const needed = config.approvers.minApprovals;
  const approvers = PEOPLE.filter((p) => config.approvers.people.includes(p.person));
  const requesters = [DANA, ...approvers];

  describe('approval', () => {
    test.each(requesters.map((r) => [r.person, r] as const))(
      'a request by %s is approved by exactly minApprovals distinct approvers who are not the requester, never fewer',
      (_person, requester) => {
        // Prepare
        const context = { requester: requester.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID };

        // Act
        const outcomes = subsets(approvers).map((voters) => {
          // Each voter votes twice, the requester and a non-approver vote too, and one vote is for another plan.
          const votes = [
            ...voters.flatMap((v) => [approve(v), approve(v)]),
            approve(requester),
            approve(ERIN),
            ...approvers.filter((a) => !voters.includes(a)).map((a) => approve(a, 'd'.repeat(64))),
          ];
          const counted = countedApprovals(votes, context, config);
          const eligible = voters.filter((v) => v.person !== requester.person).length;
          return { counted, eligible, approved: hasEnoughApprovals(counted, needed) };
        });

        // Assess
        for (const { counted, eligible, approved } of outcomes) {
          expect(counted).toHaveLength(eligible);
          expect(counted).not.toContain(requester.person);
          expect(approved).toBe(eligible >= needed);
        }
        expect(outcomes.some((o) => o.approved && o.eligible === needed)).toBe(true);
        expect(outcomes.some((o) => !o.approved && o.eligible === needed - 1)).toBe(true);
      },
    );

    test('an approver may never vote on their own request', () => {
      // Act
      const refusals = approvers.map((a) => {
        try {
          assertMayVote(a.person, { requester: a.person, status: 'PENDING' }, config);
          return 'allowed';
        } catch (error) {
          return error instanceof ApprovalError ? error.code : String(error);
        }
      });

      // Assess
      expect(refusals).toEqual(approvers.map(() => 'SELF_APPROVAL'));
    });
  });

  describe.each(config.vendors.map((v) => [v.id, v] as const))('vendor %s', (_id, vendor: VendorConfig) => {
    const context = contextFor(config);
    const plans = vendor.eligibleTargetGroups.map((group) =>
      planGrant(
        { grantId: 'grant-props-0001', ports: vendor.ports },
        [groupTarget(config, group)],
        vendor,
        WINDOW,
        context,
      ),
    );

    test('gets one ingress rule per allowed port range and range of its own, in the target group’s JIT group', () => {
      // Assess
      plans.forEach((plan, i) => {
        const securityGroupId = context.securityGroups[vendor.eligibleTargetGroups[i] as string];
        expect(plan.ingressRules).toHaveLength(vendor.ports.length * vendor.allowedCidrs.length);
        for (const rule of plan.ingressRules) {
          expect(rule.securityGroupId).toBe(securityGroupId);
          expect(vendor.allowedCidrs).toContain(rule.cidr);
          expect(vendor.ports).toContainEqual({
            protocol: rule.protocol,
            fromPort: rule.fromPort,
            toPort: rule.toPort,
          });
        }
      });
    });

    test('with no ports allowed, gets no ingress rule and may not ask for one', () => {
      // Act
      const asking = () =>
        validateRequestBody(
          {
            vendorId: vendor.id,
            targets: [`group:${vendor.eligibleTargetGroups[0] as string}`],
            durationMinutes: 60,
            ticket: 'CHG-1',
            reason: 'a property test',
            ports: [{ protocol: 'tcp', fromPort: 22, toPort: 22 }],
          },
          vendor,
          { config, now: new Date(WINDOW.startAt), instances: [] },
        );

      // Assess
      if (vendor.ports.length === 0) {
        expect(plans.map((plan) => plan.ingressRules)).toEqual(plans.map(() => []));
        expect(asking).toThrow(expect.objectContaining({ field: 'ports[0]', code: 'PORT_NOT_ALLOWED' }) as Error);
      } else {
        expect(plans.every((plan) => plan.ingressRules.length > 0)).toBe(true);
        expect(asking).toThrow(ValidationError);
      }
    });

    test('gets a plan within IAM’s and EC2’s limits, under the config’s IAM path, with MFA exactly as configured', () => {
      // Assess
      for (const plan of plans) {
        expect(() => checkQuotas(plan, {})).not.toThrow();
        expect(policySize(plan.role.inlinePolicy)).toBeLessThanOrEqual(INLINE_POLICY_CHAR_LIMIT);
        expect(policySize(plan.role.trustPolicy)).toBeLessThanOrEqual(TRUST_POLICY_CHAR_LIMIT);
        expect(plan.ingressRules.length).toBeLessThanOrEqual(INBOUND_RULES_PER_SECURITY_GROUP);
        expect(plan.role.path).toBe(config.iamPath);
        expect(plan.role.maxSessionDurationSeconds).toBeGreaterThanOrEqual(3_600);
        expect(plan.role.maxSessionDurationSeconds).toBeLessThanOrEqual(43_200);
        const conditions = JSON.stringify(plan.role.trustPolicy.Statement.map((s) => s.Condition));
        expect(conditions.includes('aws:MultiFactorAuthPresent')).toBe(vendor.requireMfa);
      }
    });
  });
});
