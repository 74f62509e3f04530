import {
  attemptsInBusiestWindow,
  claimOf,
  grantIdOfRoleArn,
  isDenial,
  lockoutMessage,
  lockoutReason,
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
const GRANT_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/jit-g-0123456789ab/vendor-engineer`;

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
      expect(claim).toEqual({ counts: false, why: `error "${errorCode}" is not a denial` });
    },
  );

  test('does not count a successful call, which has no error code', () => {
    // Prepare
    const event = denied(GRANT_ROLE);
    const { errorCode: _errorCode, ...detail } = event.detail;

    // Act
    const claim = claimOf({ ...event, detail }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: 'error "none" is not a denial' });
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
    expect(claim).toEqual({ counts: false, why: `the caller "${roleArn}" is not a grant role under /jit-access/` });
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
    expect(claim).toEqual({
      counts: false,
      why: `session "arn:aws:sts::${ACCOUNT}:assumed-role/jit-g-9999999999ab/vendor-engineer" is not of ${GRANT_ROLE}`,
    });
  });

  test('does not count a session of a grant role whose record names no session ARN', () => {
    // Prepare
    const event = denied(GRANT_ROLE);
    const { arn: _arn, ...userIdentity } = event.detail.userIdentity;

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, userIdentity } }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: `session "" is not of ${GRANT_ROLE}` });
  });

  test('does not count a caller that is no assumed-role session, whatever issuer its record names', () => {
    // Prepare
    const event = denied(GRANT_ROLE);
    const userIdentity = { ...event.detail.userIdentity, type: 'FederatedUser' };

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, userIdentity } }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: `the caller "${GRANT_ROLE}" is not a grant role under /jit-access/` });
  });

  test('does not count an assumed-role session whose record names no issuer', () => {
    // Prepare
    const event = denied(GRANT_ROLE);
    const { sessionContext: _sessionContext, ...userIdentity } = event.detail.userIdentity;

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, userIdentity } }, SCOPE);

    // Assess
    expect(claim).toEqual({
      counts: false,
      why: `the caller "${GRANT_SESSION}" is not a grant role under /jit-access/`,
    });
  });

  test('does not count an IAM user whose session context has no issuer', () => {
    // Prepare
    const event = denied(GRANT_ROLE);
    const userIdentity = {
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/bob`,
      accountId: ACCOUNT,
      sessionContext: {},
    };

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, userIdentity } }, SCOPE);

    // Assess
    expect(claim).toEqual({
      counts: false,
      why: `the caller "arn:aws:iam::${ACCOUNT}:user/bob" is not a grant role under /jit-access/`,
    });
  });

  test.each([
    [
      'a source that is not an AWS service',
      { source: 'custom.forged' },
      'source "custom.forged" is not an AWS service',
    ],
    [
      'a detail-type that is not an API call',
      { 'detail-type': 'EC2 Instance State-change Notification' },
      '"EC2 Instance State-change Notification" is no API call',
    ],
    ['another account', { account: '999988887777' }, 'the record is of account 999988887777'],
  ])('does not count a record with %s', (_what, change, why) => {
    // Act
    const claim = claimOf({ ...denied(GRANT_ROLE), ...change }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why });
  });

  test('strips only a trailing amazonaws.com from the event source to name the action', () => {
    // Prepare
    const event = denied(GRANT_ROLE, { eventSource: 'ssm.amazonaws.com.example', eventName: 'StartSession' });

    // Act
    const claim = claimOf(event, SCOPE);

    // Assess
    expect(claim).toMatchObject({ counts: true, attempt: { action: 'ssm.amazonaws.com.example:StartSession' } });
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

  test('names a failed AssumeRole caller with neither ARN nor account "unknown"', () => {
    // Prepare
    const event = failedAssume(GRANT_ROLE, { eventId: 'event-3' });
    const userIdentity = { type: 'AWSAccount' };

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, userIdentity } }, SCOPE);

    // Assess
    expect(claim).toEqual({
      counts: true,
      kind: 'failed-assume-role',
      attempt: {
        eventId: 'event-3',
        at: AT,
        grantId: 'g-0123456789ab',
        action: 'sts:AssumeRole',
        errorCode: 'AccessDenied',
        caller: 'unknown',
        sourceIp: '203.0.113.10',
      },
    });
  });

  test('does not count a failed AssumeRoleWithWebIdentity of a grant role, only a failed AssumeRole', () => {
    // Prepare
    const event = failedAssume(GRANT_ROLE);

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, eventName: 'AssumeRoleWithWebIdentity' } }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: 'the caller "unknown" is not a grant role under /jit-access/' });
  });

  test('does not count an AssumeRole record of a grant role from a service other than STS', () => {
    // Prepare
    const event = failedAssume(GRANT_ROLE);

    // Act
    const claim = claimOf({ ...event, detail: { ...event.detail, eventSource: 'iam.amazonaws.com' } }, SCOPE);

    // Assess
    expect(claim).toEqual({ counts: false, why: 'the caller "unknown" is not a grant role under /jit-access/' });
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

  test('skips a principal that names no account', () => {
    // Act
    const accounts = principalAccounts(['*', 'arn:aws:iam::444455556666:root']);

    // Assess
    expect([...accounts]).toEqual(['444455556666']);
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

  test('counts attempts given in any order', () => {
    // Prepare
    const instants = [4, 0, 3, 1, 2].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(2), WINDOW);

    // Assess
    expect(busiest).toBe(5);
  });

  test('does not count a busier window that starts after the attempt', () => {
    // Prepare
    const instants = [0, 20, 21, 22, 23].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(0), WINDOW);

    // Assess
    expect(busiest).toBe(1);
  });

  test('does not count attempts made exactly one window before the attempt, in the window that ends at it', () => {
    // Prepare
    const instants = [0, 0, 0, 15].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(15), WINDOW);

    // Assess
    expect(busiest).toBe(1);
  });

  test('does not count an attempt exactly one window after the attempt that starts the window', () => {
    // Prepare
    const instants = [0, 15].map(at);

    // Act
    const busiest = attemptsInBusiestWindow(instants, at(0), WINDOW);

    // Assess
    expect(busiest).toBe(1);
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

describe('lockoutReason', () => {
  test('says how many attempts in how many minutes locked the vendor, and by which grant', () => {
    // Act
    const reason = lockoutReason('g-0123456789ab', 5, 15);

    // Assess
    expect(reason).toBe('lockout: 5 denied attempts within 15 minutes (grant g-0123456789ab)');
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

  test('spells out the whole message, attempts oldest first and in recorded order at the same instant', () => {
    // Prepare
    const attempt = (eventId: string, at: string, sourceIp?: string): DeniedAttempt => ({
      eventId,
      at,
      grantId: 'g-0123456789ab',
      vendorId: 'acme',
      action: 'ssm:StartSession',
      errorCode: 'AccessDeniedException',
      caller: GRANT_SESSION,
      ...(sourceIp ? { sourceIp } : {}),
    });
    const recent = [
      attempt('event-b', '2030-03-01T09:02:00.000Z', '203.0.113.7'),
      attempt('event-c', '2030-03-01T09:03:00.000Z', '203.0.113.7'),
      attempt('event-a', '2030-03-01T09:01:00.000Z'),
      attempt('event-d', '2030-03-01T09:02:00.000Z', '203.0.113.8'),
    ];

    // Act
    const lines = lockoutMessage({
      vendorId: 'acme',
      grantId: 'g-0123456789ab',
      threshold: 4,
      windowMinutes: 15,
      attempts: 4,
      recent,
      revokedGrants: ['g-other0000000', 'g-0123456789ab'],
    }).split('\n');

    // Assess
    const by = `by "${GRANT_SESSION}"`;
    expect(lines).toEqual([
      'LOCKOUT: vendor acme made 4 denied attempts within 15 minutes (threshold 4).',
      'Grant g-0123456789ab was revoked and vendor acme is locked: no request is accepted and no grant made.',
      'Grants revoked: g-0123456789ab, g-other0000000',
      'Attempts recorded (CloudTrail):',
      `  - 2030-03-01T09:01:00.000Z  ssm:StartSession  AccessDeniedException  grant g-0123456789ab  from unknown  ${by}  (event event-a)`,
      `  - 2030-03-01T09:02:00.000Z  ssm:StartSession  AccessDeniedException  grant g-0123456789ab  from 203.0.113.7  ${by}  (event event-b)`,
      `  - 2030-03-01T09:02:00.000Z  ssm:StartSession  AccessDeniedException  grant g-0123456789ab  from 203.0.113.8  ${by}  (event event-d)`,
      `  - 2030-03-01T09:03:00.000Z  ssm:StartSession  AccessDeniedException  grant g-0123456789ab  from 203.0.113.7  ${by}  (event event-c)`,
      '',
      'Look into the attempts in CloudTrail (event ids above). Once resolved, an admin unlocks the vendor:',
      '  jit-access vendor unlock acme --reason "..."',
    ]);
  });
});
