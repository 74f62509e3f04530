import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface CustomerManagedKeyProps {
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /**
   * Let CloudWatch Logs in this account and region use the key for log groups it encrypts.
   * @default false
   */
  readonly allowCloudWatchLogs?: boolean;
}

/**
 * A customer-managed KMS key with yearly rotation that outlives the stack: the data it protects is audit evidence.
 * CloudWatch Logs needs a key-policy grant (an IAM grant is not enough), so that one is opt-in here.
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
    if (props.allowCloudWatchLogs ?? false) {
      const stack = Stack.of(this);
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchLogsOfThisAccount',
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
              'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
                service: 'logs',
                resource: 'log-group',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
    }
  }
}
