import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import type { AdapterMaker } from '../shared/dependencies';

/** Tells approvers, sponsors and on-call what happened to a grant. */
export interface Notifier {
  publish(subject: string, message: string): Promise<void>;
}

export class SnsNotifier implements Notifier {
  private readonly aws;

  constructor(
    private readonly topicArn: string,
    config: AwsClientConfig,
  ) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-sns'),
      (sdk) => new sdk.SNSClient(config),
    );
  }

  async publish(subject: string, message: string): Promise<void> {
    const { sdk, client } = await this.aws();
    // SNS subjects are limited to 100 characters.
    await client.send(
      new sdk.PublishCommand({ TopicArn: this.topicArn, Subject: subject.slice(0, 100), Message: message }),
    );
  }
}

/** The stack's notification topic. */
export const makeNotifier: AdapterMaker<'notifier'> = (settings, config) => new SnsNotifier(settings.topicArn, config);
