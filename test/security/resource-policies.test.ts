/**
 * Every resource policy of the stack, compared whole: each KMS key policy (by the key's description), each bucket,
 * queue and topic policy (by what it protects), each role's trust policy, and each function's tags. A subset match would pass with an extra Allow beside the expected
 * statements; here any statement, principal or condition added, removed or widened fails, and so does a new key or
 * policy that nobody wrote down here.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { exampleStackConfig, onlyLogicalId, synthTemplate } from '../helpers/synth-stack';

const template: Template = synthTemplate(exampleStackConfig());

const PARTITION = { Ref: 'AWS::Partition' };
const REGION = { Ref: 'AWS::Region' };
const ACCOUNT = { Ref: 'AWS::AccountId' };
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const ref = (logicalId: string) => ({ Ref: logicalId });

/** The account's own administrators keep the key (CDK's default statement): IAM policies decide who uses it. */
const ACCOUNT_ADMINISTERS_KEY = {
  Action: 'kms:*',
  Effect: 'Allow',
  Principal: { AWS: join('arn:', PARTITION, ':iam::', ACCOUNT, ':root') },
  Resource: '*',
};

const logsUseKeyFor = (logGroupPattern: string) => ({
  Action: [
    'kms:Decrypt',
    'kms:DescribeKey',
    'kms:Encrypt',
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
  ],
  Condition: {
    ArnLike: {
      'kms:EncryptionContext:aws:logs:arn': [
        join('arn:', PARTITION, ':logs:', REGION, ':', ACCOUNT, `:log-group:${logGroupPattern}`),
      ],
    },
  },
  Effect: 'Allow',
  Principal: { Service: join('logs.', REGION, '.amazonaws.com') },
  Resource: '*',
  Sid: 'AllowCloudWatchLogsForTheStackLogGroupsOnly',
});

const eventsRuleArn = (name: string) => join('arn:', PARTITION, ':events:', REGION, ':', ACCOUNT, `:rule/${name}`);

const denyWithoutTls = (action: string, resource: unknown) => ({
  Action: action,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Resource: resource,
});

function policiesOf(type: string, documentField: string, targetField: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.values(template.findResources(type)).map((resource) => {
      const properties = resource.Properties as Record<string, unknown>;
      return [JSON.stringify(properties[targetField]), properties[documentField]];
    }),
  );
}

describe('the stack’s resource policies, compared exactly', () => {
  test('each KMS key policy', () => {
    // Act
    const keyPolicies = Object.fromEntries(
      Object.values(template.findResources('AWS::KMS::Key')).map((key) => [
        key.Properties.Description as string,
        key.Properties.KeyPolicy as unknown,
      ]),
    );

    // Assess
    const policy = (...statements: unknown[]) => ({
      Statement: [ACCOUNT_ADMINISTERS_KEY, ...statements],
      Version: '2012-10-17',
    });
    const auditRole = Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('OperatorApiapiauditRole'),
    ) as string;
    expect(keyPolicies).toEqual({
      'jit-access evidence signing: signs the SHA-256 manifest of each audit bundle': policy({
        Action: 'kms:Sign',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [auditRole, 'Arn'] } } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: '*',
        Sid: 'OnlyTheAuditFunctionSigns',
      }),
      'jit-access grant ledger (DynamoDB)': policy(),
      'jit-access expiry dead-letter queue (SQS)': policy(),
      'jit-access session recording (Session Manager, CloudWatch Logs, S3)': policy(
        logsUseKeyFor('/jit-access/JitAccess/sessions'),
      ),
      'jit-access operational logs (Lambda, Step Functions)': policy(logsUseKeyFor('/jit-access/JitAccess/ops/*')),
      'jit-access notification topic (SNS)': policy({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Resource: '*',
        Sid: 'AllowCloudWatchAlarmsToPublish',
      }),
      'jit-access lockout dead-letter queue (SQS)': policy({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: {
          ArnEquals: {
            'aws:SourceArn': [
              eventsRuleArn('JitAccess-lockout-denied-calls'),
              eventsRuleArn('JitAccess-lockout-assume-role'),
            ],
          },
        },
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: '*',
        Sid: 'AllowTheLockoutRulesToDeadLetter',
      }),
    });
  });

  test('each bucket policy', () => {
    // Prepare
    const sessions = onlyLogicalId(template, 'AWS::S3::Bucket', { ObjectLockEnabled: true });
    const accessLogs = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id !== sessions) as string;
    const objectsOf = (bucket: string) => [arnOf(bucket), join(arnOf(bucket), '/*')];

    // Act
    const policies = policiesOf('AWS::S3::BucketPolicy', 'PolicyDocument', 'Bucket');

    // Assess
    expect(policies).toEqual({
      [JSON.stringify(ref(sessions))]: {
        Statement: [denyWithoutTls('s3:*', objectsOf(sessions))],
        Version: '2012-10-17',
      },
      [JSON.stringify(ref(accessLogs))]: {
        Statement: [
          denyWithoutTls('s3:*', objectsOf(accessLogs)),
          {
            Action: 's3:PutObject',
            Condition: {
              ArnLike: { 'aws:SourceArn': arnOf(sessions) },
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
            },
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Resource: join(arnOf(accessLogs), '/session-bucket/*'),
          },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('each queue policy', () => {
    // Prepare
    const queueOf = (description: string) =>
      Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith(description)) as string;
    const expiryQueue = queueOf('ExpiryDeadLetterQueue');
    const lockoutQueue = queueOf('LockoutDeadLetterQueue');
    const ruleId = (name: string) => onlyLogicalId(template, 'AWS::Events::Rule', { Name: name });
    const sendFromRule = (ruleName: string, sid: string) => ({
      Action: 'sqs:SendMessage',
      Condition: { ArnEquals: { 'aws:SourceArn': arnOf(ruleId(ruleName)) } },
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Resource: arnOf(lockoutQueue),
      Sid: sid,
    });

    // Act
    const policies = policiesOf('AWS::SQS::QueuePolicy', 'PolicyDocument', 'Queues');

    // Assess
    expect(policies).toEqual({
      [JSON.stringify([ref(expiryQueue)])]: {
        Statement: [denyWithoutTls('sqs:*', arnOf(expiryQueue))],
        Version: '2012-10-17',
      },
      [JSON.stringify([ref(lockoutQueue)])]: {
        Statement: [
          denyWithoutTls('sqs:*', arnOf(lockoutQueue)),
          sendFromRule('JitAccess-lockout-denied-calls', 'AllowEventRuleJitAccessLockoutDeniedCallsRule6FBD0522'),
          sendFromRule('JitAccess-lockout-assume-role', 'AllowEventRuleJitAccessLockoutFailedAssumeRoleRule6E859DD5'),
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('each role’s trust policy', () => {
    // Prepare
    const trustOf = (service: string, condition?: object) => ({
      Statement: [
        {
          Action: 'sts:AssumeRole',
          ...(condition ? { Condition: condition } : {}),
          Effect: 'Allow',
          Principal: { Service: service },
        },
      ],
      Version: '2012-10-17',
    });
    const lambdaRoles = Object.keys(template.findResources('AWS::Lambda::Function')).map(
      (id) => (template.toJSON().Resources[id].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    );
    const expiryGroup = onlyLogicalId(template, 'AWS::Scheduler::ScheduleGroup');
    const roleStartingWith = (prefix: string) =>
      Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith(prefix)) as string;

    // Act
    const trusts = Object.fromEntries(
      Object.entries(template.findResources('AWS::IAM::Role')).map(([id, role]) => [
        id,
        role.Properties.AssumeRolePolicyDocument as unknown,
      ]),
    );

    // Assess
    expect(lambdaRoles).toHaveLength(12);
    expect(trusts).toEqual({
      ...Object.fromEntries(lambdaRoles.map((id) => [id, trustOf('lambda.amazonaws.com')])),
      [roleStartingWith('ExpiryRole')]: trustOf('scheduler.amazonaws.com', {
        StringEquals: { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': arnOf(expiryGroup) },
      }),
      [roleStartingWith('ExpirySweeperRole')]: trustOf('scheduler.amazonaws.com', {
        StringEquals: {
          'aws:SourceAccount': ACCOUNT,
          'aws:SourceArn': join('arn:', PARTITION, ':scheduler:', REGION, ':', ACCOUNT, ':schedule-group/default'),
        },
      }),
      [roleStartingWith('ApprovalWorkflowStateMachineRole')]: trustOf('states.amazonaws.com', {
        ArnLike: { 'aws:SourceArn': join('arn:', PARTITION, ':states:', REGION, ':', ACCOUNT, ':stateMachine:*') },
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
      }),
      [roleStartingWith('OperatorApiCloudWatchRole')]: trustOf('apigateway.amazonaws.com'),
    });
  });

  test('each function’s tags: only the handler it runs', () => {
    // Act
    const tags = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Tags as unknown,
    );

    // Assess
    expect(tags).toEqual(
      [
        'validate-request',
        'request-approval',
        'record-outcome',
        'revoke',
        'grant',
        'sweeper',
        'lockout',
        'os-account-result',
        'api-read',
        'api-request',
        'api-decide',
        'api-audit',
      ].map((handler) => [{ Key: 'jit-access:handler', Value: handler }]),
    );
  });

  test('the topic policy', () => {
    // Prepare
    const topic = onlyLogicalId(template, 'AWS::SNS::Topic');

    // Act
    const policies = policiesOf('AWS::SNS::TopicPolicy', 'PolicyDocument', 'Topics');

    // Assess
    expect(policies).toEqual({
      [JSON.stringify([ref(topic)])]: {
        Statement: [
          {
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Effect: 'Deny',
            Principal: '*',
            Resource: ref(topic),
            Sid: 'AllowPublishThroughSSLOnly',
          },
          {
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': join('arn:', PARTITION, ':cloudwatch:', REGION, ':', ACCOUNT, ':alarm:*') },
            },
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: ref(topic),
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
          },
        ],
        Version: '2012-10-17',
      },
    });
  });
});
