import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';

export interface LiveSession {
  readonly sessionId: string;
  readonly target: string;
  /** The ARN of who started it: for a vendor, `arn:aws:sts::<account>:assumed-role/jit-<grantId>/<session>`. */
  readonly owner: string;
}

/** Live Session Manager sessions: list them, end them. */
export interface SessionManager {
  listActiveSessions(): Promise<LiveSession[]>;
  /** Sessions started at or after `since`, live or ended (Session Manager keeps ended ones for 30 days). */
  listSessionsSince(since: string): Promise<LiveSession[]>;
  /** Ends the session at once; one already ended is not an error. */
  terminateSession(sessionId: string): Promise<void>;
}

export class SsmSessionManager implements SessionManager {
  private readonly aws;

  constructor(config: AwsClientConfig) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-ssm'),
      (sdk) => new sdk.SSMClient(config),
    );
  }

  async listActiveSessions(): Promise<LiveSession[]> {
    return this.describe('Active');
  }

  async listSessionsSince(since: string): Promise<LiveSession[]> {
    const filters = [{ key: 'InvokedAfter' as const, value: since }];
    return [...(await this.describe('Active', filters)), ...(await this.describe('History', filters))];
  }

  private async describe(
    state: 'Active' | 'History',
    filters?: Array<{ key: 'InvokedAfter'; value: string }>,
  ): Promise<LiveSession[]> {
    const { sdk, client } = await this.aws();
    const sessions: LiveSession[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.DescribeSessionsCommand({ State: state, NextToken: token, ...(filters ? { Filters: filters } : {}) }),
      );
      for (const session of page.Sessions ?? []) {
        sessions.push({
          sessionId: session.SessionId as string,
          target: session.Target as string,
          owner: session.Owner as string,
        });
      }
      token = page.NextToken;
    } while (token);
    return sessions;
  }

  async terminateSession(sessionId: string): Promise<void> {
    const { sdk, client } = await this.aws();
    // TerminateSession succeeds for sessions already ended, so a retry is harmless.
    await client.send(new sdk.TerminateSessionCommand({ SessionId: sessionId }));
  }
}

/** Sessions started with a grant's role credentials. */
export function sessionsOfRole(sessions: readonly LiveSession[], roleName: string): LiveSession[] {
  return sessions.filter((s) => s.owner.includes(`:assumed-role/${roleName}/`));
}
