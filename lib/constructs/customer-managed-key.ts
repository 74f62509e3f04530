import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface CustomerManagedKeyProps {
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /**
   * The log groups CloudWatch Logs may use the key for, by name (a trailing `*` for a prefix); only those, in this
   * account and region, never any other log group.
   * @default none: CloudWatch Logs may not use the key
   */
  readonly cloudWatchLogGroups?: readonly string[];
}

/**
 * A customer-managed KMS key with yearly rotation that outlives the stack: the data it protects is audit evidence.
 * CloudWatch Logs needs a key-policy grant (an IAM grant is not enough), so that one is opt-in here, and names the
 * log groups it is for.
 */
export class CustomerManagedKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: CustomerManagedKeyProps) {
    super(scope, id);
    if (props.description.trim() === '') {
      throw new Error(`${this.node.path}: description must say what the key protects`);
    }
    this.key = new kms.Key(this, 'Key', {
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logGroups = props.cloudWatchLogGroups ?? [];
    if (logGroups.some((name) => !name.startsWith('/') || name.slice(0, -1).includes('*'))) {
      throw new Error(`${this.node.path}: cloudWatchLogGroups must be log group names, or prefixes ending in one *`);
    }
    if (logGroups.length > 0) {
      const stack = Stack.of(this);
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchLogsForTheStackLogGroupsOnly',
          principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
          actions: [
            'kms:Encrypt',
            'kms:Decrypt',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:DescribeKey',
          ],
          resources: ['*'],
          conditions: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': logGroups.map((name) =>
                stack.formatArn({
                  service: 'logs',
                  resource: 'log-group',
                  resourceName: name,
                  arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                }),
              ),
            },
          },
        }),
      );
    }
  }
}
