import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CustomerManagedKey } from './customer-managed-key';
import {
  archiveLifecycleRules,
  denyGovernanceBypass,
  evidenceRetentionProblems,
  objectLockRetention,
  type EvidenceRetention,
} from './evidence-retention';
import { acknowledgeSingleRolePolicy } from './nag-findings';
import { stackLogGroupName, stackResourceName, trailBucketName } from './naming';

const NO_REPLICATION_REASON =
  'Replication needs a destination bucket in another Region or account, which this single-Region stack cannot own; the trail is multi-region, S3 keeps each object in at least three Availability Zones, and the bucket is versioned, Object Locked and kept (RETAIN) if the stack is deleted.';

export interface AuditTrailProps {
  /** Object Lock and archive storage of the trail's log files (the config's evidence retention). */
  readonly retention: EvidenceRetention;
  /** Days the trail's copy in CloudWatch Logs is kept. */
  readonly logRetention: logs.RetentionDays;
  /** Where S3 server access logs of the trail bucket go (the stack's access log bucket). */
  readonly accessLogBucket: s3.IBucket;
}

/**
 * The optional CloudTrail trail of the stack (`cloudTrail.create`), for accounts no organization trail records: every
 * Region's management events, KMS-encrypted with the stack's own key, with log file validation, to an Object Lock
 * bucket and to an encrypted log group (the "denied calls by grant roles" saved query reads it).
 */
export class AuditTrail extends Construct {
  public readonly trail: cloudtrail.Trail;
  public readonly trailName: string;
  public readonly key: CustomerManagedKey;
  public readonly bucket: s3.Bucket;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const problems = evidenceRetentionProblems(props.retention);
    if (problems.length > 0) throw new Error(`${this.node.path}: ${problems.join('; ')}`);
    const stack = Stack.of(this);
    this.trailName = stackResourceName(this, 'trail');
    // Known at synth, so the key policy can name the trail without a dependency cycle through the trail's ARN.
    const trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: this.trailName });
    const logGroupName = stackLogGroupName(this, 'trail');

    this.key = new CustomerManagedKey(this, 'Key', {
      description: 'jit-access CloudTrail trail (log files in S3, CloudWatch Logs copy)',
      cloudWatchLogGroups: [logGroupName],
    });
    const cloudTrailPrincipal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.key.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisTrailToEncryptLogFiles',
        principals: [cloudTrailPrincipal],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceArn': trailArn },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn },
        },
      }),
    );
    this.key.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisTrailToDescribeTheKey',
        principals: [cloudTrailPrincipal],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
      }),
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      // Known at synth, so the guardrail SCP can name it.
      bucketName: trailBucketName(this),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key.key,
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectLockEnabled: true,
      objectLockDefaultRetention: objectLockRetention(props.retention),
      lifecycleRules: archiveLifecycleRules(props.retention),
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'trail-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
      reason: NO_REPLICATION_REASON,
    });
    denyGovernanceBypass(this.bucket, props.retention);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      retention: props.logRetention,
      encryptionKey: this.key.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: this.trailName,
      bucket: this.bucket,
      encryptionKey: this.key.key,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: this.logGroup,
      managementEvents: cloudtrail.ReadWriteType.ALL,
    });
    // The role CloudTrail assumes to deliver to the log group; its policy names that one group.
    const logsRole = this.trail.node.findChild('LogsRole') as iam.Role;
    acknowledgeSingleRolePolicy(
      logsRole.node.findChild('DefaultPolicy'),
      "the trail's delivery to its CloudWatch log group (logs:CreateLogStream and logs:PutLogEvents on that group)",
    );
  }
}
