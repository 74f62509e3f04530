import { logger } from '../../lambdas/shared/powertools';

/** The console method the Powertools logger writes each level to. */
export type LogLevel = 'info' | 'warn' | 'error';

/** What the Powertools logger wrote at one level during a test. */
export interface CapturedLogs {
  /** The lines written so far, in order, each reduced to the keys named (a key a line lacks is `undefined`). */
  pick<K extends string>(...keys: readonly K[]): Record<K, unknown>[];
  /** Forgets the lines written so far. */
  clear(): void;
}

/**
 * For each test of the describe block that calls it: the Powertools logger at INFO, with what it writes to
 * `console.<level>` captured; after each test the level is set back and every spy restored (`jest.restoreAllMocks`).
 * A test then compares whole lines, without the timestamp and the function's context.
 */
export function capturedLogs(level: LogLevel): CapturedLogs {
  let previousLevel: string;
  let info: jest.SpyInstance;

  beforeEach(() => {
    previousLevel = logger.getLevelName();
    logger.setLogLevel('INFO');
    info = jest.spyOn(console, level).mockImplementation(() => undefined);
  });

  afterEach(() => {
    logger.setLogLevel(previousLevel as Parameters<typeof logger.setLogLevel>[0]);
    jest.restoreAllMocks();
  });

  return {
    pick: <K extends string>(...keys: readonly K[]) =>
      info.mock.calls.map(([line]) => {
        const parsed = JSON.parse(String(line)) as Record<string, unknown>;
        return Object.fromEntries(keys.map((key) => [key, parsed[key]])) as Record<K, unknown>;
      }),
    clear: () => info.mockClear(),
  };
}

/** `capturedLogs('info')`: the lines a handler logs as it goes. */
export const capturedInfoLogs = (): CapturedLogs => capturedLogs('info');
