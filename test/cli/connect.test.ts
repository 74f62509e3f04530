import { planGrant } from '../../lambdas/domain/planner';
import type { GrantRecord } from '../../lambdas/domain/types';
import { connection } from '../../lib/cli/connect';
import { CliError } from '../../lib/cli/errors';
import { exampleConfig } from '../helpers/config-fixture';
import { DANA } from '../helpers/handler-deps';

const ROLE_ARN = 'arn:aws:iam::111122223333:role/jit-access/jit-g-0123456789ab';

function grant(status: GrantRecord['status'], requireMfa = true): GrantRecord {
  const vendor = { ...exampleConfig().vendors[0]!, requireMfa };
  const plan = planGrant(
    { grantId: 'g-0123456789ab' },
    [{ kind: 'instances', targetGroup: 'billing-db', instanceIds: ['i-0aaaaaaaaaaaaaaa1'] }],
    vendor,
    { startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' },
    {
      env: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws' },
      iamPath: '/jit-access/',
      permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary',
      sessionDocumentName: 'JitAccess-VendorShell',
      sessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
      scheduleGroupName: 'jit-access-expiry',
      securityGroups: { 'billing-db': 'sg-0b1111111111111111' },
    },
  );
  return {
    grantId: 'g-0123456789ab',
    status,
    request: {
      grantId: 'g-0123456789ab',
      vendorId: 'acme',
      requester: DANA,
      targets: ['i-0aaaaaaaaaaaaaaa1'],
      durationMinutes: 120,
      ticket: 'CHG-1',
      reason: 'Investigate slow billing queries',
    },
    targets: [{ kind: 'instances', targetGroup: 'billing-db', instanceIds: ['i-0aaaaaaaaaaaaaaa1'] }],
    plan,
    planHash: 'hash',
    approvals: ['alice', 'bob'],
    created: status === 'ACTIVE' ? { roleArn: ROLE_ARN } : {},
    history: [],
    createdAt: '2030-03-01T08:00:00.000Z',
    updatedAt: '2030-03-01T09:00:00.000Z',
  };
}

describe('jit-access connect', () => {
  test('gives the vendor the role, its external id, the MFA flags, the recorded document and each target', () => {
    // Act
    const c = connection(grant('ACTIVE'), { sourceProfile: 'acme' });

    // Assess
    expect(c.commands.assumeRole).toBe(
      `aws sts assume-role --role-arn ${ROLE_ARN} --role-session-name <your-name> --external-id acme-7f3c9a1e5b2d --serial-number <your MFA device ARN> --token-code <code> --profile acme`,
    );
    expect(c.commands.startSession).toEqual([
      'aws ssm start-session --target i-0aaaaaaaaaaaaaaa1 --document-name JitAccess-VendorShell --region eu-west-1 --profile jit-g-0123456789ab',
    ]);
    expect(c.sourceCidrs).toEqual(['203.0.113.0/24', '198.51.100.16/28']);
  });

  test('writes a ready ~/.aws/config profile, with mfa_serial only when the vendor needs MFA', () => {
    // Act
    const withMfa = connection(grant('ACTIVE'), { sourceProfile: 'acme' }).profile;
    const withoutMfa = connection(grant('ACTIVE', false), { sourceProfile: 'acme', profileName: 'acme-db' }).profile;

    // Assess
    expect(withMfa).toBe(
      [
        '[profile jit-g-0123456789ab]',
        `role_arn = ${ROLE_ARN}`,
        'source_profile = acme',
        'external_id = acme-7f3c9a1e5b2d',
        'mfa_serial = <your MFA device ARN>',
        'region = eu-west-1',
      ].join('\n'),
    );
    expect(withoutMfa).not.toContain('mfa_serial');
    expect(withoutMfa.split('\n')[0]).toBe('[profile acme-db]');
  });

  test.each(['PENDING', 'APPROVED', 'REVOKED'] as const)('refuses a %s grant: there is no role to assume', (status) => {
    // Act
    const act = () => connection(grant(status), { sourceProfile: 'acme' });

    // Assess
    expect(act).toThrow(CliError);
    expect(act).toThrow(`g-0123456789ab is ${status}: a vendor can connect only while it is ACTIVE`);
  });
});
