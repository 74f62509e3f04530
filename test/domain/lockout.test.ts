import {
  attemptsInBusiestWindow,
  claimOf,
  grantIdOfRoleArn,
  isDenial,
  lockoutMessage,
  principalAccounts,
  type CloudTrailApiCall,
  type DeniedAttempt,
} from '../../lambdas/domain/lockout';
import { deniedCallEvent, failedAssumeRoleEvent } from '../../scripts/local-aws/cloudtrail-events';

const ACCOUNT = '111122223333';
const VENDOR_ACCOUNT = '444455556666';
const SCOPE = { accountId: ACCOUNT, partition: 'aws', iamPath: '/jit-access/' } as const;
const AT = '2030-03-01T09:05:00.000Z';
const GRANT_ROLE = `arn:aws:iam::${ACCOUNT}:role/jit-access/jit-g-0123456789ab`;

const denied = (roleArn: string, overrides: Partial<Parameters<typeof deniedCallEvent>[0]> = {}) =>
  deniedCallEvent({
    accountId: ACCOUNT,
    region: 'eu-west-1',
    roleArn,
    at: AT,
    ...overrides,
  }) as unknown as CloudTrailApiCall;
const failedAssume = (roleArn: string, overrides: Partial<Parameters<typeof failedAssumeRoleEvent>[0]> = {}) =>
  failedAssumeRoleEvent({
    accountId: ACCOUNT,
    region: 'eu-west-1',
    roleArn,
    callerAccountId: VENDOR_ACCOUNT,
    at: AT,
    ...overrides,
  }) as unknown as CloudTrailApiCall;

describe('claimOf', () => {
  test('counts a call refused to a grant role session against its grant', () => {
    // Prepare
    const event = denied(GRANT_ROLE, { eventId: 'event-1', eventName: 'StartSession', sourceIp: '203.0.113.7' });

    // Act
    const claim = claimOf(event, SCOPE);

    // Assess
    expect(claim).toEqual({
      counts: true,
      kind: 'denied-call',
      attempt: {
        eventId: 'event-1',
        at: AT,
        grantId: 'g-0123456789ab',
        action: 'ssm:StartSession',
        errorCode: 'AccessDeniedException',
        caller: `arn:aws:sts::${ACCOUNT}:assumed-role/jit-g-0123456789ab/vendor-engineer`,
        sourceIp: '203.0.113.7',
      },
    });
  });

  test.each(['AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation'])(
    'counts a call refused with %s',
    (errorCode) => {
      // Act
      const claim = claimOf(denied(GRANT_ROLE, { errorCode }), SCOPE);

      // Assess
      expect(claim.counts).toBe(true);
    },
  );

  test.each(['ThrottlingException', 'ValidationException', 'InvalidInstanceID.NotFound'])(
    'does not count a call that failed with %s, which is no denial',
    (errorCode) => {
      // Act
      const claim = claimOf(denied(GRANT_ROLE, { errorCode }), SCOPE);

      // Assess
      expect(claim).toEqual({ counts: false, why: expect.stringContaining('is not a denial') });
    },
  );

  test('does not count a successful call', () => {
    // Prepare
    const event = denied(GRANT_ROLE);
    const { errorCode: _errorCode, ...detail } = event.detail;

    // Act
    const claim = claimOf({ ...event, detail }, SCOPE);

    // Assess
    expect(claim.counts).toBe(false);
  });

  test.each([
    ['a role outside the stack path', `arn:aws:iam::${ACCOUNT}:role/other/jit-g-0123456789ab`],
    ['a role on a path below the stack path', `arn:aws:iam::${ACCOUNT}:role/jit-access/nested/jit-g-0123456789ab`],
    ['a role under the path not named jit-<id>', `arn:aws:iam::${ACCOUNT}:role/jit-access/readonly`],
    ['a role whose name only starts like a grant role', `arn:aws:iam::${ACCOUNT}:role/jit-access/jit-x/Admin`],
    ['a role with a malformed grant id', `arn:aws:iam::${ACCOUNT}:role/jit-access/jit-UPPER-case-id`],
    ['a role of another account', `arn:aws:iam::999988887777:role/jit-access/jit-g-0123456789ab`],
    ['a role of another partition', `arn:aws-cn:iam::${ACCOUNT}:role/jit-access/jit-g-0123456789ab`],
  ])('does not count a call refused to the session of %s', (_what, roleArn) => {
    // Act
    const claim = claimOf(denied(roleArn), SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: expect.stringContaining('is not a grant role') });
  });

  test('does not count a session whose ARN names another role than its issuer', () => {
    // Prepare
    const event = denied(GRANT_ROLE);
    const userIdentity = {
      ...event.detail.userIdentity,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/jit-g-9999999999ab/vendor-engineer`,
    };

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, userIdentity } }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: expect.stringContaining('is not of') });
  });

  test.each([
    ['a source that is not an AWS service', { source: 'custom.forged' }],
    ['a detail-type that is not an API call', { 'detail-type': 'EC2 Instance State-change Notification' }],
    ['another account', { account: '999988887777' }],
  ])('does not count a record with %s', (_what, change) => {
    // Act
    const claim = claimOf({ ...denied(GRANT_ROLE), ...change }, SCOPE);

    // Assess
    expect(claim.counts).toBe(false);
  });

  test('does not count a record whose eventTime is not a time', () => {
    // Prepare
    const event = denied(GRANT_ROLE);

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, eventTime: 'yesterday' } }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: expect.stringContaining('is not a time') });
  });

  test('counts a failed AssumeRole of a grant role, with the account of its caller', () => {
    // Prepare
    const event = failedAssume(GRANT_ROLE, { eventId: 'event-2' });

    // Act
    const claim = claimOf(event, SCOPE);

    // Assess
    expect(claim).toEqual({
      counts: true,
      kind: 'failed-assume-role',
      attempt: {
        eventId: 'event-2',
        at: AT,
        grantId: 'g-0123456789ab',
        action: 'sts:AssumeRole',
        errorCode: 'AccessDenied',
        caller: `account ${VENDOR_ACCOUNT}`,
        sourceIp: '203.0.113.10',
      },
      callerAccount: VENDOR_ACCOUNT,
    });
  });

  test('maps a grant role name spelled in another case to its grant (IAM role names ignore case)', () => {
    // Act
    const claim = claimOf(failedAssume(`arn:aws:iam::${ACCOUNT}:role/jit-access/jit-G-0123456789AB`), SCOPE);

    // Assess
    expect(claim).toMatchObject({ counts: true, attempt: { grantId: 'g-0123456789ab' } });
  });

  test.each([
    ['outside the stack path', `arn:aws:iam::${ACCOUNT}:role/elsewhere/jit-g-0123456789ab`],
    ['on a nested path', `arn:aws:iam::${ACCOUNT}:role/jit-access/jit-g-0123456789ab/Admin`],
    ['not named jit-<id>', `arn:aws:iam::${ACCOUNT}:role/jit-access/Support`],
  ])('does not count a failed AssumeRole of a role %s', (_what, roleArn) => {
    // Act
    const claim = claimOf(failedAssume(roleArn), SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: expect.stringContaining('is not a grant role') });
  });

  test('does not count an AssumeRole record whose roleArn is not a string', () => {
    // Prepare
    const event = failedAssume(GRANT_ROLE);

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, requestParameters: { roleArn: 42 } } }, SCOPE);

    // Assess
    expect(claim.counts).toBe(false);
  });

  test('counts a denied call by a grant role session against that grant, whatever role it tried to reach', () => {
    // Prepare
    const event = denied(GRANT_ROLE, { eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole' });

    // Act
    const claim = claimOf(
      { ...event, detail: { ...event.detail, requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/Admin` } } },
      SCOPE,
    );

    // Assess
    expect(claim).toMatchObject({ counts: true, kind: 'denied-call', attempt: { grantId: 'g-0123456789ab' } });
  });
});

describe('grantIdOfRoleArn', () => {
  test('reads the grant id of a role directly under the path', () => {
    // Act
    const grantId = grantIdOfRoleArn(GRANT_ROLE, SCOPE);

    // Assess
    expect(grantId).toBe('g-0123456789ab');
  });

  test('follows a configured path of several levels', () => {
    // Act
    const grantId = grantIdOfRoleArn(`arn:aws:iam::${ACCOUNT}:role/org/jit/jit-g-0123456789ab`, {
      ...SCOPE,
      iamPath: '/org/jit/',
    });

    // Assess
    expect(grantId).toBe('g-0123456789ab');
  });
});

describe('isDenial', () => {
  test.each([
    ['AccessDenied', true],
    ['AccessDeniedException', true],
    ['Client.UnauthorizedOperation', true],
    ['Throttling', false],
    [undefined, false],
  ])('%s → %s', (errorCode, expected) => {
    // Assess
    expect(isDenial(errorCode)).toBe(expected);
  });
});

describe('principalAccounts', () => {
  test('are the accounts of the principal ARNs', () => {
    // Act
    const accounts = principalAccounts([
      'arn:aws:iam::444455556666:role/Support',
      'arn:aws:iam::444455556666:user/alice',
      'arn:aws:iam::777788889999:root',
    ]);

    // Assess
    expect([...accounts].sort()).toEqual(['444455556666', '777788889999']);
  });
});

describe('attemptsInBusiestWindow', () => {
  const WINDOW = 15 * 60_000;
  const at = (minute: number) => new Date(Date.parse('2030-03-01T09:00:00.000Z') + minute * 60_000).toISOString();

  test('counts every attempt of a burst', () => {
    // Prepare
    const instants = [0, 1, 2, 3, 4].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(4), WINDOW);

    // Assess
    expect(busiest).toBe(5);
  });

  test('does not count attempts a window or more apart together (the window expired)', () => {
    // Prepare
    const instants = [0, 15, 30, 45, 60].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(60), WINDOW);

    // Assess
    expect(busiest).toBe(1);
  });

  test('counts attempts just inside the window together', () => {
    // Prepare
    const instants = [0, 3, 6, 9, 14.99].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(14.99), WINDOW);

    // Assess
    expect(busiest).toBe(5);
  });

  test('finds a window that holds the attempt even when later attempts were delivered first', () => {
    // Prepare
    const instants = [10, 11, 12, 13, 14].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(10), WINDOW);

    // Assess
    expect(busiest).toBe(5);
  });

  test('counts only windows that hold the attempt', () => {
    // Prepare
    const instants = [0, 1, 2, 3, 4, 40].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(40), WINDOW);

    // Assess
    expect(busiest).toBe(1);
  });
});

describe('lockoutMessage', () => {
  test('names the vendor, the attempts with where they came from, the revoked grants and the unlock command', () => {
    // Prepare
    const attempt: DeniedAttempt = {
      eventId: 'event-1',
      at: AT,
      grantId: 'g-0123456789ab',
      vendorId: 'acme',
      action: 'ssm:StartSession',
      errorCode: 'AccessDeniedException',
      caller: 'arn:aws:sts::111122223333:assumed-role/jit-g-0123456789ab/eve"\nInjected line',
      sourceIp: '203.0.113.7',
    };

    // Act
    const message = lockoutMessage({
      vendorId: 'acme',
      grantId: 'g-0123456789ab',
      threshold: 5,
      windowMinutes: 15,
      attempts: 5,
      recent: [attempt],
      revokedGrants: ['g-0123456789ab', 'g-other0000000'],
    });

    // Assess
    expect(message).toContain('vendor acme made 5 denied attempts within 15 minutes (threshold 5)');
    expect(message).toContain('Grants revoked: g-0123456789ab, g-other0000000');
    expect(message).toContain(`${AT}  ssm:StartSession  AccessDeniedException  grant g-0123456789ab  from 203.0.113.7`);
    expect(message).toContain('jit-access vendor unlock acme --reason "..."');
    expect(message.split('\n').some((line) => line.startsWith('Injected line'))).toBe(false);
  });
});
