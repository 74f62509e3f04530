import { systemClock, systemSleeper } from '../../lambdas/shared/clock';

describe('the system clock and sleeper', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-03-01T09:00:00.000Z') });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads the current time', () => {
    // Act
    const now = systemClock();

    // Assess
    expect(now.toISOString()).toBe('2030-03-01T09:00:00.000Z');
  });

  it('resolves once the given milliseconds have passed, not before', async () => {
    // Prepare
    let resolved = false;

    // Act
    const sleeping = systemSleeper(1_000).then(() => {
      resolved = true;
    });
    await jest.advanceTimersByTimeAsync(999);
    const beforeTheEnd = resolved;
    await jest.advanceTimersByTimeAsync(1);
    await sleeping;

    // Assess
    expect(beforeTheEnd).toBe(false);
    expect(resolved).toBe(true);
  });
});
