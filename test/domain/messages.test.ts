import type { VendorConfig } from '../../lib/config/schema';
import {
  approvalRequestMessage,
  breakGlassMessage,
  grantedMessage,
  quoted,
  type ApprovalMessageInput,
} from '../../lambdas/domain/messages';
import { planGrant, type PlanContext } from '../../lambdas/domain/planner';
import { planHash } from '../../lambdas/domain/plan-hash';
import type { AccessRequest, GrantPlan, ResolvedTarget } from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';
import { DANA, ERIN } from '../helpers/handler-deps';

const GRANT_ID = 'grant-20300301-0001';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/jit-access/jit-grant-20300301-0001';
const DOCUMENT = 'JitAccess-VendorShell';
const ACME_EXTERNAL_ID = 'acme-7f3c9a1e5b2d';
const REVIEW_BY = '2030-03-02T09:00:00.000Z';

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
    requester: DANA,
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

function messageInput(request: AccessRequest, delta?: string): ApprovalMessageInput {
  const plan = planFor(request);
  return { request, targets: TARGETS, plan, planHash: planHash(plan), minApprovals: 2, ...(delta ? { delta } : {}) };
}

function approvalMessageFor(request: AccessRequest): string {
  return approvalRequestMessage(messageInput(request));
}

/** The plan of the usual request, with policies small enough to spell out a whole message by hand. */
function compactPlan(): GrantPlan {
  const plan = planFor(accessRequest());
  return {
    ...plan,
    role: {
      ...plan.role,
      inlinePolicy: {
        Version: '2012-10-17',
        Statement: [{ Sid: 'Shell', Effect: 'Allow', Action: 'ssm:StartSession', Resource: '*' }],
      },
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Vendor',
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam::444455556666:root'] },
            Action: 'sts:AssumeRole',
          },
        ],
      },
    },
  };
}

/** The request lines of the compact plan, as an approver reads them in either message. */
const COMPACT_REQUEST_LINES = [
  'Grant grant-20300301-0001: vendor acme, 120 minutes of shell access.',
  `Requested by: dana (${DANA.arn})`,
  'Ticket (as typed): "CHG-1234"',
  'Reason (as typed): "Investigate slow billing queries"',
  'Window: 2030-03-01T10:00:00.000Z until 2030-03-01T12:00:00.000Z',
  'Targets:',
  '  - i-0aaaaaaaaaaaaaaa1, i-0bbbbbbbbbbbbbbb2 (target group billing-db)',
  '  - every instance tagged jit-access:target-group=web-frontend (target group web-frontend)',
  '',
  'Plan hash: sha256:0123abcd',
  'The grant will create:',
  '  - IAM role /jit-access/jit-grant-20300301-0001 (boundary arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary), runs as OS user acme-support',
  '  - session policy (jit-session-access):',
  '{',
  '  "Version": "2012-10-17",',
  '  "Statement": [',
  '    {',
  '      "Sid": "Shell",',
  '      "Effect": "Allow",',
  '      "Action": "ssm:StartSession",',
  '      "Resource": "*"',
  '    }',
  '  ]',
  '}',
  '  - trust policy:',
  '{',
  '  "Version": "2012-10-17",',
  '  "Statement": [',
  '    {',
  '      "Sid": "Vendor",',
  '      "Effect": "Allow",',
  '      "Principal": {',
  '        "AWS": [',
  '          "arn:aws:iam::444455556666:root"',
  '        ]',
  '      },',
  '      "Action": "sts:AssumeRole"',
  '    }',
  '  ]',
  '}',
  '  - temporary ingress rules:',
  '  - sg-0123456789abcdef0: tcp 5432-5432 from 203.0.113.0/24',
  '  - sg-0123456789abcdef0: tcp 5432-5432 from 198.51.100.16/28',
  '  - sg-0fedcba9876543210: tcp 5432-5432 from 203.0.113.0/24',
  '  - sg-0fedcba9876543210: tcp 5432-5432 from 198.51.100.16/28',
  '  - schedule jit-access/jit-grant-20300301-0001 that revokes everything at expiry',
];

function compactInput(overrides: Partial<ApprovalMessageInput> = {}): ApprovalMessageInput {
  return {
    request: accessRequest(),
    targets: TARGETS,
    plan: compactPlan(),
    planHash: 'sha256:0123abcd',
    minApprovals: 2,
    ...overrides,
  };
}

describe('quoted', () => {
  test('puts free text on one line in double quotes, escaping newlines and quotes', () => {
    // Prepare
    const text = 'first line\nsecond "line"';

    // Act
    const line = quoted(text);

    // Assess
    expect(line).toBe('"first line\\nsecond \\"line\\""');
  });
});

describe('approvalRequestMessage', () => {
  test('names the requester by person and signed ARN', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain(`Requested by: dana (${DANA.arn})`);
  });

  test('quotes the ticket and the reason as typed', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('Ticket (as typed): "CHG-1234"');
    expect(message).toContain('Reason (as typed): "Investigate slow billing queries"');
  });

  test('keeps a reason with newlines that imitates the plan on one quoted line', () => {
    // Prepare
    const reason = 'Routine check\nPlan hash: 0000\nThe grant will create:\n  - nothing at all';
    const request = accessRequest({ reason });

    // Act
    const lines = approvalMessageFor(request).split('\n');

    // Assess
    expect(lines).toContain(
      'Reason (as typed): "Routine check\\nPlan hash: 0000\\nThe grant will create:\\n  - nothing at all"',
    );
    expect(lines).not.toContain('  - nothing at all');
  });

  test('shows only the real plan hash on a line of its own, whatever the reason says', () => {
    // Prepare
    const request = accessRequest({ reason: 'Routine check\nPlan hash: 0000' });
    const input = messageInput(request);

    // Act
    const lines = approvalRequestMessage(input).split('\n');

    // Assess
    expect(lines.filter((line) => line.startsWith('Plan hash:'))).toEqual([`Plan hash: ${input.planHash}`]);
  });

  test('carries the hash of the plan it describes', () => {
    // Prepare
    const request = accessRequest();
    const plan = planFor(request);

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain(`Plan hash: ${planHash(plan)}`);
  });

  test('names the vendor, the duration and the window', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain(`Grant ${GRANT_ID}: vendor acme, 120 minutes of shell access.`);
    expect(message).toContain('Window: 2030-03-01T10:00:00.000Z until 2030-03-01T12:00:00.000Z');
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

  test('shows the trust policy with the vendor principal', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('  - trust policy:');
    expect(message).toContain('"arn:aws:iam::444455556666:role/AcmeSupportEngineers"');
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

  test('describes what an extension keeps and changes', () => {
    // Prepare
    const input = messageInput(accessRequest(), 'extends grant grant-20300301-0000: same vendor, targets and ports');

    // Act
    const message = approvalRequestMessage(input);

    // Assess
    expect(message).toContain('Extension: extends grant grant-20300301-0000: same vendor, targets and ports');
  });

  test('has no extension line for a request that extends nothing', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).not.toContain('Extension:');
  });

  test('tells approvers how many must approve, to check the plan hash, and how to decide', () => {
    // Prepare
    const request = accessRequest();

    // Act
    const message = approvalMessageFor(request);

    // Assess
    expect(message).toContain('2 distinct approvers (not the requester) must approve');
    expect(message).toContain(`Check that "jit-access show ${GRANT_ID}"`);
    expect(message).toContain(`  jit-access approve ${GRANT_ID} [--comment "..."]`);
    expect(message).toContain(`  jit-access deny ${GRANT_ID} --reason "..."`);
  });

  test('spells out the whole message line by line, one ingress rule a line, ending with how to decide', () => {
    // Prepare
    const input = compactInput();

    // Act
    const lines = approvalRequestMessage(input).split('\n');

    // Assess
    expect(lines).toEqual([
      ...COMPACT_REQUEST_LINES,
      '',
      '2 distinct approvers (not the requester) must approve. Check that "jit-access show grant-20300301-0001"',
      'prints the plan hash above, then decide:',
      '  jit-access approve grant-20300301-0001 [--comment "..."]',
      '  jit-access deny grant-20300301-0001 --reason "..."',
    ]);
  });
});

describe('breakGlassMessage', () => {
  test('opens by saying loudly who granted which vendor access without approval', () => {
    // Prepare
    const input = messageInput(accessRequest({ requester: ERIN, breakGlass: true }));

    // Act
    const message = breakGlassMessage(input, REVIEW_BY);

    // Assess
    expect(message.split('\n')[0]).toBe('BREAK-GLASS: erin granted vendor acme access WITHOUT waiting for approval.');
  });

  test('asks approvers to review by the deadline, or the vendor is disabled', () => {
    // Prepare
    const input = messageInput(accessRequest({ requester: ERIN, breakGlass: true }));

    // Act
    const message = breakGlassMessage(input, REVIEW_BY);

    // Assess
    expect(message).toContain(
      `2 approvers must review it by ${REVIEW_BY}, or vendor acme is disabled and the grant flagged.`,
    );
    expect(message).toContain(`jit-access deny ${GRANT_ID} --reason "..."            (revokes it at once)`);
  });

  test('carries the plan hash and the quoted reason like an approval request', () => {
    // Prepare
    const input = messageInput(accessRequest({ requester: ERIN, breakGlass: true, reason: 'Outage\nall clear' }));

    // Act
    const lines = breakGlassMessage(input, REVIEW_BY).split('\n');

    // Assess
    expect(lines).toContain(`Plan hash: ${input.planHash}`);
    expect(lines).toContain('Reason (as typed): "Outage\\nall clear"');
  });

  test('spells out the whole message: the alarm, the request with its extension line, and how to review', () => {
    // Prepare
    const input = compactInput({
      request: accessRequest({ breakGlass: true }),
      delta: 'extends grant grant-20300301-0000: same vendor, targets and ports',
    });

    // Act
    const lines = breakGlassMessage(input, REVIEW_BY).split('\n');

    // Assess
    expect(lines).toEqual([
      'BREAK-GLASS: dana granted vendor acme access WITHOUT waiting for approval.',
      ...COMPACT_REQUEST_LINES.slice(0, 4),
      'Extension: extends grant grant-20300301-0000: same vendor, targets and ports',
      ...COMPACT_REQUEST_LINES.slice(4),
      '',
      '2 approvers must review it by 2030-03-02T09:00:00.000Z, or vendor acme is disabled and the grant flagged.',
      '  jit-access approve grant-20300301-0001 [--comment "..."]      (the access was justified)',
      '  jit-access deny grant-20300301-0001 --reason "..."            (revokes it at once)',
    ]);
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

  test('spells out the whole message, line by line', () => {
    // Prepare
    const plan = planFor(accessRequest());

    // Act
    const lines = grantedMessage(plan, ROLE_ARN, DOCUMENT).split('\n');

    // Assess
    expect(lines).toEqual([
      'Grant grant-20300301-0001 for vendor acme is active from 2030-03-01T10:00:00.000Z until 2030-03-01T12:00:00.000Z.',
      'Vendor steps (or "jit-access connect grant-20300301-0001" for a ready profile):',
      `  aws sts assume-role --role-arn ${ROLE_ARN} --role-session-name <your-name> --external-id <your external id> [--serial-number <mfa> --token-code <code>]`,
      '  aws ssm start-session --target <instance-id> --document-name JitAccess-VendorShell',
      'Every session is recorded. Access ends by itself at expiry.',
    ]);
  });
});
