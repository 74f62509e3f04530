import { randomBytes } from 'node:crypto';
import type { LiveSession, SessionManager } from '../../lambdas/adapters/ssm';

interface StoredSession extends LiveSession {
  state: 'Active' | 'Terminated';
  readonly startedAt: string;
}

/**
 * TEST DOUBLE. moto has no StartSession, DescribeSessions or TerminateSession, so this in-memory stand-in answers
 * them behind the ssm adapter's interface. Nothing else in the local runs is faked.
 */
export class InMemorySessionManagerDouble implements SessionManager {
  private readonly sessions = new Map<string, StoredSession>();

  /**
   * @param record told of each call, so local runs count the double's calls with the real AWS ones; it throws to
   *   fail the call when a fault is injected
   * @param clock the local run's (warped) clock: when sessions start
   * @param ended told when a session ends, as the SSM agent then uploads its transcript
   */
  constructor(
    private readonly record: (call: `ssm:${string}`) => void = () => undefined,
    private readonly clock: () => Date = () => new Date(),
    private readonly ended: (sessionId: string) => Promise<void> = async () => undefined,
  ) {}

  /** What `aws ssm start-session` does for the vendor: opens a session owned by the caller's assumed-role ARN. */
  startSession(target: string, owner: string): LiveSession {
    const sessionName = owner.split('/').pop() ?? 'session';
    const session = { sessionId: `${sessionName}-${randomBytes(8).toString('hex')}`, target, owner };
    this.sessions.set(session.sessionId, { ...session, state: 'Active', startedAt: this.clock().toISOString() });
    return session;
  }

  async listActiveSessions(): Promise<LiveSession[]> {
    this.record('ssm:DescribeSessions');
    return this.list((s) => s.state === 'Active');
  }

  async listSessionsSince(since: string): Promise<LiveSession[]> {
    // Session Manager answers Active and History separately.
    this.record('ssm:DescribeSessions');
    this.record('ssm:DescribeSessions');
    return this.list((s) => s.startedAt >= since);
  }

  async terminateSession(sessionId: string): Promise<void> {
    this.record('ssm:TerminateSession');
    const session = this.sessions.get(sessionId);
    if (session?.state === 'Active') {
      session.state = 'Terminated';
      await this.ended(sessionId);
    }
  }

  isActive(sessionId: string): boolean {
    return this.sessions.get(sessionId)?.state === 'Active';
  }

  private list(keep: (session: StoredSession) => boolean): LiveSession[] {
    return [...this.sessions.values()]
      .filter(keep)
      .map(({ sessionId, target, owner }) => ({ sessionId, target, owner }));
  }
}
