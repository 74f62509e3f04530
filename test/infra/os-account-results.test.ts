import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf,
  exampleStackConfig,
  functionLogicalId,
  resourcesOf,
  statementsOfHandler,
  synthTemplate,
} from '../helpers/synth-stack';

const template: Template = synthTemplate(exampleStackConfig());
const resultFunction = functionLogicalId(template, 'os-account-result');

describe('OS-account results', () => {
  test("a rule hands only SSM's results of the stack's OS-account document to the result function", () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ssm'],
        'detail-type': ['EC2 Command Invocation Status-change Notification'],
        detail: {
          'document-name': [{ Ref: Match.stringLikeRegexp('^OsAccountDocument') }],
          status: [{ 'anything-but': ['Pending', 'InProgress', 'Delayed', 'Cancelling'] }],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [resultFunction, 'Arn'] } })],
    });
  });

  test('only its rule, through EventBridge, may invoke the result function', () => {
    // Act
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (resource) =>
        JSON.stringify(resource.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [resultFunction, 'Arn'] }),
    );

    // Assess
    expect(permissions).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^OsAccountResultsRule/), 'Arn'] },
        }),
      }),
    ]);
  });

  test('a result the function fails on is retried twice, then dead-lettered', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: resultFunction },
      MaximumRetryAttempts: 2,
    });
    expect(template.toJSON().Resources[resultFunction].Properties.DeadLetterConfig).toBeDefined();
  });

  test('may read commands, write the ledger and alert, and nothing that sends a command or touches IAM', () => {
    // Act
    const allowed = statementsOfHandler(template, 'os-account-result')
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf);

    // Assess
    expect([...new Set(allowed)].sort()).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        'sqs:SendMessage',
        'ssm:GetCommandInvocation',
        'ssm:ListCommands',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });

  test('uses a * resource only for ListCommands and GetCommandInvocation, which have no resource type, and X-Ray', () => {
    // Act
    const unscoped = statementsOfHandler(template, 'os-account-result')
      .filter((s) => s.Effect === 'Allow' && resourcesOf(s).includes('*'))
      .flatMap(actionsOf)
      .filter((action) => !action.startsWith('xray:Put'));

    // Assess
    expect(unscoped).toEqual(['ssm:GetCommandInvocation', 'ssm:ListCommands']);
  });
});
