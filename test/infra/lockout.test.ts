import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Duration } from 'aws-cdk-lib';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { LifecycleFunctions } from '../../lib/constructs/lifecycle-functions';
import { Lockout, lockoutEventPatterns, type LockoutProps } from '../../lib/constructs/lockout';
import {
  deniedCallEvent,
  failedAssumeRoleEvent,
  type CloudTrailEvent,
} from '../../scripts/local-aws/cloudtrail-events';
import { scratchApp } from '../helpers/scratch-app';
import {
  actionsOf,
  buildStack,
  exampleStackConfig,
  functionLogicalId,
  onlyLogicalId,
  resourcesOf,
  statementsOfHandler,
  synthTemplate,
} from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);
const lockoutFunction = functionLogicalId(template, 'lockout');
const lockoutFunctionArn = { 'Fn::GetAtt': [lockoutFunction, 'Arn'] };

/** The grant role ARN prefix as CloudFormation renders it for this stack. */
const GRANT_ROLE_PREFIX = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/jit-access/jit-']],
};
const DENIED_CODES = ['AccessDenied', 'AccessDeniedException', { suffix: 'UnauthorizedOperation' }];

function ruleId(name: string): string {
  return onlyLogicalId(template, 'AWS::Events::Rule', { Name: name });
}
const deniedCallsRule = ruleId('JitAccess-lockout-denied-calls');
const failedAssumeRoleRule = ruleId('JitAccess-lockout-assume-role');
const deadLetterQueue = onlyLogicalId(template, 'AWS::SQS::Queue', {
  KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LockoutKey'), 'Arn'] },
});

type Pattern = Readonly<Record<string, unknown>>;

/**
 * EventBridge's matching for the parts of the pattern language the lockout rules use: lists of values, `prefix` and
 * `suffix`, nested objects. Enough to show which CloudTrail records each rule hands to the function.
 */
function matches(pattern: Pattern, event: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      return expected.some((option: unknown) => {
        if (typeof option !== 'object' || option === null) return actual === option;
        const { prefix, suffix } = option as { prefix?: string; suffix?: string };
        if (typeof actual !== 'string') return false;
        return prefix !== undefined ? actual.startsWith(prefix) : suffix !== undefined && actual.endsWith(suffix);
      });
    }
    return typeof actual === 'object' && actual !== null && matches(expected as Pattern, actual as Pattern);
  });
}

/** The patterns as EventBridge receives them (CDK's names turned into the JSON keys), for a literal account. */
const ACCOUNT = '111122223333';
const PREFIX = `arn:aws:iam::${ACCOUNT}:role/jit-access/jit-`;
function renderedPattern(pattern: object): Pattern {
  const { detailType, ...rest } = pattern as { detailType?: unknown };
  return new Stack(scratchApp()).resolve({ ...rest, 'detail-type': detailType }) as Pattern;
}
const patterns = lockoutEventPatterns(PREFIX);
const deniedCalls = renderedPattern(patterns.deniedCalls);
const failedAssumeRole = renderedPattern(patterns.failedAssumeRole);

const stackAccount = { accountId: ACCOUNT, region: 'eu-west-1' };
const grantRole = `${PREFIX}g-0123456789ab`;
const asRecord = (event: CloudTrailEvent) => event as unknown as Record<string, unknown>;

describe('lockout rules', () => {
  test('the denied-calls rule picks refused calls of sessions of the stack’s jit- roles, management read events too', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'JitAccess-lockout-denied-calls',
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventPattern: {
        source: [{ prefix: 'aws.' }],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          errorCode: DENIED_CODES,
          userIdentity: {
            type: ['AssumedRole'],
            sessionContext: { sessionIssuer: { arn: [{ prefix: GRANT_ROLE_PREFIX }] } },
          },
        },
      },
    });
  });

  test('the failed-AssumeRole rule picks refused sts:AssumeRole of the stack’s jit- roles', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'JitAccess-lockout-assume-role',
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventPattern: {
        source: ['aws.sts'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['sts.amazonaws.com'],
          eventName: ['AssumeRole'],
          errorCode: DENIED_CODES,
          requestParameters: { roleArn: [{ prefix: GRANT_ROLE_PREFIX }] },
        },
      },
    });
  });

  test.each([
    [
      'an ssm:StartSession refused to a grant role session',
      deniedCallEvent({ ...stackAccount, roleArn: grantRole, at: '2030-03-01T09:10:00Z' }),
    ],
    [
      'an ec2 call refused with Client.UnauthorizedOperation',
      deniedCallEvent({
        ...stackAccount,
        roleArn: grantRole,
        at: '2030-03-01T09:10:00Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        errorCode: 'Client.UnauthorizedOperation',
      }),
    ],
  ])('the denied-calls rule matches %s', (_, event) => {
    // Assess
    expect(matches(deniedCalls, asRecord(event))).toBe(true);
    expect(matches(failedAssumeRole, asRecord(event))).toBe(false);
  });

  test('the failed-AssumeRole rule matches a refused AssumeRole of a grant role', () => {
    // Prepare
    const event = failedAssumeRoleEvent({
      ...stackAccount,
      roleArn: grantRole,
      callerAccountId: '444455556666',
      at: '2030-03-01T09:10:00Z',
    });

    // Assess
    expect(matches(failedAssumeRole, asRecord(event))).toBe(true);
  });

  test.each([
    [
      'a role outside the path',
      deniedCallEvent({
        ...stackAccount,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/other/jit-g-0123456789ab`,
        at: '2030-03-01T09:10:00Z',
      }),
    ],
    [
      'a role of another account',
      deniedCallEvent({
        ...stackAccount,
        roleArn: `arn:aws:iam::999988887777:role/jit-access/jit-g-0123456789ab`,
        at: '2030-03-01T09:10:00Z',
      }),
    ],
    [
      'a throttled call',
      deniedCallEvent({
        ...stackAccount,
        roleArn: grantRole,
        at: '2030-03-01T09:10:00Z',
        errorCode: 'ThrottlingException',
      }),
    ],
    [
      'a record someone put on the bus',
      {
        ...deniedCallEvent({ ...stackAccount, roleArn: grantRole, at: '2030-03-01T09:10:00Z' }),
        source: 'custom.cloudtrail',
      },
    ],
    [
      'an AssumeRole of a role outside the path',
      failedAssumeRoleEvent({
        ...stackAccount,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
        callerAccountId: '444455556666',
        at: '2030-03-01T09:10:00Z',
      }),
    ],
  ])('neither rule matches %s', (_, event) => {
    // Assess
    expect(matches(deniedCalls, asRecord(event as CloudTrailEvent))).toBe(false);
    expect(matches(failedAssumeRole, asRecord(event as CloudTrailEvent))).toBe(false);
  });

  test.each([
    ['denied calls', deniedCallsRule],
    ['failed AssumeRole', failedAssumeRoleRule],
  ])('the %s rule targets the lockout function, with retries, a maximum age and the dead-letter queue', (_, rule) => {
    // Act
    const targets = (template.toJSON() as { Resources: Record<string, { Properties: { Targets: unknown } }> })
      .Resources[rule]?.Properties.Targets;

    // Assess
    expect(targets).toEqual([
      expect.objectContaining({
        Arn: lockoutFunctionArn,
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetterQueue, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
      }),
    ]);
  });

  test('only the two rules may invoke the lockout function, each through EventBridge with its own ARN', () => {
    // Act
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: lockoutFunctionArn } }),
    ).map((p) => p.Properties as Record<string, unknown>);

    // Assess
    expect(permissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [deniedCallsRule, 'Arn'] },
        }),
        expect.objectContaining({
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [failedAssumeRoleRule, 'Arn'] },
        }),
      ]),
    );
    expect(permissions).toHaveLength(2);
  });
});

describe('the lockout function', () => {
  test('has reserved concurrency, its own dead-letter queue and two retries of a failed run', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: [{ Key: 'jit-access:handler', Value: 'lockout' }],
      ReservedConcurrentExecutions: 2,
      Timeout: 300,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [deadLetterQueue, 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: lockoutFunction },
      MaximumRetryAttempts: 2,
    });
  });

  test('may do exactly what the revoke path, the ledger and the notice need, and nothing that creates access', () => {
    // Act
    const allowed = statementsOfHandler(template, 'lockout')
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
        'ec2:DescribeInstances',
        'ec2:DescribeSecurityGroupRules',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:UpdateSecurityGroupRuleDescriptionsIngress',
        'iam:AttachRolePolicy',
        'iam:DeleteRole',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListAttachedRolePolicies',
        'iam:ListRolePolicies',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'scheduler:DeleteSchedule',
        'scheduler:GetSchedule',
        'sns:Publish',
        'sqs:SendMessage',
        'ssm:DescribeSessions',
        'ssm:ListCommandInvocations',
        'ssm:ListCommands',
        'ssm:SendCommand',
        'ssm:TerminateSession',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });

  test('uses a * resource only for calls AWS gives no resource for (Describe, SSM command results, X-Ray)', () => {
    // Act
    const unscoped = statementsOfHandler(template, 'lockout')
      .filter((s) => s.Effect === 'Allow' && resourcesOf(s).includes('*'))
      .flatMap(actionsOf)
      .filter((action) => !/^[a-z0-9]+:Describe/.test(action) && !action.startsWith('xray:Put'));

    // Assess: reading the OS-account lock's results (ListCommands, ListCommandInvocations) has no resource type.
    expect([...new Set(unscoped)].sort()).toEqual(['ssm:ListCommandInvocations', 'ssm:ListCommands']);
  });

  test('may change IAM only on jit- roles under the stack path, and attach only the stack’s deny-all', () => {
    // Act
    const iamAllows = statementsOfHandler(template, 'lockout').filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('iam:')),
    );

    // Assess
    for (const statement of iamAllows) {
      expect(JSON.stringify(statement.Resource)).toContain(':role/jit-access/jit-*');
    }
    expect(iamAllows.find((s) => actionsOf(s).includes('iam:AttachRolePolicy'))?.Condition).toMatchObject({
      ArnEquals: { 'iam:PolicyARN': { Ref: expect.stringMatching(/^GrantPermissionsBoundaryRevokedPolicy/) } },
    });
  });
});

describe('the lockout dead-letter queue', () => {
  test('is KMS-encrypted with its own key, TLS-only, and takes messages only from the two rules', () => {
    // Assess
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: deadLetterQueue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [deniedCallsRule, 'Arn'] } } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [failedAssumeRoleRule, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  test('alarms the notification topic on the first message that lands in it', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueue, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^NotificationsTopic') }],
    });
  });
});

describe('the Lockout construct', () => {
  /** A second Lockout in a built stack, wired to its functions and topic, with `props` on top. */
  function addLockout(props: Partial<LockoutProps>): () => void {
    const { stack } = buildStack(config);
    const functions = stack.node.findChild('Functions') as LifecycleFunctions;
    const alarmTopic = stack.node.findChild('Notifications').node.findChild('Topic') as Topic;
    return () => new Lockout(stack, 'SecondLockout', { config, functions, alarmTopic, ...props });
  }

  test.each([
    [{ retryAttempts: 186 }, /SecondLockout: retryAttempts must be a whole number from 0 to 185, got 186/],
    [{ retryAttempts: 1.5 }, /retryAttempts must be a whole number from 0 to 185/],
    [{ maxEventAge: Duration.seconds(30) }, /SecondLockout: maxEventAge must be 1 minute to 24 hours, got 30 seconds/],
    [{ maxEventAge: Duration.hours(25) }, /maxEventAge must be 1 minute to 24 hours/],
  ])('refuses %o, naming the prop and its range', (props, message) => {
    // Assess
    expect(addLockout(props)).toThrow(message);
  });
});
