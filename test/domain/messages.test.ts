import type { VendorConfig } from '../../lib/config/schema';
import { approvalRequestMessage, grantedMessage } from '../../lambdas/domain/messages';
import { planGrant, type PlanContext } from '../../lambdas/domain/planner';
import type { AccessRequest, GrantPlan, ResolvedTarget } from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';

const GRANT_ID = 'grant-20300301-0001';
const SPONSOR = 'arn:aws:sts::111122223333:assumed-role/PlatformSponsors/jane';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/jit-access/jit-grant-20300301-0001';
const DOCUMENT = 'JitAccess-VendorShell';
const ACME_EXTERNAL_ID = 'acme-7f3c9a1e5b2d';

const CONTEXT: PlanContext = {
  env: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws' },
  iamPath: '/jit-access/',
  permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary',
  sessionDocumentName: DOCUMENT,
  sessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  scheduleGroupName: 'jit-access',
  securityGroups: { 'billing-db': 'sg-0123456789abcdef0', 'web-frontend': 'sg-0fedcba9876543210' },
};

const TARGETS: readonly ResolvedTarget[] = [
  { kind: 'instances', targetGroup: 'billing-db', instanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2'] },
  { kind: 'group', targetGroup: 'web-frontend', tagKey: 'jit-access:target-group', tagValue: 'web-frontend' },
];

function acme(): VendorConfig {
  const vendor = exampleConfig().vendors.find((v) => v.id === 'acme');
  if (!vendor) throw new Error('the example config has no vendor "acme"');
  return vendor;
}

function accessRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    grantId: GRANT_ID,
    vendorId: 'acme',
    requester: SPONSOR,
    targets: ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2', 'group:web-frontend'],
    durationMinutes: 120,
    startAt: '2030-03-01T10:00:00Z',
    ticket: 'CHG-1234',
    reason: 'Investigate slow billing queries',
    ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
    ...overrides,
  };
}

function planFor(request: AccessRequest): GrantPlan {
  return planGrant(
    request,
    TARGETS,
    acme(),
    { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T12:00:00.000Z' },
    CONTEXT,
  );
}

function approvalMessageFor(request: AccessRequest): string {
  return approvalRequestMessage(request, TARGETS, planFor(request), 2);
}

describe('approvalRequestMessage', () => {
  test('names the requester, the ticket and the reason', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain(`Requested by: ${SPONSOR}`);
    expect(message).toContain('Ticket: CHG-1234');
    expect(message).toContain('Reason: Investigate slow billing queries');
  });

  test('names the vendor, the duration and the requested start', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('vendor acme asks for 120 minutes of shell access');
    expect(message).toContain('Start: 2030-03-01T10:00:00Z');
  });

  test('says the grant starts on approval when no start was requested', () => {
    // Prepare
    const request = accessRequest({ startAt: undefined });

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('Start: as soon as approved');
  });

  test('lists every target, instances by id and a group by its tag', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('  - i-0aaaaaaaaaaaaaaa1, i-0bbbbbbbbbbbbbbb2 (target group billing-db)');
    expect(message).toContain(
      '  - every instance tagged jit-access:target-group=web-frontend (target group web-frontend)',
    );
  });

  test('names the role with its path, boundary and OS user', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain(
      'IAM role /jit-access/jit-grant-20300301-0001 (boundary arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary), runs as OS user acme-support',
    );
  });

  test('shows the session policy the role will hold', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('session policy (jit-session-access)');
    expect(message).toContain('"arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1"');
    expect(message).toContain('"ssm:resourceTag/jit-access:target-group": "web-frontend"');
  });

  test('lists each ingress rule with its security group, port and CIDR', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('  - sg-0123456789abcdef0: tcp 5432-5432 from 203.0.113.0/24');
    expect(message).toContain('  - sg-0123456789abcdef0: tcp 5432-5432 from 198.51.100.16/28');
    expect(message).toContain('  - sg-0fedcba9876543210: tcp 5432-5432 from 203.0.113.0/24');
    expect(message).toContain('  - sg-0fedcba9876543210: tcp 5432-5432 from 198.51.100.16/28');
  });

  test('says no network rule is opened when no ports are requested', () => {
    // Prepare
    const request = accessRequest({ ports: undefined });

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('no network rules (Session Manager only)');
    expect(message).not.toContain('temporary ingress rules');
  });

  test('names the schedule that revokes at expiry', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('schedule jit-access/jit-grant-20300301-0001 that revokes everything at expiry');
  });

  test('tells approvers how many must approve and how to decide', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('2 distinct approvers (not the requester) must approve');
    expect(message).toContain(
      '{"grantId":"grant-20300301-0001","approver":"<your principal ARN>","decision":"approve"|"deny","comment":"..."}',
    );
  });
});

describe('grantedMessage', () => {
  test('gives the assume-role command for the grant role', () => {
    // Prepare
    const plan = planFor(accessRequest());

    // Act
    const message = grantedMessage(plan, ROLE_ARN, DOCUMENT);

    // Assess
    expect(message).toContain(
      `aws sts assume-role --role-arn ${ROLE_ARN} --role-session-name <your-name> --external-id <your external id>`,
    );
  });

  test('gives the start-session command with the recorded document', () => {
    // Prepare
    const plan = planFor(accessRequest());

    // Act
    const message = grantedMessage(plan, ROLE_ARN, DOCUMENT);

    // Assess
    expect(message).toContain('aws ssm start-session --target <instance-id> --document-name JitAccess-VendorShell');
  });

  test('states the window the grant is active in', () => {
    // Prepare
    const plan = planFor(accessRequest());

    // Act
    const message = grantedMessage(plan, ROLE_ARN, DOCUMENT);

    // Assess
    expect(message).toContain(
      'Grant grant-20300301-0001 for vendor acme is active from 2030-03-01T10:00:00.000Z until 2030-03-01T12:00:00.000Z.',
    );
  });

  test("does not reveal the vendor's external id", () => {
    // Prepare
    const plan = planFor(accessRequest());

    // Act
    const message = grantedMessage(plan, ROLE_ARN, DOCUMENT);

    // Assess
    expect(message).not.toContain(ACME_EXTERNAL_ID);
  });
});
