import { systemClock, systemSleeper } from '../../lambdas/shared/clock';
import {
  createDependencies,
  lambdaDependencies,
  requiredSetting,
  type Dependencies,
} from '../../lambdas/shared/dependencies';
import { exampleConfig } from '../helpers/config-fixture';
import { testSettings } from '../helpers/handler-deps';

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
    process.env = {
      ...originalEnv,
      JIT_CONFIG: JSON.stringify(exampleConfig()),
      LEDGER_TABLE_NAME: 'jit-access-ledger',
      NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:jit-access-notifications',
      ACCOUNT_ID: '111122223333',
      AWS_REGION: 'eu-west-1',
      PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::111122223333:policy/jit-access/jit-grant-boundary',
      REVOKED_POLICY_ARN: 'arn:aws:iam::111122223333:policy/jit-access/jit-grant-revoked',
      SESSION_DOCUMENT_NAME: 'JitAccess-VendorShell',
      OS_ACCOUNT_DOCUMENT_NAME: 'JitAccess-OsAccount',
      SESSION_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
      SCHEDULE_GROUP_NAME: 'jit-access-expiry',
      SCHEDULER_ROLE_ARN: 'arn:aws:iam::111122223333:role/jit-access-scheduler',
      SCHEDULER_DLQ_ARN: 'arn:aws:sqs:eu-west-1:111122223333:jit-access-expiry-dlq',
      REVOKE_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:111122223333:function:jit-access-revoke',
      JIT_SECURITY_GROUPS: '{"billing-db":"sg-0b1111111111111111"}',
    };
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
