import { systemClock, systemSleeper } from '../../lambdas/shared/clock';
import {
  createDependencies,
  lambdaDependencies,
  requiredSetting,
  type Dependencies,
} from '../../lambdas/shared/dependencies';
import { exampleConfig } from '../helpers/config-fixture';
import { testSettings } from '../helpers/handler-deps';
import { lambdaEnv } from '../helpers/lambda-env';

describe('createDependencies', () => {
  it('lists the settings, the clock, the sleeper and every adapter among its keys', () => {
    // Act
    const deps = createDependencies({}, testSettings());

    // Assess
    expect(Object.keys(deps)).toEqual([
      'settings',
      'clock',
      'sleep',
      'ledger',
      'roles',
      'network',
      'schedules',
      'sessions',
      'osAccounts',
      'notifier',
      'approvals',
      'executions',
      'sessionLogs',
    ]);
  });

  it('reads time and waits through the system clock and sleeper', () => {
    // Act
    const deps = createDependencies({}, testSettings());

    // Assess
    expect(deps.clock).toBe(systemClock);
    expect(deps.sleep).toBe(systemSleeper);
  });
});

describe('lambdaDependencies', () => {
  const originalEnv = process.env;

  beforeEach(() => {
    process.env = { ...originalEnv, ...lambdaEnv({ JIT_CONFIG: JSON.stringify(exampleConfig()) }) };
    delete process.env.JIT_AWS_ENDPOINT;
  });

  afterEach(() => {
    process.env = originalEnv;
  });

  it('builds the dependencies from the Lambda environment once, and keeps them', () => {
    // Prepare
    const ledger = { kind: 'ledger' } as unknown as Dependencies['ledger'];
    const makeLedger = jest.fn(() => ledger);
    const deps = lambdaDependencies({ ledger: makeLedger });

    // Act
    const first = deps();
    const second = deps();

    // Assess
    expect(second).toBe(first);
    expect(first.settings.ledgerTableName).toBe('jit-access-ledger');
    expect(first.ledger).toBe(ledger);
    expect(makeLedger).toHaveBeenCalledWith(first.settings, { region: 'eu-west-1', maxAttempts: 4 });
  });

  it('reads the environment on first use, not when the handler module is loaded', () => {
    // Prepare
    const complete = process.env;
    process.env = {};
    const deps = lambdaDependencies({});
    process.env = complete;

    // Act
    const settings = deps().settings;

    // Assess
    expect(settings.ledgerTableName).toBe('jit-access-ledger');
  });
});

describe('requiredSetting', () => {
  it('answers the setting when the function has it', () => {
    // Act
    const value = requiredSetting('arn:aws:states:eu-west-1:111122223333:stateMachine:x', 'state machine');

    // Assess
    expect(value).toBe('arn:aws:states:eu-west-1:111122223333:stateMachine:x');
  });

  it('names the setting the function lacks, whether absent or empty', () => {
    for (const value of [undefined, '']) {
      // Act
      const act = () => requiredSetting(value, 'state machine');

      // Assess
      expect(act).toThrow(new Error('this function has no state machine: it does not take part in that step'));
    }
  });
});
