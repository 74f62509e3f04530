import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambdas/shared/environment';
import { exampleStackConfig, functionLogicalId, synthTemplate } from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

const HANDLERS = ['validate-request', 'request-approval', 'decide', 'grant', 'revoke', 'sweeper', 'record-outcome'];
const LONG_RUNNING = ['grant', 'revoke', 'sweeper'];

function functionProperties(handler: string): Record<string, unknown> {
  return template.toJSON().Resources[functionLogicalId(template, handler)].Properties as Record<string, unknown>;
}

describe('lifecycle functions', () => {
  test('there is exactly one function per handler, each tagged with its handler name', () => {
    // Act
    const ids = HANDLERS.map((handler) => functionLogicalId(template, handler));

    // Assess
    template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length);
    expect(new Set(ids).size).toBe(HANDLERS.length);
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

  test.each(HANDLERS)('%s has every environment variable the Lambda runtime settings read', (handler) => {
    // Prepare
    // The config is inlined at bundle time, Lambda sets AWS_REGION, and the endpoint is for local runs only.
    const notSet: string[] = [ENV.config, ENV.region, ENV.endpoint];
    const required = Object.values(ENV).filter((name) => !notSet.includes(name));

    // Act
    const variables = (functionProperties(handler).Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(Object.keys(variables).sort()).toEqual(
      [...required, 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'NODE_OPTIONS'].sort(),
    );
    expect(variables).toMatchObject({
      [ENV.accountId]: { Ref: 'AWS::AccountId' },
      [ENV.partition]: { Ref: 'AWS::Partition' },
      POWERTOOLS_SERVICE_NAME: 'jit-access',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  test('the revoke function ARN the others receive is the ARN of the revoke function', () => {
    // Prepare
    const revokeName = functionProperties('revoke').FunctionName as string;

    // Act
    const arn = (functionProperties('grant').Environment as { Variables: Record<string, unknown> }).Variables[
      ENV.revokeFunctionArn
    ];

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

  test('no function role uses an AWS managed policy', () => {
    // Assess
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });
});

describe('stack outputs', () => {
  test.each([
    'StateMachineArn',
    'LedgerTableName',
    'SessionDocumentName',
    'SessionLogGroupName',
    'SessionBucketName',
    'InstancePolicyArn',
    'DecideFunctionName',
    'RevokeFunctionName',
  ])('exports %s', (name) => {
    // Assess
    template.hasOutput(name, { Value: Match.anyValue() });
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
});
