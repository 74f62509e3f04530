import { InMemorySessionManagerDouble } from '../../scripts/local-aws/in-memory-session-manager';
import { rejectionOf } from '../helpers/handler-deps';

const OWNER = 'arn:aws:sts::111122223333:assumed-role/jit-g-0123456789ab/vendor-engineer';

describe('the in-memory Session Manager double', () => {
  it('ends a live session, and ends it again without error', async () => {
    // Prepare
    const double = new InMemorySessionManagerDouble();
    const { sessionId } = double.startSession('i-0aaaaaaaaaaaaaaa1', OWNER);

    // Act
    await double.terminateSession(sessionId);
    await double.terminateSession(sessionId);

    // Assess
    expect(double.isActive(sessionId)).toBe(false);
    expect(await double.listActiveSessions()).toEqual([]);
  });

  it('refuses a session id it never issued, as Session Manager does', async () => {
    // Prepare
    const double = new InMemorySessionManagerDouble();

    // Act
    const error = await rejectionOf(double.terminateSession('vendor-engineer-0000000000000000'));

    // Assess
    expect(error.name).toBe('DoesNotExistException');
  });

  it('fails any call the local run fails, before it changes anything', async () => {
    // Prepare
    const double = new InMemorySessionManagerDouble((call) => {
      if (call === 'ssm:TerminateSession')
        throw Object.assign(new Error('injected'), { name: 'AccessDeniedException' });
    });
    const { sessionId } = double.startSession('i-0aaaaaaaaaaaaaaa1', OWNER);

    // Act
    const error = await rejectionOf(double.terminateSession(sessionId));

    // Assess
    expect(error.name).toBe('AccessDeniedException');
    expect(double.isActive(sessionId)).toBe(true);
  });
});
