import type { CloudTrailRecord } from '../domain/audit-report';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';

/** What CloudTrail's event history is searched by: LookupEvents takes one attribute per call. */
export interface LookupAttribute {
  readonly key: 'ResourceName' | 'Username';
  readonly value: string;
}

export interface LookupResult {
  readonly events: readonly CloudTrailRecord[];
  /** More events matched than `maxEvents`. */
  readonly truncated: boolean;
}

/** CloudTrail's event history (the last 90 days of management events of the region), read by one attribute. */
export interface CloudTrailHistory {
  lookup(attribute: LookupAttribute, from: string, to: string, maxEvents: number): Promise<LookupResult>;
}

/** LookupEvents answers at most 50 events a page. */
const PAGE_SIZE = 50;

export class CloudTrailLookup implements CloudTrailHistory {
  private readonly aws;

  constructor(config: AwsClientConfig) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-cloudtrail'),
      (sdk) => new sdk.CloudTrailClient(config),
    );
  }

  async lookup(attribute: LookupAttribute, from: string, to: string, maxEvents: number): Promise<LookupResult> {
    const { sdk, client } = await this.aws();
    const events: CloudTrailRecord[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new sdk.LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: attribute.key, AttributeValue: attribute.value }],
          StartTime: new Date(from),
          EndTime: new Date(to),
          MaxResults: PAGE_SIZE,
          NextToken: nextToken,
        }),
      );
      for (const event of page.Events ?? []) {
        events.push({
          eventId: event.EventId ?? '',
          eventTime: (event.EventTime ?? new Date(0)).toISOString(),
          eventSource: event.EventSource ?? '',
          eventName: event.EventName ?? '',
          ...(event.Username ? { username: event.Username } : {}),
          resources: (event.Resources ?? []).map((r) => ({
            ...(r.ResourceType ? { type: r.ResourceType } : {}),
            ...(r.ResourceName ? { name: r.ResourceName } : {}),
          })),
          cloudTrailEvent: event.CloudTrailEvent ?? '',
        });
      }
      nextToken = page.NextToken;
    } while (nextToken && events.length < maxEvents);
    return { events: events.slice(0, maxEvents), truncated: Boolean(nextToken) || events.length > maxEvents };
  }
}
