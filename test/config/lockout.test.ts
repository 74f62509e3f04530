import { ConfigError, parseConfig } from '../../lib/config/load-config';
import { exampleConfigInput } from '../helpers/config-fixture';

/** The problem lines parseConfig reports for the example with `lockout` set, or an empty list when it accepts it. */
function problemsWithLockout(lockout: unknown): readonly string[] {
  try {
    parseConfig({ ...exampleConfigInput(), lockout });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('the lockout config', () => {
  test('defaults to 5 denied attempts within 15 minutes', () => {
    // Act
    const config = parseConfig(exampleConfigInput());

    // Assess
    expect(config.lockout).toEqual({ threshold: 5, windowMinutes: 15 });
  });

  test('keeps the default window when only the threshold is set', () => {
    // Act
    const config = parseConfig({ ...exampleConfigInput(), lockout: { threshold: 3 } });

    // Assess
    expect(config.lockout).toEqual({ threshold: 3, windowMinutes: 15 });
  });

  test.each([
    [{ threshold: 0 }, 'jitAccess.lockout.threshold: must be 1-100 attempts'],
    [{ threshold: 101 }, 'jitAccess.lockout.threshold: must be 1-100 attempts'],
    [{ threshold: 2.5 }, 'jitAccess.lockout.threshold: must be a whole number, not 2.5'],
    [{ windowMinutes: 0 }, 'jitAccess.lockout.windowMinutes: must be 1-1440 minutes'],
    [{ windowMinutes: 1441 }, 'jitAccess.lockout.windowMinutes: must be 1-1440 minutes'],
  ])('reports %o naming the field and its range', (lockout, problem) => {
    // Assess
    expect(problemsWithLockout(lockout)).toEqual([problem]);
  });

  test('reports a misspelt field by name', () => {
    // Act
    const problems = problemsWithLockout({ treshold: 3 });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^jitAccess\.lockout.*treshold/);
  });
});
