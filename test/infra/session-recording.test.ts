import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { JitAccessStack } from '../../lib/jit-access-stack';
import { scratchApp } from '../helpers/scratch-app';
import {
  actionsOf,
  exampleStackConfig,
  featureFlags,
  onlyLogicalId,
  synthTemplate,
  type TemplateStatement,
} from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

const sessionKeyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('session') });
const sessionBucketId = onlyLogicalId(template, 'AWS::S3::Bucket', { ObjectLockEnabled: true });

/** The statements of the session bucket's policy in `synthesized`. */
function bucketPolicyStatements(synthesized: Template): TemplateStatement[] {
  const bucketId = onlyLogicalId(synthesized, 'AWS::S3::Bucket', { ObjectLockEnabled: true });
  const [policy] = Object.values(
    synthesized.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }),
  );
  return (policy!.Properties.PolicyDocument as { Statement: TemplateStatement[] }).Statement;
}

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

  test('locks every transcript in compliance mode for the configured days by default', () => {
    // Assess
    expect(config.objectLockMode).toBe('COMPLIANCE');
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: config.objectLockDays } },
      },
    });
  });

  test('in compliance mode adds no bypass statement to the bucket policy (nobody can bypass it)', () => {
    // Act
    const statements = bucketPolicyStatements(template);

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.flatMap(actionsOf)).not.toContain('s3:BypassGovernanceRetention');
  });

  test('in governance mode, when chosen, denies everyone s3:BypassGovernanceRetention in the bucket policy', () => {
    // Prepare
    const governance = { ...config, objectLockMode: 'GOVERNANCE' as const };

    // Act
    const governed = synthTemplate(governance);

    // Assess
    governed.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: config.objectLockDays } } },
    });
    const bucketId = onlyLogicalId(governed, 'AWS::S3::Bucket', { ObjectLockEnabled: true });
    expect(bucketPolicyStatements(governed)).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:BypassGovernanceRetention',
        Resource: [
          { 'Fn::GetAtt': [bucketId, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
        ],
      }),
    );
  });

  test('has a name known at synth, derived from the stack name, account and region', () => {
    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      BucketName: {
        'Fn::Join': ['', ['jitaccess-sessions-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
      },
    });
  });

  test('refuses a stack name that would make the bucket name longer than S3 allows, naming the longest it takes', () => {
    // Prepare
    const app = scratchApp({ context: featureFlags() });

    // Act
    const build = () => new JitAccessStack(app, 'J'.repeat(27), { config });

    // Assess
    expect(build).toThrow(
      /bucket name ".*-sessions-<account>-<region>" can exceed S3's 63 characters: use a stack name of at most 26 characters$/,
    );
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
  function instanceStatements(): TemplateStatement[] {
    const policies = template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Description: Match.stringLikeRegexp('SSM agent') },
    });
    return Object.values(policies).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: TemplateStatement[] }).Statement,
    );
  }
  const sessionStreams = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':logs:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':log-group:/jit-access/JitAccess/sessions:log-stream:*',
      ],
    ],
  };
  const transcripts = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [sessionBucketId, 'Arn'] }, '/sessions/*']] };
  const everyObject = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [sessionBucketId, 'Arn'] }, '/*']] };

  test('lets the SSM agent write log events only to streams of the session log group', () => {
    // Act
    const writes = instanceStatements().filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).includes('logs:PutLogEvents'),
    );

    // Assess
    expect(writes).toEqual([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: sessionStreams }),
    ]);
    expect(instanceStatements()).toContainEqual(
      expect.objectContaining({
        Action: 'logs:DescribeLogStreams',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SessionLoggingLogGroup/), 'Arn'] },
      }),
    );
  });

  test('lets the SSM agent write transcripts under sessions/ and change snapshots under change-snapshots/ only, without the If-None-Match header it does not send', () => {
    // Act
    const puts = instanceStatements().filter((s) => s.Effect === 'Allow' && actionsOf(s).includes('s3:PutObject'));

    // Assess
    expect(puts).toEqual([
      expect.objectContaining({ Action: 's3:PutObject', Resource: transcripts }),
      expect.objectContaining({
        Sid: 'WriteChangeSnapshots',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [sessionBucketId, 'Arn'] }, '/change-snapshots/*']] },
      }),
    ]);
    expect(puts.map((p) => p.Condition)).toEqual([undefined, undefined]);
  });

  test('denies the instance role deleting or re-locking any object of the bucket, whatever else it holds', () => {
    // Act
    const denies = instanceStatements().filter((s) => s.Effect === 'Deny');

    // Assess
    expect(denies).toEqual([
      expect.objectContaining({
        Action: expect.arrayContaining([
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:PutObjectRetention',
          's3:BypassGovernanceRetention',
        ]),
        Resource: everyObject,
      }),
    ]);
  });

  test('lets the SSM agent use the session key', () => {
    // Assess
    expect(instanceStatements()).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [sessionKeyId, 'Arn'] },
      }),
    );
  });

  describe('as IAM evaluates it for the instance role', () => {
    const ACCOUNT = '111122223333';
    const INSTANCE_ROLE = `arn:aws:iam::${ACCOUNT}:role/billing-db-instance`;
    const BUCKET = `arn:aws:s3:::jitaccess-sessions-${ACCOUNT}-eu-west-1`;
    const SESSION_GROUP = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/jit-access/JitAccess/sessions`;

    /** The instance policy as deployed in ACCOUNT and eu-west-1. */
    function deployedInstancePolicy(): unknown {
      const attributes: Record<string, string> = { [sessionBucketId]: BUCKET, [sessionKeyId]: 'arn:aws:kms:k' };
      const deployed = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(deployed);
        if (value === null || typeof value !== 'object') return value;
        const intrinsic = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; Ref?: string };
        if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(deployed).join(intrinsic['Fn::Join'][0]);
        if (intrinsic['Fn::GetAtt']) return attributes[intrinsic['Fn::GetAtt'][0]] ?? `${SESSION_GROUP}:*`;
        if (intrinsic.Ref !== undefined) {
          return { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': ACCOUNT }[intrinsic.Ref];
        }
        return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, deployed(inner)]));
      };
      return { Version: '2012-10-17', Statement: deployed(instanceStatements()) };
    }

    async function decision(
      action: string,
      resource: string,
      context: Record<string, string> = {},
      otherPolicies: readonly object[] = [],
    ): Promise<string | undefined> {
      const result = await runSimulation(
        {
          request: {
            principal: INSTANCE_ROLE,
            action,
            resource: { resource, accountId: ACCOUNT },
            contextVariables: context,
          },
          identityPolicies: [
            { name: 'instance', policy: deployedInstancePolicy() },
            ...otherPolicies.map((policy, index) => ({ name: `other${index}`, policy })),
          ],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      return result.resultType === 'single' ? result.result.analysis?.result : JSON.stringify(result);
    }

    test('writes transcripts under sessions/ as the agent sends them, and nothing elsewhere in the bucket', async () => {
      // Act
      const decisions = await Promise.all([
        decision('s3:PutObject', `${BUCKET}/sessions/s-1.log`, { 's3:ObjectCreationOperation': 'true' }),
        decision('s3:PutObject', `${BUCKET}/sessions/s-1.log`, { 's3:ObjectCreationOperation': 'false' }),
        decision('s3:PutObject', `${BUCKET}/other/s-1.log`, { 's3:ObjectCreationOperation': 'true' }),
        decision('s3:GetObject', `${BUCKET}/sessions/s-1.log`),
      ]);

      // Assess
      expect(decisions).toEqual(['Allowed', 'Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']);
    });

    test('writes change snapshots under change-snapshots/ only, and can never delete or re-lock one', async () => {
      // Prepare
      const snapshot = `${BUCKET}/change-snapshots/grant-0001/end/cmd-1/i-0a/awsrunShellScript/snapshotEnd/stdout`;
      const s3FullAccess = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

      // Act
      const decisions = await Promise.all([
        decision('s3:PutObject', snapshot),
        decision('s3:GetObject', snapshot),
        decision('s3:DeleteObjectVersion', snapshot, {}, [s3FullAccess]),
        decision('s3:PutObjectRetention', snapshot, {}, [s3FullAccess]),
      ]);

      // Assess
      expect(decisions).toEqual(['Allowed', 'ImplicitlyDenied', 'ExplicitlyDenied', 'ExplicitlyDenied']);
    });

    test('cannot delete or re-lock a transcript even when another policy of the role allows it', async () => {
      // Prepare
      const s3FullAccess = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
      const transcript = `${BUCKET}/sessions/s-1.log`;

      // Act
      const decisions = await Promise.all([
        decision('s3:DeleteObject', transcript, {}, [s3FullAccess]),
        decision('s3:DeleteObjectVersion', transcript, {}, [s3FullAccess]),
        decision('s3:PutObjectRetention', transcript, {}, [s3FullAccess]),
        decision('s3:BypassGovernanceRetention', transcript, {}, [s3FullAccess]),
      ]);

      // Assess
      expect(new Set(decisions)).toEqual(new Set(['ExplicitlyDenied']));
    });

    test('writes log events to streams of the session log group and of no other group', async () => {
      // Act
      const decisions = await Promise.all([
        decision('logs:PutLogEvents', `${SESSION_GROUP}:log-stream:s-1`),
        decision('logs:CreateLogStream', `${SESSION_GROUP}:log-stream:s-1`),
        decision('logs:PutLogEvents', `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/other:log-stream:s-1`),
        decision('logs:CreateLogStream', `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/other:log-stream:s-1`),
      ]);

      // Assess
      expect(decisions).toEqual(['Allowed', 'Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']);
    });
  });
});
