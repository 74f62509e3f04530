import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { CHANGE_SNAPSHOT_KEY_PREFIX } from '../../lambdas/domain/change-snapshot-layout';
import { CustomerManagedKey } from './customer-managed-key';
import {
  archiveLifecycleRules,
  denyGovernanceBypass,
  evidenceRetentionProblems,
  objectLockRetention,
  type EvidenceRetention,
} from './evidence-retention';
import { sessionBucketName, stackLogGroupName, stackResourceName } from './naming';
import { wildcardResourceFinding } from './nag-findings';

/** Prefix under which Session Manager writes one transcript object per session. */
export const SESSION_KEY_PREFIX = 'sessions/';

const SHELL_PROFILE = [
  'echo "jit-access: this session is recorded (keystrokes and output) and ends when the grant expires."',
  `echo "jit-access: your grant id is in your role name jit-<grant-id> (see 'aws sts get-caller-identity')."`,
].join('\n');

const NO_REPLICATION_REASON =
  'Replication needs a destination bucket in another Region or account, which this single-Region stack cannot own; S3 already keeps each object in at least three Availability Zones, and the bucket is versioned and kept (RETAIN) if the stack is deleted.';

export interface SessionLoggingProps {
  /** Days session logs stay in CloudWatch Logs. */
  readonly logRetention: logs.RetentionDays;
  /** Object Lock and archive storage of transcripts (and archive storage of their access logs). */
  readonly retention: EvidenceRetention;
  /** Minutes of inactivity before Session Manager ends a session (1-60). */
  readonly idleTimeoutMinutes: number;
  /** Longest single session in minutes (1-1440). */
  readonly maxSessionDurationMinutes: number;
}

/**
 * Everything that records a vendor session: the stack's Session Manager document (the only one grants allow), the KMS
 * key, the CloudWatch log group and the Object Lock bucket it streams to, and the managed policy target instances need
 * so that their SSM agent can write there.
 */
export class SessionLogging extends Construct {
  public readonly key: CustomerManagedKey;
  public readonly logGroup: logs.LogGroup;
  public readonly bucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;
  public readonly document: ssm.CfnDocument;
  /** Name of the session document; vendors pass it as `--document-name`. */
  public readonly documentName: string;
  /** Attach to the instance roles of every target instance. */
  public readonly instancePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: SessionLoggingProps) {
    super(scope, id);
    validate(this.node.path, props);
    // Account (12) and the longest region name (14) are filled in at deploy; S3 allows 63 characters in all.
    const longestBucketName = sessionBucketName(this, '0'.repeat(12), 'x'.repeat(14));
    if (longestBucketName.length > 63) {
      throw new Error(
        `${this.node.path}: the session bucket name "${sessionBucketName(this, '<account>', '<region>')}" can exceed S3's 63 characters: use a stack name of at most ${Stack.of(this).stackName.length - (longestBucketName.length - 63)} characters`,
      );
    }

    this.key = new CustomerManagedKey(this, 'Key', {
      description: 'jit-access session recording (Session Manager, CloudWatch Logs, S3)',
      cloudWatchLogGroups: [stackLogGroupName(this, 'sessions')],
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: stackLogGroupName(this, 'sessions'),
      retention: props.logRetention,
      encryptionKey: this.key.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: archiveLifecycleRules(props.retention),
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Not logged itself: it is the session bucket's access log target, and logging into itself would loop.
    Validations.of(this.accessLogBucket).acknowledge(
      {
        id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason:
          'S3 server access logging delivers only to a target bucket whose default encryption is SSE-S3; SSE-KMS is not supported there, so this bucket uses SSE-S3.',
      },
      { id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason: NO_REPLICATION_REASON },
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: sessionBucketName(this),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key.key,
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectLockEnabled: true,
      objectLockDefaultRetention: objectLockRetention(props.retention),
      lifecycleRules: archiveLifecycleRules(props.retention),
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'session-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
      reason: NO_REPLICATION_REASON,
    });
    denyGovernanceBypass(this.bucket, props.retention);

    this.document = new ssm.CfnDocument(this, 'Document', {
      name: stackResourceName(this, 'session'),
      documentType: 'Session',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '1.0',
        description: 'jit-access recorded vendor session: streamed to CloudWatch Logs and S3, KMS-encrypted, Run As',
        sessionType: 'Standard_Stream',
        inputs: {
          s3BucketName: this.bucket.bucketName,
          s3KeyPrefix: SESSION_KEY_PREFIX,
          s3EncryptionEnabled: true,
          cloudWatchLogGroupName: this.logGroup.logGroupName,
          cloudWatchEncryptionEnabled: true,
          cloudWatchStreamingEnabled: true,
          kmsKeyId: this.key.key.keyArn,
          runAsEnabled: true,
          // Empty on purpose: the grant role's SSMSessionRunAs tag picks the vendor's OS user; without it, no session.
          runAsDefaultUser: '',
          idleSessionTimeout: String(props.idleTimeoutMinutes),
          maxSessionDuration: String(props.maxSessionDurationMinutes),
          shellProfile: { linux: SHELL_PROFILE, windows: '' },
        },
      },
    });
    this.documentName = this.document.ref;

    this.instancePolicy = this.createInstancePolicy();
  }

  private createInstancePolicy(): iam.ManagedPolicy {
    const stack = Stack.of(this);
    const describeLogGroupsArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const sessionLogStreamsArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${stackLogGroupName(this, 'sessions')}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const transcriptsArn = this.bucket.arnForObjects(`${SESSION_KEY_PREFIX}*`);
    const snapshotsArn = this.bucket.arnForObjects(`${CHANGE_SNAPSHOT_KEY_PREFIX}*`);
    const policy = new iam.ManagedPolicy(this, 'InstancePolicy', {
      description:
        'jit-access: lets the SSM agent of a target instance record sessions to the stack log group and bucket',
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteSessionLogStreams',
          // IAM authorizes both on the log stream, so only streams of the session log group can be written.
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [sessionLogStreamsArn],
        }),
        new iam.PolicyStatement({
          sid: 'FindSessionLogStreams',
          actions: ['logs:DescribeLogStreams'],
          resources: [this.logGroup.logGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'CheckLogGroupEncryption',
          actions: ['logs:DescribeLogGroups'],
          resources: [describeLogGroupsArn],
        }),
        new iam.PolicyStatement({
          sid: 'WriteTranscripts',
          // No If-None-Match condition: the SSM agent uploads without that header, so requiring it would refuse
          // every transcript. An upload to an existing key adds a version; the bucket is versioned and Object Lock
          // keeps every version for objectLockDays, so the first transcript stays readable and undeletable.
          actions: ['s3:PutObject'],
          resources: [transcriptsArn],
        }),
        new iam.PolicyStatement({
          sid: 'WriteChangeSnapshots',
          // The OS-account command's output (the configuration snapshots, "what the vendor changed"): the SSM agent
          // uploads it with this role, under change-snapshots/ only. Object Lock keeps each version as evidence.
          actions: ['s3:PutObject'],
          resources: [snapshotsArn],
        }),
        new iam.PolicyStatement({
          sid: 'NeverRewriteTranscripts',
          // A Deny, so that no other policy on the instance role can give these back on the evidence.
          effect: iam.Effect.DENY,
          actions: [
            's3:DeleteObject',
            's3:DeleteObjectVersion',
            's3:PutObjectRetention',
            's3:PutObjectLegalHold',
            's3:BypassGovernanceRetention',
            's3:PutObjectAcl',
            's3:PutObjectVersionAcl',
          ],
          resources: [this.bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'CheckBucketEncryption',
          actions: ['s3:GetEncryptionConfiguration'],
          resources: [this.bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'UseSessionKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.key.key.keyArn],
        }),
        new iam.PolicyStatement({
          sid: 'SessionManagerChannels',
          // The ssmmessages channel actions have no resource types in IAM: "*" is the only possible resource.
          actions: [
            'ssmmessages:CreateControlChannel',
            'ssmmessages:CreateDataChannel',
            'ssmmessages:OpenControlChannel',
            'ssmmessages:OpenDataChannel',
          ],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ssmmessages Create/Open Control/Data Channel have no resource-level permissions in IAM; "*" is required.',
      },
      {
        id: wildcardResourceFinding(this, describeLogGroupsArn),
        reason: 'logs:DescribeLogGroups is authorized on log-group:* only; the SSM agent calls it to check encryption.',
      },
      {
        id: wildcardResourceFinding(this, sessionLogStreamsArn),
        reason:
          'Session Manager names one log stream per session; the streams of the stack session log group only, no other group.',
      },
      {
        id: wildcardResourceFinding(this, transcriptsArn),
        reason:
          'Session Manager writes one transcript object per session, under the sessions/ prefix of this bucket only.',
      },
      {
        id: wildcardResourceFinding(this, snapshotsArn),
        reason:
          'Run Command names each output object by command, instance and step; the change-snapshots/ prefix of this bucket only.',
      },
    );
    return policy;
  }
}

function validate(path: string, props: SessionLoggingProps): void {
  const problems = evidenceRetentionProblems(props.retention);
  if (!Number.isInteger(props.idleTimeoutMinutes) || props.idleTimeoutMinutes < 1 || props.idleTimeoutMinutes > 60) {
    problems.push(`idleTimeoutMinutes ${props.idleTimeoutMinutes} must be 1-60 (the Session Manager limit)`);
  }
  const max = props.maxSessionDurationMinutes;
  if (!Number.isInteger(max) || max < 1 || max > 1440) {
    problems.push(`maxSessionDurationMinutes ${max} must be 1-1440 (the Session Manager limit)`);
  }
  if (problems.length > 0) {
    throw new Error(`${path}: ${problems.join('; ')}`);
  }
}
