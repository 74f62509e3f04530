import { Match, type Template } from 'aws-cdk-lib/assertions';
import { exampleStackConfig, onlyLogicalId, synthTemplate } from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

describe('ledger table', () => {
  test('is on-demand with pk/sk string keys', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  test('has point-in-time recovery and deletion protection, and is retained with the stack', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
    });
  });

  test('is encrypted with its own rotating customer-managed key', () => {
    // Prepare
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('ledger') });

    // Assess
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('ledger'),
      EnableKeyRotation: true,
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
  });

  test('has the byStatus index (status, expiresAt) with every attribute projected, for the sweeper', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });
});

describe('notification topic', () => {
  test('is encrypted with a rotating customer-managed key that CloudWatch alarms may use', () => {
    // Prepare
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('notification') });

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('notification'),
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  test('refuses publishing that is not TLS', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('subscribes every configured email address', () => {
    // Assess
    template.resourceCountIs('AWS::SNS::Subscription', config.notificationEmails.length);
    for (const email of config.notificationEmails) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
  });
});
