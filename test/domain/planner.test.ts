import type { VendorConfig } from '../../lib/config/schema';
import {
  grantIdFromName,
  heldIngressRuleDescription,
  ingressRuleDescription,
  ingressRuleKey,
  ingressRules,
  planGrant,
  revokedRolePolicy,
  roleNameFor,
  sameIngressRule,
  samePlanApartFromWindow,
  sessionPolicy,
  trustPolicy,
  type PlanContext,
} from '../../lambdas/domain/planner';
import type {
  AccessRequest,
  GrantPlan,
  GrantWindow,
  IngressRule,
  PolicyStatement,
  ResolvedTarget,
} from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';
import { DANA } from '../helpers/handler-deps';

const GRANT_ID = 'grant-20300301-0001';
const BILLING_1 = 'i-0aaaaaaaaaaaaaaa1';
const BILLING_2 = 'i-0bbbbbbbbbbbbbbb2';
const BILLING_SG = 'sg-0123456789abcdef0';
const WEB_SG = 'sg-0fedcba9876543210';
const SESSION_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BOUNDARY_ARN = 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary';

/** The acme vendor's egress ranges in the cdk.json example: every Allow of a session policy is bounded by them. */
const VENDOR_CIDRS = ['203.0.113.0/24', '198.51.100.16/28'];
const WINDOW: GrantWindow = { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T12:00:00.000Z' };

const CONTEXT: PlanContext = {
  env: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws' },
  iamPath: '/jit-access/',
  permissionsBoundaryArn: BOUNDARY_ARN,
  sessionDocumentName: 'JitAccess-VendorShell',
  sessionKeyArn: SESSION_KEY_ARN,
  scheduleGroupName: 'jit-access',
  securityGroups: { 'billing-db': BILLING_SG, 'web-frontend': WEB_SG },
};

const BILLING_INSTANCES: ResolvedTarget = {
  kind: 'instances',
  targetGroup: 'billing-db',
  instanceIds: [BILLING_1, BILLING_2],
};
const WEB_GROUP: ResolvedTarget = {
  kind: 'group',
  targetGroup: 'web-frontend',
  tagKey: 'jit-access:target-group',
  tagValue: 'web-frontend',
};
const BILLING_GROUP: ResolvedTarget = {
  kind: 'group',
  targetGroup: 'billing-db',
  tagKey: 'jit-access:target-group',
  tagValue: 'billing-db',
};

const UNRECORDED_DOCUMENT_ARNS = [
  'arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSession',
  'arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSessionToRemoteHost',
  'arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSessionToSocket',
  'arn:aws:ssm:eu-west-1::document/AWS-StartSSHSession',
  'arn:aws:ssm:eu-west-1::document/AWS-StartInteractiveCommand',
  'arn:aws:ssm:eu-west-1::document/AWS-StartNonInteractiveCommand',
];

function vendor(id: string, config = exampleConfig()): VendorConfig {
  const found = config.vendors.find((v) => v.id === id);
  if (!found) throw new Error(`the example config has no vendor "${id}"`);
  return found;
}

function accessRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    grantId: GRANT_ID,
    vendorId: 'acme',
    requester: DANA,
    targets: [BILLING_1, BILLING_2],
    durationMinutes: 120,
    startAt: '2030-03-01T10:00:00Z',
    ticket: 'CHG-1234',
    reason: 'Investigate slow billing queries',
    ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
    ...overrides,
  };
}

function allowStatements(statements: readonly PolicyStatement[]): PolicyStatement[] {
  return statements.filter((s) => s.Effect === 'Allow');
}

function actionsOf(statement: PolicyStatement): readonly string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}

describe('trustPolicy', () => {
  test('lets the vendor principals assume the role with the external id, from its CIDRs, with a recent MFA, inside the window, and denies caller-chosen session tags and source identity', () => {
    // Prepare
    const acme = vendor('acme');

    // Act
    const policy = trustPolicy(acme, WINDOW);

    // Assess
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'VendorAssumesWithinWindow',
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::444455556666:role/AcmeSupportEngineers'] },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'sts:ExternalId': 'acme-7f3c9a1e5b2d' },
            IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.16/28'] },
            Bool: { 'aws:MultiFactorAuthPresent': 'true' },
            NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' },
            DateGreaterThan: { 'aws:CurrentTime': '2030-03-01T10:00:00.000Z' },
            DateLessThan: { 'aws:CurrentTime': '2030-03-01T12:00:00.000Z' },
          },
        },
        {
          Sid: 'NoCallerChosenSessionTagsOrSourceIdentity',
          Effect: 'Deny',
          Principal: { AWS: ['arn:aws:iam::444455556666:role/AcmeSupportEngineers'] },
          Action: ['sts:TagSession', 'sts:SetSourceIdentity'],
        },
      ],
    });
  });

  test('asks for no MFA when the vendor does not require it', () => {
    // Prepare
    const acme = vendor(
      'acme',
      exampleConfig((raw) => {
        raw.vendors[0]!.requireMfa = false;
      }),
    );

    // Act
    const policy = trustPolicy(acme, WINDOW);

    // Assess
    expect(policy.Statement[0]!.Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'acme-7f3c9a1e5b2d' },
      IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.16/28'] },
      DateGreaterThan: { 'aws:CurrentTime': '2030-03-01T10:00:00.000Z' },
      DateLessThan: { 'aws:CurrentTime': '2030-03-01T12:00:00.000Z' },
    });
  });
});

describe('sessionPolicy', () => {
  test('allows sessions on the granted instances only through the recorded document, until expiry, from the vendor addresses', () => {
    // Prepare
    const targets = [BILLING_INSTANCES];

    // Act
    const policy = sessionPolicy(targets, WINDOW, CONTEXT, VENDOR_CIDRS);

    // Assess
    const bounded = {
      DateGreaterThan: { 'aws:CurrentTime': '2030-03-01T10:00:00.000Z' },
      DateLessThan: { 'aws:CurrentTime': '2030-03-01T12:00:00.000Z' },
      IpAddress: { 'aws:SourceIp': VENDOR_CIDRS },
    };
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'StartSessionOnGrantedInstances',
          Effect: 'Allow',
          Action: 'ssm:StartSession',
          Resource: [
            'arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1',
            'arn:aws:ec2:eu-west-1:111122223333:instance/i-0bbbbbbbbbbbbbbb2',
          ],
          Condition: { ...bounded, BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } },
        },
        {
          Sid: 'StartSessionWithRecordedDocumentOnly',
          Effect: 'Allow',
          Action: 'ssm:StartSession',
          Resource: 'arn:aws:ssm:eu-west-1:111122223333:document/JitAccess-VendorShell',
          Condition: { ...bounded, BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } },
        },
        {
          Sid: 'ManageOwnSessionsOnly',
          Effect: 'Allow',
          Action: ['ssm:TerminateSession', 'ssm:ResumeSession'],
          Resource: 'arn:aws:ssm:eu-west-1:111122223333:session/*',
          Condition: {
            ...bounded,
            StringLike: { 'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}' },
          },
        },
        {
          Sid: 'EncryptSessionWithStackKey',
          Effect: 'Allow',
          Action: 'kms:GenerateDataKey',
          Resource: SESSION_KEY_ARN,
          Condition: bounded,
        },
        {
          Sid: 'DenyUnrecordedSessionDocuments',
          Effect: 'Deny',
          Action: 'ssm:StartSession',
          Resource: UNRECORDED_DOCUMENT_ARNS,
        },
      ],
    });
  });

  test('allows sessions on a whole target group by its tag instead of instance ARNs', () => {
    // Prepare
    const targets = [WEB_GROUP];

    // Act
    const policy = sessionPolicy(targets, WINDOW, CONTEXT, VENDOR_CIDRS);

    // Assess
    expect(policy.Statement[0]).toEqual({
      Sid: 'StartSessionOnTargetGroup0',
      Effect: 'Allow',
      Action: 'ssm:StartSession',
      Resource: 'arn:aws:ec2:eu-west-1:111122223333:instance/*',
      Condition: {
        DateGreaterThan: { 'aws:CurrentTime': '2030-03-01T10:00:00.000Z' },
        DateLessThan: { 'aws:CurrentTime': '2030-03-01T12:00:00.000Z' },
        IpAddress: { 'aws:SourceIp': VENDOR_CIDRS },
        BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' },
        StringEquals: { 'ssm:resourceTag/jit-access:target-group': 'web-frontend' },
      },
    });
  });

  test('bounds every Allow by the vendor addresses with IpAddress, never IfExists (a VPC endpoint call fails closed)', () => {
    // Act
    const policy = sessionPolicy([BILLING_INSTANCES, WEB_GROUP], WINDOW, CONTEXT, VENDOR_CIDRS);

    // Assess
    const allows = policy.Statement.filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(3);
    for (const statement of allows) {
      expect(statement.Condition?.IpAddress).toEqual({ 'aws:SourceIp': VENDOR_CIDRS });
      expect(Object.keys(statement.Condition ?? {}).filter((op) => op.startsWith('IpAddressIfExists'))).toEqual([]);
    }
  });

  test('grants no instance by ARN when only a target group is requested', () => {
    // Prepare
    const targets = [WEB_GROUP];

    // Act
    const policy = sessionPolicy(targets, WINDOW, CONTEXT, VENDOR_CIDRS);

    // Assess
    expect(policy.Statement.map((s) => s.Sid)).toEqual([
      'StartSessionOnTargetGroup0',
      'StartSessionWithRecordedDocumentOnly',
      'ManageOwnSessionsOnly',
      'EncryptSessionWithStackKey',
      'DenyUnrecordedSessionDocuments',
    ]);
  });

  test('builds every ARN in the partition, region and account of the environment', () => {
    // Prepare
    const context: PlanContext = {
      ...CONTEXT,
      env: { accountId: '210987654321', region: 'cn-north-1', partition: 'aws-cn' },
    };

    // Act
    const policy = sessionPolicy([BILLING_INSTANCES], WINDOW, context, VENDOR_CIDRS);

    // Assess
    expect(policy.Statement.map((s) => s.Resource)).toEqual([
      [
        'arn:aws-cn:ec2:cn-north-1:210987654321:instance/i-0aaaaaaaaaaaaaaa1',
        'arn:aws-cn:ec2:cn-north-1:210987654321:instance/i-0bbbbbbbbbbbbbbb2',
      ],
      'arn:aws-cn:ssm:cn-north-1:210987654321:document/JitAccess-VendorShell',
      'arn:aws-cn:ssm:cn-north-1:210987654321:session/*',
      SESSION_KEY_ARN,
      [
        'arn:aws-cn:ssm:cn-north-1::document/AWS-StartPortForwardingSession',
        'arn:aws-cn:ssm:cn-north-1::document/AWS-StartPortForwardingSessionToRemoteHost',
        'arn:aws-cn:ssm:cn-north-1::document/AWS-StartPortForwardingSessionToSocket',
        'arn:aws-cn:ssm:cn-north-1::document/AWS-StartSSHSession',
        'arn:aws-cn:ssm:cn-north-1::document/AWS-StartInteractiveCommand',
        'arn:aws-cn:ssm:cn-north-1::document/AWS-StartNonInteractiveCommand',
      ],
    ]);
  });

  test('bounds every Allow statement by the expiry on aws:CurrentTime', () => {
    // Prepare
    const targets = [BILLING_INSTANCES, WEB_GROUP];

    // Act
    const policy = sessionPolicy(targets, WINDOW, CONTEXT, VENDOR_CIDRS);

    // Assess
    const allows = allowStatements(policy.Statement);
    expect(allows).toHaveLength(5);
    for (const statement of allows) {
      expect(statement.Condition?.DateLessThan).toEqual({ 'aws:CurrentTime': '2030-03-01T12:00:00.000Z' });
    }
  });

  test('requires the session document check on every StartSession Allow', () => {
    // Prepare
    const targets = [BILLING_INSTANCES, WEB_GROUP];

    // Act
    const policy = sessionPolicy(targets, WINDOW, CONTEXT, VENDOR_CIDRS);

    // Assess
    const startSessionAllows = allowStatements(policy.Statement).filter((s) =>
      actionsOf(s).includes('ssm:StartSession'),
    );
    expect(startSessionAllows).toHaveLength(3);
    for (const statement of startSessionAllows) {
      expect(statement.Condition?.BoolIfExists).toEqual({ 'ssm:SessionDocumentAccessCheck': 'true' });
    }
  });

  test('allows no wildcard action', () => {
    // Prepare
    const targets = [BILLING_INSTANCES, WEB_GROUP];

    // Act
    const policy = sessionPolicy(targets, WINDOW, CONTEXT, VENDOR_CIDRS);

    // Assess
    const allowedActions = allowStatements(policy.Statement).flatMap(actionsOf);
    expect(allowedActions).not.toContain('*');
    expect(allowedActions.filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('ingressRules', () => {
  test('opens one rule per vendor CIDR and requested port in the target group JIT security group', () => {
    // Prepare
    const request = accessRequest({
      ports: [
        { protocol: 'tcp', fromPort: 5432, toPort: 5432 },
        { protocol: 'udp', fromPort: 8125, toPort: 8126 },
      ],
    });

    // Act
    const rules = ingressRules(request, [BILLING_INSTANCES], vendor('acme'), CONTEXT);

    // Assess
    expect(rules).toEqual([
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '203.0.113.0/24' },
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '198.51.100.16/28' },
      { securityGroupId: BILLING_SG, protocol: 'udp', fromPort: 8125, toPort: 8126, cidr: '203.0.113.0/24' },
      { securityGroupId: BILLING_SG, protocol: 'udp', fromPort: 8125, toPort: 8126, cidr: '198.51.100.16/28' },
    ]);
  });

  test('opens nothing when no ports are requested', () => {
    // Prepare
    const request = accessRequest({ ports: undefined });

    // Act
    const rules = ingressRules(request, [BILLING_INSTANCES], vendor('acme'), CONTEXT);

    // Assess
    expect(rules).toEqual([]);
  });

  test('opens the rules once per target group even when the group is named twice', () => {
    // Prepare
    const request = accessRequest();
    const targets = [BILLING_INSTANCES, BILLING_GROUP];

    // Act
    const rules = ingressRules(request, targets, vendor('acme'), CONTEXT);

    // Assess
    expect(rules).toEqual([
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '203.0.113.0/24' },
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '198.51.100.16/28' },
    ]);
  });

  test('opens the rules in the security group of each granted target group', () => {
    // Prepare
    const request = accessRequest();
    const globex = vendor('globex');

    // Act
    const rules = ingressRules(request, [BILLING_INSTANCES, WEB_GROUP], globex, CONTEXT);

    // Assess
    expect(rules).toEqual([
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '192.0.2.0/25' },
      { securityGroupId: WEB_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '192.0.2.0/25' },
    ]);
  });

  test('refuses a target group that has no JIT security group', () => {
    // Prepare
    const context: PlanContext = { ...CONTEXT, securityGroups: { 'web-frontend': WEB_SG } };

    // Act
    const act = () => ingressRules(accessRequest(), [BILLING_INSTANCES], vendor('acme'), context);

    // Assess
    expect(act).toThrow('no JIT security group is deployed for target group "billing-db"');
  });
});

describe('planGrant', () => {
  test('names the role after the grant, under the stack path, with the boundary and the run-as and grant tags', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const plan = planGrant(request, [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);

    // Assess
    expect(plan.role).toMatchObject({
      name: 'jit-grant-20300301-0001',
      path: '/jit-access/',
      permissionsBoundaryArn: BOUNDARY_ARN,
      maxSessionDurationSeconds: 7200,
      inlinePolicyName: 'jit-session-access',
      tags: {
        SSMSessionRunAs: 'acme-support',
        'jit-access:grant-id': 'grant-20300301-0001',
        'jit-access:managed': 'true',
        'jit-access:vendor': 'acme',
        'jit-access:expires-at': '2030-03-01T12:00:00.000Z',
      },
    });
  });

  test('plans the vendor trust, the session policy and the ingress rules together', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const plan = planGrant(request, [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);

    // Assess
    expect(plan.role.trustPolicy.Statement[0]!.Principal).toEqual({
      AWS: ['arn:aws:iam::444455556666:role/AcmeSupportEngineers'],
    });
    expect(plan.role.inlinePolicy.Statement[0]!.Resource).toEqual([
      'arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1',
      'arn:aws:ec2:eu-west-1:111122223333:instance/i-0bbbbbbbbbbbbbbb2',
    ]);
    expect(plan.ingressRules).toEqual([
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '203.0.113.0/24' },
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '198.51.100.16/28' },
    ]);
  });

  test('schedules the revoke once, at the expiry, in the stack schedule group', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const plan = planGrant(request, [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);

    // Assess
    expect(plan.schedule).toEqual({
      name: 'jit-grant-20300301-0001',
      groupName: 'jit-access',
      expression: 'at(2030-03-01T12:00:00)',
    });
  });
});

describe('planGrant from the grant id and ports alone', () => {
  test('plans the same from the grant id and ports as from the whole request', () => {
    // Prepare
    const full = accessRequest();
    const planned = { grantId: full.grantId, ports: full.ports };

    // Act
    const plan = planGrant(planned, [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);

    // Assess
    expect(plan).toEqual(planGrant(full, [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT));
  });
});

describe('ingressRuleDescription', () => {
  test('names the grant the rule belongs to', () => {
    // Prepare
    const grantId = GRANT_ID;

    // Act
    const description = ingressRuleDescription(grantId);

    // Assess
    expect(description).toBe('jit-access grant grant-20300301-0001');
  });
});

describe('heldIngressRuleDescription', () => {
  test('names a rule of one grant as that grant alone', () => {
    // Act
    const description = heldIngressRuleDescription([GRANT_ID]);

    // Assess
    expect(description).toBe('jit-access grant grant-20300301-0001');
  });

  test('names every grant that holds a shared rule, sorted', () => {
    // Act
    const description = heldIngressRuleDescription(['grant-b-000002', 'grant-a-000001']);

    // Assess
    expect(description).toBe('jit-access grants grant-a-000001, grant-b-000002');
  });

  test('names every holder when they fill exactly 255 characters', () => {
    // Prepare: five ids of 46, 46, 46, 46 and 45 characters, joined after "jit-access grants ".
    const holders = ['a', 'b', 'c', 'd', 'e'].map((c, i) => c + '0'.repeat(i < 4 ? 45 : 44));

    // Act
    const description = heldIngressRuleDescription(holders);

    // Assess
    expect(description).toBe(`jit-access grants ${holders.join(', ')}`);
    expect(description).toHaveLength(255);
  });

  test('counts the holders alone when not even one name fits', () => {
    // Prepare
    const holders = ['a'.repeat(250), 'b'.repeat(250)];

    // Act
    const description = heldIngressRuleDescription(holders);

    // Assess
    expect(description).toBe('jit-access grants: 2');
  });

  test('names as many holders as fit in 255 characters and counts the others', () => {
    // Prepare: ten 48-character grant ids.
    const holders = Array.from({ length: 10 }, (_, i) => `g${String(i).padStart(47, '0')}`);

    // Act
    const description = heldIngressRuleDescription(holders);

    // Assess
    expect(description.length).toBeLessThanOrEqual(255);
    expect(description).toBe(`jit-access grants ${holders.slice(0, 4).join(', ')} and 6 more`);
  });
});

describe('samePlanApartFromWindow', () => {
  const OTHER_WINDOW: GrantWindow = { startAt: '2030-03-02T08:00:00.000Z', expiresAt: '2030-03-02T10:00:00.000Z' };

  /** The plan with the first `"key":"from"` of its JSON holding `to` instead. */
  function withValue(plan: GrantPlan, key: string, from: string, to: string): GrantPlan {
    return JSON.parse(JSON.stringify(plan).replace(`"${key}":"${from}"`, `"${key}":"${to}"`)) as GrantPlan;
  }

  test('is true for the same request planned for another window', () => {
    // Prepare
    const approved = planGrant(accessRequest(), [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);

    // Act
    const same = samePlanApartFromWindow(
      planGrant(accessRequest(), [BILLING_INSTANCES], vendor('acme'), OTHER_WINDOW, CONTEXT),
      approved,
    );

    // Assess
    expect(same).toBe(true);
  });

  test('is false for a plan that opens another port', () => {
    // Prepare
    const approved = planGrant(accessRequest(), [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);
    const ports = [{ protocol: 'tcp' as const, fromPort: 6432, toPort: 6432 }];

    // Act
    const same = samePlanApartFromWindow(
      planGrant(accessRequest({ ports }), [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT),
      approved,
    );

    // Assess
    expect(same).toBe(false);
  });

  test('is false for a plan whose revoke schedule expression was emptied', () => {
    // Prepare
    const approved = planGrant(accessRequest(), [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);
    const emptied = withValue(approved, 'expression', approved.schedule.expression, '');

    // Act
    const same = samePlanApartFromWindow(emptied, approved);

    // Assess
    expect(same).toBe(false);
  });

  test('is false for a plan whose trust policy start was emptied', () => {
    // Prepare
    const approved = planGrant(accessRequest(), [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);
    const emptied = withValue(approved, 'aws:CurrentTime', WINDOW.startAt, '');

    // Act
    const same = samePlanApartFromWindow(emptied, approved);

    // Assess
    expect(same).toBe(false);
  });

  test('is false for a plan whose expiry tag was emptied', () => {
    // Prepare
    const approved = planGrant(accessRequest(), [BILLING_INSTANCES], vendor('acme'), WINDOW, CONTEXT);
    const emptied = withValue(approved, 'jit-access:expires-at', WINDOW.expiresAt, '');

    // Act
    const same = samePlanApartFromWindow(emptied, approved);

    // Assess
    expect(same).toBe(false);
  });
});

describe('revokedRolePolicy', () => {
  test('denies everything, unconditionally, to every credential of the role', () => {
    // Act
    const policy = revokedRolePolicy();

    // Assess
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyEverythingOnceRevoked', Effect: 'Deny', Action: '*', Resource: '*' }],
    });
  });
});

describe('ingressRuleKey', () => {
  test('joins the security group, protocol, ports and CIDR', () => {
    // Prepare
    const rule: IngressRule = {
      securityGroupId: BILLING_SG,
      protocol: 'udp',
      fromPort: 5432,
      toPort: 5433,
      cidr: '203.0.113.0/24',
    };

    // Act
    const key = ingressRuleKey(rule);

    // Assess
    expect(key).toBe('sg-0123456789abcdef0|udp|5432|5433|203.0.113.0/24');
  });
});

describe('sameIngressRule', () => {
  const RULE: IngressRule = {
    securityGroupId: BILLING_SG,
    protocol: 'tcp',
    fromPort: 5432,
    toPort: 5432,
    cidr: '203.0.113.0/24',
  };

  test('is true for a rule with the same group, protocol, ports and CIDR, whatever else it carries', () => {
    // Prepare
    const listed = { ...RULE, ruleId: 'sgr-0123456789abcdef0', description: 'jit-access grant grant-20300301-0002' };

    // Act
    const same = sameIngressRule(listed, RULE);

    // Assess
    expect(same).toBe(true);
  });

  test('is false for a rule from another CIDR', () => {
    // Act
    const same = sameIngressRule({ ...RULE, cidr: '198.51.100.16/28' }, RULE);

    // Assess
    expect(same).toBe(false);
  });
});

describe('roleNameFor', () => {
  test('prefixes the grant id with jit-', () => {
    // Prepare
    const grantId = GRANT_ID;

    // Act
    const name = roleNameFor(grantId);

    // Assess
    expect(name).toBe('jit-grant-20300301-0001');
  });
});

describe('grantIdFromName', () => {
  test('returns the grant id of a jit- name', () => {
    // Prepare
    const name = 'jit-grant-20300301-0001';

    // Act
    const grantId = grantIdFromName(name);

    // Assess
    expect(grantId).toBe('grant-20300301-0001');
  });

  test.each([
    ['a name without the jit- prefix', 'grant-20300301-0001'],
    ['the bare prefix', 'jit-'],
    ['an id that is too short', 'jit-abc12'],
    ['an id that is too long', `jit-${'a'.repeat(49)}`],
    ['an id with upper-case letters', 'jit-Grant-20300301-0001'],
    ['an id with an underscore', 'jit-grant_20300301_0001'],
    ['an upper-case prefix', 'JIT-grant-20300301-0001'],
    ['a prefix that is not at the start', 'xjit-grant-20300301-0001'],
  ])('rejects %s', (_description, name) => {
    // Prepare
    const candidate = name;

    // Act
    const grantId = grantIdFromName(candidate);

    // Assess
    expect(grantId).toBeUndefined();
  });
});
