import { matchesAnyPattern, matchesPrincipalPattern } from '../../lambdas/domain/principal-match';

const SUPPORT_ROLE = 'arn:aws:iam::111122223333:role/Support';

describe('matchesPrincipalPattern', () => {
  test('matches an identical ARN', () => {
    // Prepare
    const identity = SUPPORT_ROLE;

    // Act
    const matches = matchesPrincipalPattern(identity, SUPPORT_ROLE);

    // Assess
    expect(matches).toBe(true);
  });

  test('does not match an ARN that only starts like the pattern', () => {
    // Prepare
    const identity = 'arn:aws:iam::111122223333:role/SupportAdmin';

    // Act
    const matches = matchesPrincipalPattern(identity, SUPPORT_ROLE);

    // Assess
    expect(matches).toBe(false);
  });

  test('compares case-sensitively', () => {
    // Prepare
    const identity = 'arn:aws:iam::111122223333:role/support';

    // Act
    const matches = matchesPrincipalPattern(identity, SUPPORT_ROLE);

    // Assess
    expect(matches).toBe(false);
  });

  test('lets a trailing * stand for any session name', () => {
    // Prepare
    const identity = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/alice@example.com';

    // Act
    const matches = matchesPrincipalPattern(identity, 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/*');

    // Assess
    expect(matches).toBe(true);
  });

  test('lets a * in the middle stand for any account', () => {
    // Prepare
    const identity = 'arn:aws:iam::444455556666:role/Support';

    // Act
    const matches = matchesPrincipalPattern(identity, 'arn:aws:iam::*:role/Support');

    // Assess
    expect(matches).toBe(true);
  });

  test('keeps the text around a * exact', () => {
    // Prepare
    const identity = 'arn:aws:sts::111122223333:assumed-role/OtherRole/alice';

    // Act
    const matches = matchesPrincipalPattern(identity, 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/*');

    // Assess
    expect(matches).toBe(false);
  });

  test.each([
    ['.', 'arn:aws:iam::111122223333:user/a.b', 'arn:aws:iam::111122223333:user/aXb'],
    ['+', 'arn:aws:iam::111122223333:user/a+b', 'arn:aws:iam::111122223333:user/aab'],
    ['?', 'arn:aws:iam::111122223333:user/ab?', 'arn:aws:iam::111122223333:user/a'],
    ['()|', 'arn:aws:iam::111122223333:user/(a|b)', 'arn:aws:iam::111122223333:user/a'],
    ['[]', 'arn:aws:iam::111122223333:user/[ab]', 'arn:aws:iam::111122223333:user/a'],
    ['{}', 'arn:aws:iam::111122223333:user/a{2}', 'arn:aws:iam::111122223333:user/aa'],
    ['^$', 'arn:aws:iam::111122223333:user/a$^b', 'arn:aws:iam::111122223333:user/ab'],
    ['\\', 'arn:aws:iam::111122223333:user/a\\d', 'arn:aws:iam::111122223333:user/a1'],
  ])('treats %s in a pattern literally', (_metacharacters, pattern, lookalike) => {
    // Prepare
    const identity = lookalike;

    // Act
    const matches = matchesPrincipalPattern(identity, pattern);

    // Assess
    expect(matches).toBe(false);
  });

  test('matches an ARN holding the same metacharacters as the pattern', () => {
    // Prepare
    const identity = 'arn:aws:iam::111122223333:user/a.b+c';

    // Act
    const matches = matchesPrincipalPattern(identity, 'arn:aws:iam::111122223333:user/a.b+c');

    // Assess
    expect(matches).toBe(true);
  });
});

describe('matchesAnyPattern', () => {
  test('matches when one of the patterns matches', () => {
    // Prepare
    const patterns = ['arn:aws:iam::111122223333:role/Other', 'arn:aws:iam::111122223333:role/Sup*'];

    // Act
    const matches = matchesAnyPattern(SUPPORT_ROLE, patterns);

    // Assess
    expect(matches).toBe(true);
  });

  test('matches nothing against an empty list', () => {
    // Prepare
    const patterns: string[] = [];

    // Act
    const matches = matchesAnyPattern(SUPPORT_ROLE, patterns);

    // Assess
    expect(matches).toBe(false);
  });
});
