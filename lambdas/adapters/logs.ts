import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import { requiredSetting, type AdapterMaker } from '../shared/dependencies';

export interface SessionLogEvent {
  /** The session the line belongs to: Session Manager names each log stream after its session id. */
  readonly sessionId: string;
  readonly at: string;
  readonly message: string;
}

export interface SessionLogPage {
  readonly events: readonly SessionLogEvent[];
  /** Pass back to read on; absent when everything logged so far was read. */
  readonly nextToken?: string;
}

/** Reads what the vendor's sessions wrote to the stack's session log group (shadowing). */
export interface SessionLogs {
  read(sessionIds: readonly string[], since: number, nextToken?: string): Promise<SessionLogPage>;
}

/** CloudWatch Logs accepts at most 100 stream names per FilterLogEvents call. */
const MAX_STREAMS = 100;

export class CloudWatchSessionLogs implements SessionLogs {
  private readonly aws;

  constructor(
    private readonly logGroupName: string,
    config: AwsClientConfig,
  ) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-cloudwatch-logs'),
      (sdk) => new sdk.CloudWatchLogsClient(config),
    );
  }

  async read(sessionIds: readonly string[], since: number, nextToken?: string): Promise<SessionLogPage> {
    const { sdk, client } = await this.aws();
    if (sessionIds.length === 0) return { events: [] };
    try {
      const page = await client.send(
        new sdk.FilterLogEventsCommand({
          logGroupName: this.logGroupName,
          logStreamNames: sessionIds.slice(-MAX_STREAMS),
          startTime: since,
          nextToken,
        }),
      );
      return {
        events: (page.events ?? []).map((e) => ({
          sessionId: e.logStreamName as string,
          at: new Date(e.timestamp ?? 0).toISOString(),
          message: e.message ?? '',
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    } catch (error) {
      // A session that has not written yet has no stream: nothing to show so far.
      if ((error as Error)?.name === 'ResourceNotFoundException') return { events: [] };
      throw error;
    }
  }
}

/** The session log group, for watching sessions live. */
export const makeSessionLogs: AdapterMaker<'sessionLogs'> = (settings, config) =>
  new CloudWatchSessionLogs(requiredSetting(settings.sessionLogGroupName, 'SESSION_LOG_GROUP_NAME'), config);
