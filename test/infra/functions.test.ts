import { exampleConfig } from '../helpers/config-fixture';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambdas/shared/environment';
import { exampleStackConfig, functionLogicalId, onlyLogicalId, synthTemplate } from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

const LIFECYCLE_HANDLERS = [
  'validate-request',
  'request-approval',
  'grant',
  'revoke',
  'sweeper',
  'record-outcome',
  'lockout',
  'os-account-result',
];
const API_HANDLERS = ['api-read', 'api-request', 'api-decide', 'api-audit'];
const HANDLERS = [...LIFECYCLE_HANDLERS, ...API_HANDLERS];
const LONG_RUNNING = ['grant', 'revoke', 'sweeper', 'lockout'];

/**
 * Variables only the functions that use them receive: the workflow to start, the session logs to read, the
 * transcripts and the evidence key of the audit.
 */
const EXTRA_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  'api-request': [ENV.stateMachineArn],
  'api-read': [ENV.sessionLogGroup],
  'api-audit': [ENV.sessionLogGroup, ENV.sessionBucket, ENV.evidenceKeyArn],
  sweeper: [ENV.stateMachineArn],
};

function functionProperties(handler: string): Record<string, unknown> {
  return template.toJSON().Resources[functionLogicalId(template, handler)].Properties as Record<string, unknown>;
}

function environmentOf(handler: string): Record<string, unknown> {
  return (functionProperties(handler).Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('stack functions', () => {
  test('are exactly the lifecycle steps, the lockout, the OS-account results and the four API functions, one each', () => {
    // Act
    const tags = Object.values(template.findResources('AWS::Lambda::Function')).flatMap((fn) =>
      (fn.Properties.Tags as { Key: string; Value: string }[])
        .filter((tag) => tag.Key === 'jit-access:handler')
        .map((tag) => tag.Value),
    );

    // Assess
    template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length);
    expect([...tags].sort()).toEqual([...HANDLERS].sort());
  });

  test.each(HANDLERS)('%s runs on the latest Node.js on ARM with tracing and 256 MB', (handler) => {
    // Act
    const properties = functionProperties(handler);

    // Assess
    expect(properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      TracingConfig: { Mode: 'Active' },
      Timeout: LONG_RUNNING.includes(handler) ? 300 : 30,
    });
  });

  test.each(HANDLERS)('%s has every environment variable the Lambda runtime settings read, and no other', (handler) => {
    // Prepare
    // The config is inlined at bundle time, Lambda sets AWS_REGION, the endpoint is for local runs only, and the
    // state machine and session log group are given only to the function that needs each.
    const notSet: string[] = [
      ENV.config,
      ENV.region,
      ENV.endpoint,
      ENV.stateMachineArn,
      ENV.sessionLogGroup,
      ENV.sessionBucket,
      ENV.evidenceKeyArn,
    ];
    const required = [
      ...Object.values(ENV).filter((name) => !notSet.includes(name)),
      ...(EXTRA_VARIABLES[handler] ?? []),
    ];

    // Act
    const variables = environmentOf(handler);

    // Assess
    expect(Object.keys(variables).sort()).toEqual(
      [...required, 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE'].sort(),
    );
    expect(variables).toMatchObject({
      [ENV.accountId]: { Ref: 'AWS::AccountId' },
      [ENV.partition]: { Ref: 'AWS::Partition' },
      POWERTOOLS_SERVICE_NAME: 'jit-access',
    });
  });

  test('turns on source maps in Node only when the config ships them with the bundles', () => {
    // Prepare
    const withMaps = synthTemplate(
      exampleConfig((raw) => {
        raw.sourceMaps = true;
      }),
    );

    // Act
    const functions = Object.values(withMaps.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }[];

    // Assess
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  test('api-request receives the ARN of the approval workflow it starts', () => {
    // Prepare
    const stateMachineId = onlyLogicalId(template, 'AWS::StepFunctions::StateMachine');

    // Act
    const arn = environmentOf('api-request')[ENV.stateMachineArn];

    // Assess
    expect(arn).toEqual({ Ref: stateMachineId });
  });

  test('api-read receives the name of the session log group it reads', () => {
    // Prepare
    const sessionLogGroupId = onlyLogicalId(template, 'AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SessionLoggingKey'), 'Arn'] },
    });

    // Act
    const name = environmentOf('api-read')[ENV.sessionLogGroup];

    // Assess
    expect(name).toEqual({ Ref: sessionLogGroupId });
  });

  test('the revoke function ARN the others receive is the ARN of the revoke function', () => {
    // Prepare
    const revokeName = functionProperties('revoke').FunctionName as string;

    // Act
    const arn = environmentOf('grant')[ENV.revokeFunctionArn];

    // Assess
    expect(JSON.stringify(arn)).toContain(`:function:${revokeName}"`);
  });

  test('each function logs to its own KMS-encrypted log group with the configured retention', () => {
    // Act
    const logGroupIds = HANDLERS.map(
      (handler) => (functionProperties(handler).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );

    // Assess
    expect(new Set(logGroupIds).size).toBe(HANDLERS.length);
    for (const id of logGroupIds) {
      expect(template.toJSON().Resources[id].Properties).toMatchObject({
        RetentionInDays: config.logRetentionDays,
        KmsKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
      });
    }
  });

  test.each(HANDLERS)('the role of %s is its own and uses no AWS managed policy', (handler) => {
    // Prepare
    const [roleId] = (functionProperties(handler).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];

    // Act
    const role = template.toJSON().Resources[roleId].Properties as Record<string, unknown>;
    const sharing = HANDLERS.filter(
      (other) => (functionProperties(other).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0] === roleId,
    );

    // Assess
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(sharing).toEqual([handler]);
  });
});

describe('stack outputs', () => {
  test.each([
    'ApiUrl',
    'ApiId',
    'StateMachineArn',
    'LedgerTableName',
    'SessionDocumentName',
    'OsAccountDocumentName',
    'SessionLogGroupName',
    'SessionBucketName',
    'SessionKeyArn',
    'PermissionsBoundaryArn',
    'ScheduleGroupName',
    'InstancePolicyArn',
  ])('exports %s', (name) => {
    // Assess
    template.hasOutput(name, { Value: Match.anyValue() });
  });

  test('ApiUrl is the URL of the v1 stage of the operator API and ApiId its id', () => {
    // Prepare
    const apiId = onlyLogicalId(template, 'AWS::ApiGateway::RestApi');
    const stageId = onlyLogicalId(template, 'AWS::ApiGateway::Stage', { StageName: 'v1' });

    // Assess
    template.hasOutput('ApiId', { Value: { Ref: apiId } });
    template.hasOutput('ApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: apiId },
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            '/',
            { Ref: stageId },
            '/',
          ],
        ],
      },
    });
  });

  test('the plan inputs are the session key, the permissions boundary and the schedule group of this stack', () => {
    // Prepare
    const sessionKeyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('session') });
    const boundaryId = onlyLogicalId(template, 'AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('permissions boundary'),
    });

    // Assess
    template.hasOutput('SessionKeyArn', { Value: { 'Fn::GetAtt': [sessionKeyId, 'Arn'] } });
    template.hasOutput('PermissionsBoundaryArn', { Value: { Ref: boundaryId } });
    template.hasOutput('ScheduleGroupName', { Value: 'jit-access-JitAccess' });
  });

  test.each(['DecideFunctionName', 'RevokeFunctionName'])('no longer exports %s', (name) => {
    // Act
    const outputs = template.findOutputs(name);

    // Assess
    expect(outputs).toEqual({});
  });

  test('no output names a Lambda function, so none invites a person to invoke one', () => {
    // Prepare
    const functionIds = Object.keys(template.findResources('AWS::Lambda::Function'));

    // Act
    const naming = Object.entries(template.findOutputs('*'))
      .map(([name, output]) => ({ name, value: JSON.stringify(output.Value) }))
      .filter(({ value }) => value.includes(':function:') || functionIds.some((id) => value.includes(`"${id}"`)));

    // Assess
    expect(functionIds.length).toBeGreaterThan(0);
    expect(naming).toEqual([]);
  });

  test('exports the JIT security group id of every target group', () => {
    // Assess
    template.hasOutput('JitSecurityGroupBillingDb', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('billingdb'), 'GroupId'] },
    });
    template.hasOutput('JitSecurityGroupWebFrontend', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('webfrontend'), 'GroupId'] },
    });
  });

  test.each([
    ['revoke', 10],
    ['sweeper', 1],
  ])(
    '%s, which ends access, has %i executions reserved and a dead-letter queue for failed asynchronous calls',
    (handler, reserved) => {
      // Act
      const properties = functionProperties(handler);

      // Assess
      expect(properties.ReservedConcurrentExecutions).toBe(reserved);
      expect(properties.DeadLetterConfig).toEqual({
        TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^ExpiryDeadLetterQueue/), 'Arn'] },
      });
    },
  );

  test('only what ends access reserves executions (revoke, sweeper, lockout, the lock results, api-decide for the kill switch)', () => {
    // Act
    const reserving = HANDLERS.filter(
      (handler) => functionProperties(handler).ReservedConcurrentExecutions !== undefined,
    );

    // Assess
    expect(reserving.sort()).toEqual(['api-decide', 'lockout', 'os-account-result', 'revoke', 'sweeper']);
  });
});
