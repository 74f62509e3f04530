import { Match, type Template } from 'aws-cdk-lib/assertions';
import { exampleStackConfig, onlyLogicalId, synthTemplate } from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

const sessionKeyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('session') });
const sessionBucketId = onlyLogicalId(template, 'AWS::S3::Bucket', { ObjectLockEnabled: true });

function documentInputs(): Record<string, unknown> {
  const [document] = Object.values(template.findResources('AWS::SSM::Document'));
  return (document!.Properties.Content as { inputs: Record<string, unknown> }).inputs;
}

describe('session document', () => {
  test('is a Standard_Stream Session document updated by new versions', () => {
    // Assess
    template.hasResourceProperties('AWS::SSM::Document', {
      DocumentType: 'Session',
      DocumentFormat: 'JSON',
      UpdateMethod: 'NewVersion',
      Content: Match.objectLike({ schemaVersion: '1.0', sessionType: 'Standard_Stream' }),
    });
  });

  test('streams encrypted to CloudWatch Logs and S3 and encrypts the session with the stack key', () => {
    // Act
    const inputs = documentInputs();

    // Assess
    expect(inputs).toMatchObject({
      s3BucketName: { Ref: sessionBucketId },
      s3KeyPrefix: 'sessions/',
      s3EncryptionEnabled: true,
      cloudWatchLogGroupName: { Ref: expect.stringMatching(/^SessionLoggingLogGroup/) },
      cloudWatchEncryptionEnabled: true,
      cloudWatchStreamingEnabled: true,
      kmsKeyId: { 'Fn::GetAtt': [sessionKeyId, 'Arn'] },
    });
  });

  test('runs as the OS user from the role tag, with no default user to fall back to', () => {
    // Act
    const inputs = documentInputs();

    // Assess
    expect(inputs).toMatchObject({ runAsEnabled: true, runAsDefaultUser: '' });
  });

  test('takes the idle timeout and the longest session from config', () => {
    // Act
    const inputs = documentInputs();

    // Assess
    expect(inputs).toMatchObject({
      idleSessionTimeout: String(config.session.idleTimeoutMinutes),
      maxSessionDuration: String(config.session.maxSessionDurationMinutes),
    });
  });

  test('prints a recording notice and how to find the grant id when a shell opens', () => {
    // Act
    const inputs = documentInputs() as { shellProfile: { linux: string } };

    // Assess
    expect(inputs.shellProfile.linux).toMatch(/recorded/);
    expect(inputs.shellProfile.linux).toMatch(/grant id/);
  });
});

describe('session log group', () => {
  test('keeps logs for the configured retention, encrypted with the session key', () => {
    // Assess
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: config.logRetentionDays,
      KmsKeyId: { 'Fn::GetAtt': [sessionKeyId, 'Arn'] },
    });
  });

  test('the session key rotates and lets CloudWatch Logs of this region use it', () => {
    // Assess
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('session'),
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
          }),
        ]),
      },
    });
  });
});

describe('session bucket', () => {
  test('is versioned, KMS-encrypted with the session key and blocks all public access', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [sessionKeyId, 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  test('locks every transcript in governance mode for the configured days', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: config.objectLockDays } },
      },
    });
  });

  test('refuses any request that is not TLS', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: sessionBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('writes server access logs to a separate bucket', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('AccessLogBucket') } },
    });
  });

  test('is kept when the stack is deleted', () => {
    // Assess
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ ObjectLockEnabled: true }),
      DeletionPolicy: 'Retain',
    });
  });
});

describe('instance policy', () => {
  test('lets the SSM agent write to the session log group, the sessions/ prefix and use the key', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('SSM agent'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SessionLoggingLogGroup'), 'Arn'] },
          }),
          Match.objectLike({
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [sessionBucketId, 'Arn'] }, '/sessions/*']] },
          }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: { 'Fn::GetAtt': [sessionKeyId, 'Arn'] },
          }),
        ]),
      },
    });
  });
});
