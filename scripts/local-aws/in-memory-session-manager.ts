import { randomBytes } from 'node:crypto';
import type { LiveSession, SessionManager } from '../../lambdas/adapters/ssm';

/**
 * TEST DOUBLE. moto has no StartSession, DescribeSessions or TerminateSession, so this in-memory stand-in answers
 * them behind the ssm adapter's interface. Nothing else in the local runs is faked.
 */
export class InMemorySessionManagerDouble implements SessionManager {
  private readonly sessions = new Map<string, LiveSession & { state: 'Active' | 'Terminated' }>();

  /**
   * @param record told of each call, so local runs count the double's calls with the real AWS ones; it throws to
   *   fail the call when a fault is injected
   */
  constructor(private readonly record: (call: `ssm:${string}`) => void = () => undefined) {}

  /** What `aws ssm start-session` does for the vendor: opens a session owned by the caller's assumed-role ARN. */
  startSession(target: string, owner: string): LiveSession {
    const sessionName = owner.split('/').pop() ?? 'session';
    const session = { sessionId: `${sessionName}-${randomBytes(8).toString('hex')}`, target, owner };
    this.sessions.set(session.sessionId, { ...session, state: 'Active' });
    return session;
  }

  async listActiveSessions(): Promise<LiveSession[]> {
    this.record('ssm:DescribeSessions');
    return [...this.sessions.values()]
      .filter((s) => s.state === 'Active')
      .map(({ sessionId, target, owner }) => ({ sessionId, target, owner }));
  }

  async terminateSession(sessionId: string): Promise<void> {
    this.record('ssm:TerminateSession');
    const session = this.sessions.get(sessionId);
    if (session) session.state = 'Terminated';
  }

  isActive(sessionId: string): boolean {
    return this.sessions.get(sessionId)?.state === 'Active';
  }
}
