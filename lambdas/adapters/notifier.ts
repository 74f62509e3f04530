import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { tracer } from '../shared/powertools';

/** Tells approvers, sponsors and on-call what happened to a grant. */
export interface Notifier {
  publish(subject: string, message: string): Promise<void>;
}

export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;

  constructor(
    private readonly topicArn: string,
    config: AwsClientConfig,
  ) {
    this.client = tracer.captureAWSv3Client(new SNSClient(config));
  }

  async publish(subject: string, message: string): Promise<void> {
    // SNS subjects are limited to 100 characters.
    await this.client.send(
      new PublishCommand({ TopicArn: this.topicArn, Subject: subject.slice(0, 100), Message: message }),
    );
  }
}
