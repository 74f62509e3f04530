import { randomBytes } from 'node:crypto';
import type { LiveSession, SessionManager } from '../../lambdas/adapters/ssm';

interface StoredSession extends LiveSession {
  state: 'Active' | 'Terminated';
  readonly startedAt: string;
}

/** Lets concurrent callers interleave between calls, as they do over the network. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * TEST DOUBLE. moto has no StartSession, DescribeSessions or TerminateSession, so this in-memory stand-in answers
 * them behind the ssm adapter's interface. Nothing else in the local runs is faked. Like Session Manager, it answers
 * asynchronously, ends an ended session again without error and refuses a session id it never issued; every call
 * goes through `record`, where the local run injects its faults. It answers whole lists, as the interface does: the
 * adapter's paging of DescribeSessions is proven against the paged fakes (test/adapters/paging.test.ts).
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
    await tick();
    this.record('ssm:DescribeSessions');
    return this.list((s) => s.state === 'Active');
  }

  async listSessionsSince(since: string): Promise<LiveSession[]> {
    // Session Manager answers Active and History separately.
    await tick();
    this.record('ssm:DescribeSessions');
    this.record('ssm:DescribeSessions');
    return this.list((s) => s.startedAt >= since);
  }

  async terminateSession(sessionId: string): Promise<void> {
    await tick();
    this.record('ssm:TerminateSession');
    const session = this.sessions.get(sessionId);
    if (!session) {
      throw Object.assign(new Error(`Session ${sessionId} does not exist.`), { name: 'DoesNotExistException' });
    }
    if (session.state === 'Active') {
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
