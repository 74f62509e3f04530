import type { VendorConfig } from '../../lib/config/schema';
import { ValidationError } from '../../lambdas/domain/errors';
import { planGrant, type PlanContext } from '../../lambdas/domain/planner';
import { checkQuotas, policySize } from '../../lambdas/domain/quotas';
import type { AccessRequest, GrantPlan, PolicyDocument, PortRequest } from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';
import { DANA } from '../helpers/handler-deps';

const BILLING_SG = 'sg-0123456789abcdef0';

const CONTEXT: PlanContext = {
  env: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws' },
  iamPath: '/jit-access/',
  permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary',
  sessionDocumentName: 'JitAccess-VendorShell',
  sessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  scheduleGroupName: 'jit-access',
  securityGroups: { 'billing-db': BILLING_SG },
};

/** Three ports from acme's two CIDRs: six new rules in the billing-db security group. */
const THREE_PORTS: readonly PortRequest[] = [
  { protocol: 'tcp', fromPort: 5432, toPort: 5432 },
  { protocol: 'tcp', fromPort: 5433, toPort: 5433 },
  { protocol: 'tcp', fromPort: 6432, toPort: 6432 },
];

function instanceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `i-0${String(i).padStart(16, '0')}`);
}

function acme(change?: Parameters<typeof exampleConfig>[0]): VendorConfig {
  const vendor = exampleConfig(change).vendors.find((v) => v.id === 'acme');
  if (!vendor) throw new Error('the example config has no vendor "acme"');
  return vendor;
}

function plan(options: { instances?: number; ports?: readonly PortRequest[]; vendor?: VendorConfig } = {}): GrantPlan {
  const ids = instanceIds(options.instances ?? 1);
  const request: AccessRequest = {
    grantId: 'grant-20300301-0001',
    vendorId: 'acme',
    requester: DANA,
    targets: ids,
    durationMinutes: 60,
    ticket: 'CHG-1234',
    reason: 'Investigate slow billing queries',
    ports: options.ports ?? [],
  };
  return planGrant(
    request,
    [{ kind: 'instances', targetGroup: 'billing-db', instanceIds: ids }],
    options.vendor ?? acme(),
    { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' },
    CONTEXT,
  );
}

/** A policy document of exactly `size` characters (whitespace not counted). */
function policyOf(size: number): PolicyDocument {
  const frame = '{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"ssm:StartSession"}]}';
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'A'.repeat(size - frame.length), Effect: 'Allow', Action: 'ssm:StartSession' }],
  };
}

/** A plan whose session policy is exactly `size` characters (whitespace not counted). */
function planWithSessionPolicyOf(size: number): GrantPlan {
  const base = plan();
  return { ...base, role: { ...base.role, inlinePolicy: policyOf(size) } };
}

/** A plan whose trust policy is exactly `size` characters (whitespace not counted). */
function planWithTrustPolicyOf(size: number): GrantPlan {
  const base = plan();
  return { ...base, role: { ...base.role, trustPolicy: policyOf(size) } };
}

/** The ValidationError `act` throws; any other outcome fails the test. */
function validationErrorOf(act: () => unknown): ValidationError {
  try {
    act();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

describe('checkQuotas', () => {
  test('accepts a plan for a few instances in an empty security group', () => {
    // Prepare
    const smallPlan = plan({ instances: 3, ports: THREE_PORTS });

    // Act
    const act = () => checkQuotas(smallPlan, {});

    // Assess
    expect(act).not.toThrow();
  });

  test('refuses a session policy over 10,240 characters on the targets field', () => {
    // Prepare
    const largePlan = plan({ instances: 200 });

    // Act
    const error = validationErrorOf(() => checkQuotas(largePlan, {}));

    // Assess
    expect(error).toMatchObject({ field: 'targets', code: 'POLICY_TOO_LARGE' });
    expect(error.message).toContain("over IAM's 10240");
    expect(error.message).toContain('"group:<name>"');
  });

  // IAM counts a role's inline policies together against 10,240 characters; revoke replaces the session policy with
  // its deny instead of adding one beside it, so the session policy may use all of them.
  test('refuses a session policy one character over IAM limit of a role inline policies', () => {
    // Prepare
    const crowdedPlan = planWithSessionPolicyOf(10_241);

    // Act
    const error = validationErrorOf(() => checkQuotas(crowdedPlan, {}));

    // Assess
    expect(error).toMatchObject({ field: 'targets', code: 'POLICY_TOO_LARGE' });
    expect(error.message).toContain("would be 10241 characters, over IAM's 10240");
  });

  test('accepts a session policy of exactly IAM limit', () => {
    // Prepare
    const fullPlan = planWithSessionPolicyOf(10_240);

    // Act
    const act = () => checkQuotas(fullPlan, {});

    // Assess
    expect(act).not.toThrow();
  });

  test('refuses a trust policy over 2,048 characters on the vendorId field', () => {
    // Prepare
    const crowdedVendor = acme((raw) => {
      raw.vendors[0]!.principals = Array.from(
        { length: 40 },
        (_, i) => `arn:aws:iam::444455556666:role/AcmeSupportEngineer${i}`,
      );
    });

    // Act
    const error = validationErrorOf(() => checkQuotas(plan({ vendor: crowdedVendor }), {}));

    // Assess
    expect(error).toMatchObject({ field: 'vendorId', code: 'TRUST_POLICY_TOO_LARGE' });
  });

  test('refuses a trust policy one character over IAM limit, saying how to shrink it', () => {
    // Prepare
    const crowdedPlan = planWithTrustPolicyOf(2_049);

    // Act
    const error = validationErrorOf(() => checkQuotas(crowdedPlan, {}));

    // Assess
    expect(error.message).toBe(
      "vendorId: the trust policy would be 2049 characters, over IAM's 2048: list fewer principals or CIDRs for this vendor",
    );
  });

  test('accepts a trust policy of exactly IAM limit', () => {
    // Prepare
    const fullPlan = planWithTrustPolicyOf(2_048);

    // Act
    const act = () => checkQuotas(fullPlan, {});

    // Assess
    expect(act).not.toThrow();
  });

  test('refuses six new rules in a security group that already holds 55', () => {
    // Prepare
    const sixRules = plan({ ports: THREE_PORTS });

    // Act
    const error = validationErrorOf(() => checkQuotas(sixRules, { [BILLING_SG]: 55 }));

    // Assess
    expect(error).toMatchObject({ field: 'ports', code: 'SECURITY_GROUP_FULL' });
    expect(error.message).toContain(`${BILLING_SG} holds 55 inbound rules and this grant adds 6`);
  });

  test('accepts six new rules in a security group that already holds 54', () => {
    // Prepare
    const sixRules = plan({ ports: THREE_PORTS });

    // Act
    const act = () => checkQuotas(sixRules, { [BILLING_SG]: 54 });

    // Assess
    expect(act).not.toThrow();
  });

  test('ignores the rule count of a security group the plan adds nothing to', () => {
    // Prepare
    const sixRules = plan({ ports: THREE_PORTS });

    // Act
    const act = () => checkQuotas(sixRules, { [BILLING_SG]: 0, 'sg-0aaaaaaaaaaaaaaaa': 60 });

    // Assess
    expect(act).not.toThrow();
  });
});

describe('policySize', () => {
  test('counts the characters of the compact JSON', () => {
    // Prepare
    const document = { Version: '2012-10-17' };

    // Act
    const size = policySize(document);

    // Assess
    expect(size).toBe('{"Version":"2012-10-17"}'.length);
  });

  test('does not count whitespace', () => {
    // Prepare
    const spaced = { Sid: 'Allow session start', Action: ' ssm:StartSession ' };

    // Act
    const size = policySize(spaced);

    // Assess
    expect(size).toBe('{"Sid":"Allowsessionstart","Action":"ssm:StartSession"}'.length);
  });
});
