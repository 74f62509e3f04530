import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchSessionLogs, makeSessionLogs } from '../../lambdas/adapters/logs';
import { awsError } from '../helpers/fake-aws';
import { rejectionOf, testSettings } from '../helpers/handler-deps';

const LOG_GROUP = 'jit-access-sessions';
const CONFIG = { region: 'eu-west-1', maxAttempts: 1 };
const ONE = 'vendor-engineer-0a1b2c3d4e5f60718';
const TWO = 'vendor-engineer-1b2c3d4e5f6071829';
const SINCE = Date.UTC(2030, 2, 1, 9, 0);

const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => logs.reset());
afterAll(() => logs.restore());

const filterCalls = () => logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);

describe('CloudWatchSessionLogs', () => {
  it("reads the sessions' log streams of the session log group since the instant, with the next page's token", async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { logStreamName: ONE, timestamp: SINCE + 1_000, message: '$ sudo -l' },
        { logStreamName: TWO, timestamp: SINCE + 2_000, message: '$ whoami' },
      ],
      nextToken: 'page-2',
    });

    // Act
    const page = await new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read([ONE, TWO], SINCE);

    // Assess
    expect(filterCalls()).toEqual([
      { logGroupName: LOG_GROUP, logStreamNames: [ONE, TWO], startTime: SINCE, nextToken: undefined },
    ]);
    expect(page).toStrictEqual({
      events: [
        { sessionId: ONE, at: '2030-03-01T09:00:01.000Z', message: '$ sudo -l' },
        { sessionId: TWO, at: '2030-03-01T09:00:02.000Z', message: '$ whoami' },
      ],
      nextToken: 'page-2',
    });
  });

  it('reads on from the token given, and answers no token once everything was read', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({ events: [{ logStreamName: ONE }] });

    // Act
    const page = await new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read([ONE], SINCE, 'page-2');

    // Assess
    expect(filterCalls()).toEqual([
      { logGroupName: LOG_GROUP, logStreamNames: [ONE], startTime: SINCE, nextToken: 'page-2' },
    ]);
    expect(page).toStrictEqual({ events: [{ sessionId: ONE, at: '1970-01-01T00:00:00.000Z', message: '' }] });
  });

  it('answers no events when CloudWatch answers none', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({});

    // Act
    const page = await new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read([ONE], SINCE);

    // Assess
    expect(page).toStrictEqual({ events: [] });
  });

  it('asks nothing for no sessions', async () => {
    // Act
    const page = await new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read([], SINCE);

    // Assess
    expect(page).toStrictEqual({ events: [] });
    expect(filterCalls()).toEqual([]);
  });

  it('reads the 100 latest sessions at most, the most streams one call takes', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const sessionIds = Array.from({ length: 102 }, (_, n) => `vendor-engineer-${String(n).padStart(17, '0')}`);

    // Act
    await new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read(sessionIds, SINCE);

    // Assess
    expect(filterCalls()[0]?.logStreamNames).toEqual(sessionIds.slice(2));
  });

  it('answers no events while no session has written its stream yet', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .rejects(awsError('ResourceNotFoundException', 'The specified log stream does not exist.'));

    // Act
    const page = await new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read([ONE], SINCE);

    // Assess
    expect(page).toStrictEqual({ events: [] });
  });

  it('fails with any other error', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).rejects(awsError('AccessDeniedException', 'not authorized: logs:FilterLogEvents'));

    // Act
    const error = await rejectionOf(new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read([ONE], SINCE));

    // Assess
    expect(error).toMatchObject({ name: 'AccessDeniedException', message: 'not authorized: logs:FilterLogEvents' });
  });

  it('passes on what a read failed with, unchanged, when it is not even an object', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).callsFake(() => Promise.reject(undefined));

    // Act
    const reading = new CloudWatchSessionLogs(LOG_GROUP, CONFIG).read([ONE], SINCE);

    // Assess
    await expect(reading).rejects.toBeUndefined();
  });
});

describe('makeSessionLogs', () => {
  it("reads the settings' session log group", async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({ events: [] });

    // Act
    await makeSessionLogs({ ...testSettings(), sessionLogGroupName: 'the-log-group' }, CONFIG).read([ONE], SINCE);

    // Assess
    expect(filterCalls()[0]?.logGroupName).toBe('the-log-group');
  });

  it('refuses a function without a session log group', () => {
    // Act
    const making = () => makeSessionLogs({ ...testSettings(), sessionLogGroupName: undefined }, CONFIG);

    // Assess
    expect(making).toThrow(
      new Error('this function has no SESSION_LOG_GROUP_NAME: it does not take part in that step'),
    );
  });
});
