import { ConfigError } from '../../lib/config/load-config';
import { exampleConfigInput, problemsOf } from '../helpers/config-fixture';

describe('ConfigError', () => {
  test('is named ConfigError, so a stack trace says what kind of error it is', () => {
    // Prepare
    const problems = ['jitAccess.iamPath: must look like "/jit-access/" (starts and ends with a slash)'];

    // Act
    const error = new ConfigError(problems);

    // Assess
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toEqual(problems);
    expect(error.message).toBe(
      'Invalid jit-access config (cdk.json context "jitAccess"):\n' +
        '  jitAccess.iamPath: must look like "/jit-access/" (starts and ends with a slash)',
    );
  });
});

describe('parseConfig problem wording', () => {
  test('describes null given for a string as null', () => {
    // Prepare
    const raw = exampleConfigInput();
    Object.assign(raw.vendors[0]!, { osUser: null });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].osUser: must be a string, not null']);
  });

  test('describes an object given for a string as an object, not as its JSON', () => {
    // Prepare
    const raw = exampleConfigInput();
    Object.assign(raw.vendors[0]!, { osUser: { name: 'acme-support' } });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].osUser: must be a string, not an object']);
  });

  test('quotes a number given for a string as the number itself', () => {
    // Prepare
    const raw = exampleConfigInput();
    Object.assign(raw.vendors[0]!, { osUser: 42 });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].osUser: must be a string, not 42']);
  });

  test('lists several unknown fields of one object on one line, separated by commas', () => {
    // Prepare
    const raw = { ...exampleConfigInput(), sweeperRate: 10, logRetention: 365 };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess: has unknown field(s) sweeperRate, logRetention: remove or fix the spelling']);
  });
});
