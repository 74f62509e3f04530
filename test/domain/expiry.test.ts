import {
  atExpression,
  atExpressionInstant,
  grantWindow,
  isExpired,
  roleSessionSeconds,
} from '../../lambdas/domain/expiry';

const NOW = new Date('2030-03-01T09:00:00.000Z');

describe('grantWindow', () => {
  test('starts at the requested start when it is still ahead and lasts the duration', () => {
    // Prepare
    const requestedStart = '2030-03-01T10:00:00.000Z';

    // Act
    const window = grantWindow(requestedStart, 90, NOW);

    // Assess
    expect(window).toEqual({ startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T11:30:00.000Z' });
  });

  test('starts now when the approval came after the requested start, keeping the full duration', () => {
    // Prepare
    const requestedStart = '2030-03-01T08:00:00.000Z';

    // Act
    const window = grantWindow(requestedStart, 60, NOW);

    // Assess
    expect(window).toEqual({ startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T10:00:00.000Z' });
  });

  test('drops the milliseconds of the start', () => {
    // Prepare
    const now = new Date('2030-03-01T09:00:05.789Z');

    // Act
    const window = grantWindow('2030-03-01T08:00:00.000Z', 60, now);

    // Assess
    expect(window).toEqual({ startAt: '2030-03-01T09:00:05.000Z', expiresAt: '2030-03-01T10:00:05.000Z' });
  });

  test('reads a requested start given with a zone offset as the same instant in UTC', () => {
    // Prepare
    const requestedStart = '2030-03-01T12:00:00+02:00';

    // Act
    const window = grantWindow(requestedStart, 30, NOW);

    // Assess
    expect(window).toEqual({ startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T10:30:00.000Z' });
  });
});

describe('atExpression', () => {
  test('formats the instant in UTC to the second, without milliseconds or zone', () => {
    // Prepare
    const expiresAt = '2030-03-01T12:00:00.000Z';

    // Act
    const expression = atExpression(expiresAt);

    // Assess
    expect(expression).toBe('at(2030-03-01T12:00:00)');
  });

  test('converts an instant with a zone offset to UTC', () => {
    // Prepare
    const expiresAt = '2030-03-01T13:30:15+01:00';

    // Act
    const expression = atExpression(expiresAt);

    // Assess
    expect(expression).toBe('at(2030-03-01T12:30:15)');
  });
});

describe('atExpressionInstant', () => {
  test('reads the instant of an at() expression as UTC', () => {
    // Prepare
    const expression = 'at(2030-03-01T12:30:15)';

    // Act
    const instant = atExpressionInstant(expression);

    // Assess
    expect(instant).toBe('2030-03-01T12:30:15.000Z');
  });

  test('returns the instant atExpression was given', () => {
    // Prepare
    const expiresAt = '2030-12-31T23:59:59.000Z';

    // Act
    const instant = atExpressionInstant(atExpression(expiresAt));

    // Assess
    expect(instant).toBe(expiresAt);
  });

  test.each([
    'rate(5 minutes)',
    'cron(0 12 * * ? *)',
    'at(2030-03-01 12:00:00)',
    'at(2030-03-01T12:00:00Z)',
    'at(2030-03-01T12:00)',
    ' at(2030-03-01T12:00:00)',
  ])('refuses %s', (expression) => {
    // Prepare
    const input = expression;

    // Act
    const act = () => atExpressionInstant(input);

    // Assess
    expect(act).toThrow(`not a one-time schedule expression: ${expression}`);
  });
});

describe('roleSessionSeconds', () => {
  test.each([
    ['30-minute', 3600, '2030-03-01T10:30:00.000Z'],
    ['1-hour', 3600, '2030-03-01T11:00:00.000Z'],
    ['2-hour', 7200, '2030-03-01T12:00:00.000Z'],
    ['12-hour', 43200, '2030-03-01T22:00:00.000Z'],
    ['24-hour', 43200, '2030-03-02T10:00:00.000Z'],
  ])('gives a %s grant a role session of %i seconds', (_length, expected, expiresAt) => {
    // Prepare
    const window = { startAt: '2030-03-01T10:00:00.000Z', expiresAt };

    // Act
    const seconds = roleSessionSeconds(window);

    // Assess
    expect(seconds).toBe(expected);
  });
});

describe('isExpired', () => {
  test('is not expired a millisecond before the expiry', () => {
    // Prepare
    const now = new Date('2030-03-01T11:59:59.999Z');

    // Act
    const expired = isExpired('2030-03-01T12:00:00.000Z', now);

    // Assess
    expect(expired).toBe(false);
  });

  test('is expired at the expiry instant', () => {
    // Prepare
    const now = new Date('2030-03-01T12:00:00.000Z');

    // Act
    const expired = isExpired('2030-03-01T12:00:00.000Z', now);

    // Assess
    expect(expired).toBe(true);
  });

  test('is never expired without an expiry', () => {
    // Prepare
    const now = new Date('2099-01-01T00:00:00.000Z');

    // Act
    const expired = isExpired(undefined, now);

    // Assess
    expect(expired).toBe(false);
  });
});
