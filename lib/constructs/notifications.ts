import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CustomerManagedKey } from './customer-managed-key';

export interface NotificationsProps {
  /**
   * Email addresses subscribed to every notification (each must confirm the subscription once).
   * @default none
   */
  readonly emails?: readonly string[];
}

/**
 * The notification topic: approval requests, outcomes, revocations and alarms. Encrypted with its own key, which
 * CloudWatch alarms may use so that alarm actions can publish to it.
 */
export class Notifications extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: CustomerManagedKey;

  constructor(scope: Construct, id: string, props: NotificationsProps = {}) {
    super(scope, id);
    const emails = props.emails ?? [];
    const invalid = emails.filter((email) => !/^[^@\s]+@[^@\s]+$/.test(email));
    if (invalid.length > 0) {
      throw new Error(`${this.node.path}: emails ${invalid.join(', ')} are not email addresses: fix or remove them`);
    }
    const stack = Stack.of(this);

    this.key = new CustomerManagedKey(this, 'Key', { description: 'jit-access notification topic (SNS)' });
    this.key.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'jit-access',
      masterKey: this.key.key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm:*' }) },
        },
      }),
    );
    for (const email of emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }

  /** sns:Publish on the topic and the key use that publishing to an encrypted topic needs. */
  public grantPublish(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resourceArns: [this.key.key.keyArn],
    });
  }
}
