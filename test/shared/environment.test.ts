import { readRuntimeSettings } from '../../lambdas/shared/environment';
import { exampleConfig } from '../helpers/config-fixture';
import { lambdaEnv } from '../helpers/lambda-env';

const CONFIG_JSON = JSON.stringify(exampleConfig());

/** What {@link lambdaEnv} reads as. */
function lambdaSettings() {
  return {
    config: JSON.parse(CONFIG_JSON) as unknown,
    ledgerTableName: 'jit-access-ledger',
    topicArn: 'arn:aws:sns:eu-west-1:111122223333:jit-access-notifications',
    env: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws' },
    permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/jit-grant-boundary',
    revokedPolicyArn: 'arn:aws:iam::111122223333:policy/jit-access/jit-grant-revoked',
    sessionDocumentName: 'JitAccess-VendorShell',
    osAccountDocumentName: 'JitAccess-OsAccount',
    sessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
    scheduleGroupName: 'jit-access-expiry',
    schedulerRoleArn: 'arn:aws:iam::111122223333:role/jit-access-scheduler',
    schedulerDlqArn: 'arn:aws:sqs:eu-west-1:111122223333:jit-access-expiry-dlq',
    revokeFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:jit-access-revoke',
    securityGroups: { 'billing-db': 'sg-0b1111111111111111', 'web-frontend': 'sg-0f2222222222222222' },
  };
}

/** The message `act` throws with; returning fails the test. */
function thrownBy(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('expected a throw, but the call returned');
}

const INVALID_SECURITY_GROUPS = 'JIT_SECURITY_GROUPS must be a JSON object of target group → security group id';

describe('readRuntimeSettings', () => {
  const originalEnv = process.env;

  beforeEach(() => {
    // The config is read from process.env itself (esbuild inlines it), the rest from the environment given.
    process.env = { ...originalEnv, JIT_CONFIG: CONFIG_JSON };
  });

  afterEach(() => {
    process.env = originalEnv;
  });

  it('reads every setting of a complete environment, in the aws partition when none is set', () => {
    // Act
    const settings = readRuntimeSettings(lambdaEnv());

    // Assess
    expect(settings).toStrictEqual(lambdaSettings());
  });

  it('takes the partition from the environment when it is set', () => {
    // Act
    const settings = readRuntimeSettings(lambdaEnv({ PARTITION: 'aws-cn' }));

    // Assess
    expect(settings.env).toStrictEqual({ accountId: '111122223333', region: 'eu-west-1', partition: 'aws-cn' });
  });

  it('reads the evidence bucket, the state machine and the session log group where the function has them', () => {
    // Prepare
    const env = lambdaEnv({
      EVIDENCE_BUCKET_NAME: 'jitaccess-sessions-111122223333-eu-west-1',
      STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111122223333:stateMachine:jit-access-approval',
      SESSION_LOG_GROUP_NAME: 'jit-access-sessions',
    });

    // Act
    const settings = readRuntimeSettings(env);

    // Assess
    expect(settings).toStrictEqual({
      ...lambdaSettings(),
      evidenceBucketName: 'jitaccess-sessions-111122223333-eu-west-1',
      stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:jit-access-approval',
      sessionLogGroupName: 'jit-access-sessions',
    });
  });

  it('reads process.env when no environment is given', () => {
    // Prepare
    process.env = { ...lambdaEnv(), JIT_CONFIG: CONFIG_JSON };

    // Act
    const settings = readRuntimeSettings();

    // Assess
    expect(settings).toStrictEqual(lambdaSettings());
  });

  it('names every missing or empty variable once, in the order of the list', () => {
    // Prepare
    const env = lambdaEnv({ LEDGER_TABLE_NAME: undefined, ACCOUNT_ID: undefined, JIT_SECURITY_GROUPS: '' });

    // Act
    const message = thrownBy(() => readRuntimeSettings(env));

    // Assess
    expect(message).toBe(
      'jit-access Lambda environment is incomplete or invalid: LEDGER_TABLE_NAME, ACCOUNT_ID, JIT_SECURITY_GROUPS',
    );
  });

  it('refuses an account id that is not exactly twelve digits', () => {
    for (const accountId of ['11112222333', '1111222233334', 'x111122223333', '111122223333x', 'abcdefghijkl']) {
      // Act
      const message = thrownBy(() => readRuntimeSettings(lambdaEnv({ ACCOUNT_ID: accountId })));

      // Assess
      expect(message).toBe('jit-access Lambda environment is incomplete or invalid: ACCOUNT_ID');
    }
  });

  it('refuses an environment without the config', () => {
    for (const config of [undefined, '']) {
      // Prepare
      process.env = { ...originalEnv, JIT_CONFIG: config };

      // Act
      const message = thrownBy(() => readRuntimeSettings(lambdaEnv()));

      // Assess
      expect(message).toBe('jit-access Lambda environment is missing JIT_CONFIG');
    }
  });

  it('accepts security groups given as an empty object', () => {
    // Act
    const settings = readRuntimeSettings(lambdaEnv({ JIT_SECURITY_GROUPS: '{}' }));

    // Assess
    expect(settings.securityGroups).toStrictEqual({});
  });

  it('refuses security groups that are a string, a number, null or an array', () => {
    for (const json of ['"sg-0b1111111111111111"', '42', 'null', '["sg-0b1111111111111111"]']) {
      // Act
      const message = thrownBy(() => readRuntimeSettings(lambdaEnv({ JIT_SECURITY_GROUPS: json })));

      // Assess
      expect(message).toBe(INVALID_SECURITY_GROUPS);
    }
  });

  it('refuses security groups whose ids are not all strings', () => {
    for (const json of ['{"billing-db":42}', '{"billing-db":"sg-0b1111111111111111","web-frontend":false}']) {
      // Act
      const message = thrownBy(() => readRuntimeSettings(lambdaEnv({ JIT_SECURITY_GROUPS: json })));

      // Assess
      expect(message).toBe(INVALID_SECURITY_GROUPS);
    }
  });
});
