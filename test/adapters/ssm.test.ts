import {
  DescribeSessionsCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { makeOsAccounts, SsmOsAccountCommands, SsmSessionManager } from '../../lambdas/adapters/ssm';
import { OS_ACCOUNT_STEP_NAME, SNAPSHOT_STEP_NAMES } from '../../lambdas/domain/change-snapshot-layout';
import { logger } from '../../lambdas/shared/powertools';
import { FakeAws } from '../helpers/fake-aws';
import { testSettings } from '../helpers/handler-deps';
import { inputsOf, rejectionValueOf, rewriteAnswers } from '../helpers/sdk-answers';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const CONFIG = { region: REGION, maxAttempts: 1 };
const DOCUMENT = 'JitAccess-OsAccount';
const ONE = 'i-0aaaaaaaaaaaaaaa1';
/** A wait no other timer of the test uses, to count the waits between reads. */
const INTERVAL_MS = 7;

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws(ACCOUNT, REGION);
  aws.addInstance({ instanceId: ONE, state: 'running', tags: { 'jit-access:target-group': 'billing-db' } });
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.restore();
});

const waitsBetweenReads = (spy: jest.SpyInstance) => spy.mock.calls.filter(([, ms]) => ms === INTERVAL_MS).length;

describe('SsmOsAccountCommands.outcomes', () => {
  it('reads once a command sent to a tag group that reached no instance, when SSM says the command ended', async () => {
    // Prepare
    const commands = new SsmOsAccountCommands(CONFIG, DOCUMENT, { intervalMs: INTERVAL_MS, maxReads: 3 });
    const { commandIds } = await commands.send({
      grantId: 'grant-0001',
      action: 'unlock',
      osUser: 'vendor-acme',
      blockImds: true,
      targets: { instanceIds: [], groups: [{ tagKey: 'jit-access:target-group', tagValue: 'no-such-group' }] },
    });
    aws.clearCallLog();
    const timers = jest.spyOn(global, 'setTimeout');

    // Act
    const outcomes = await commands.outcomes(commandIds);

    // Assess
    expect(outcomes).toEqual([]);
    expect(aws.countOf('ListCommandInvocations')).toBe(1);
    expect(aws.countOf('ListCommands')).toBe(1);
    expect(waitsBetweenReads(timers)).toBe(0);
  });

  it('reads a command SSM does not know yet as many times as allowed, waiting between reads', async () => {
    // Prepare
    const commands = new SsmOsAccountCommands(CONFIG, DOCUMENT, { intervalMs: INTERVAL_MS, maxReads: 3 });
    const timers = jest.spyOn(global, 'setTimeout');

    // Act
    const outcomes = await commands.outcomes(['cmd-unknown']);

    // Assess
    expect(outcomes).toEqual([]);
    expect(aws.countOf('ListCommandInvocations')).toBe(3);
    expect(aws.countOf('ListCommands')).toBe(3);
    expect(waitsBetweenReads(timers)).toBe(2);
  });

  it('counts an invocation still running after the last read as pending, waiting only between reads', async () => {
    // Prepare
    aws.commandHangsOn.add(ONE);
    const commands = new SsmOsAccountCommands(CONFIG, DOCUMENT, { intervalMs: INTERVAL_MS, maxReads: 2 });
    const { commandIds } = await commands.send({
      grantId: 'grant-0001',
      action: 'lock',
      osUser: 'vendor-acme',
      blockImds: false,
      targets: { instanceIds: [ONE], groups: [] },
    });
    aws.clearCallLog();
    const timers = jest.spyOn(global, 'setTimeout');

    // Act
    const outcomes = await commands.outcomes(commandIds);

    // Assess
    expect(outcomes).toEqual([{ instanceId: ONE, commandId: 'cmd-1', status: 'pending' }]);
    expect(aws.countOf('ListCommandInvocations')).toBe(2);
    expect(aws.countOf('ListCommands')).toBe(0);
    expect(waitsBetweenReads(timers)).toBe(1);
  });
});

describe('makeOsAccounts', () => {
  it("sends the settings' OS-account document, its output to the evidence bucket", async () => {
    // Prepare
    const settings = { ...testSettings(), osAccountDocumentName: DOCUMENT, evidenceBucketName: 'the-evidence-bucket' };

    // Act
    await makeOsAccounts(settings, CONFIG).send({
      grantId: 'grant-0001',
      action: 'unlock',
      osUser: 'vendor-acme',
      blockImds: true,
      targets: { instanceIds: [ONE], groups: [] },
    });

    // Assess
    expect(aws.commands).toEqual([
      expect.objectContaining({
        documentName: DOCUMENT,
        output: 'the-evidence-bucket/change-snapshots/grant-0001/start/',
        invocations: [{ instanceId: ONE, status: 'Success' }],
      }),
    ]);
  });
});

/** Every wait between reads ends at once (the reads are what the test counts). */
const waitsEndAtOnce = () =>
  jest.spyOn(global, 'setTimeout').mockImplementation(((run: () => void) => {
    run();
    return 0;
  }) as never);

const awsError = (name: string) => Object.assign(new Error(name), { name });

const unlock = (instanceIds: string[]) => ({
  grantId: 'grant-0001',
  action: 'unlock' as const,
  osUser: 'vendor-acme',
  blockImds: false,
  targets: { instanceIds, groups: [] },
});

describe('SsmSessionManager', () => {
  it('lists the active sessions, then those of both states invoked after a time, and reads an empty answer as none', async () => {
    // Prepare
    const sent = rewriteAnswers(SSMClient, [DescribeSessionsCommand, async () => ({})]);
    const sessions = new SsmSessionManager(CONFIG);

    // Act
    const answers = [await sessions.listActiveSessions(), await sessions.listSessionsSince('2030-03-01T09:00:00.000Z')];

    // Assess
    expect(answers).toStrictEqual([[], []]);
    const since = [{ key: 'InvokedAfter', value: '2030-03-01T09:00:00.000Z' }];
    expect(inputsOf(sent, DescribeSessionsCommand)).toStrictEqual([
      { State: 'Active', NextToken: undefined },
      { State: 'Active', NextToken: undefined, Filters: since },
      { State: 'History', NextToken: undefined, Filters: since },
    ]);
  });
});

describe('SsmOsAccountCommands.send, call by call', () => {
  it('sends at most 50 instances a call, each instance once', async () => {
    // Prepare
    let next = 0;
    const sent = rewriteAnswers(SSMClient, [
      SendCommandCommand,
      async () => ({ Command: { CommandId: `cmd-${++next}` } }),
    ]);
    const ids = Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(17, '0')}`);

    // Act
    const result = await new SsmOsAccountCommands(CONFIG, DOCUMENT).send(unlock(ids));

    // Assess
    expect(inputsOf(sent, SendCommandCommand).map((input) => input.InstanceIds)).toEqual([
      ids.slice(0, 50),
      ids.slice(50),
    ]);
    expect(result).toEqual({ commandIds: ['cmd-1', 'cmd-2'], unreachable: [] });
  });

  it('fails when an instance sent alone fails otherwise than unreachable', async () => {
    // Prepare
    let calls = 0;
    rewriteAnswers(SSMClient, [
      SendCommandCommand,
      () => Promise.reject(awsError(++calls === 1 ? 'InvalidInstanceId' : 'AccessDeniedException')),
    ]);

    // Act
    const error = await rejectionValueOf(new SsmOsAccountCommands(CONFIG, DOCUMENT).send(unlock([ONE, 'i-2'])));

    // Assess
    expect(error).toMatchObject({ name: 'AccessDeniedException' });
    expect(calls).toBe(2);
  });

  it('passes on a rejection that is not an Error, as it came, whether sent together or alone', async () => {
    // Prepare
    let calls = 0;
    rewriteAnswers(SSMClient, [
      SendCommandCommand,
      () => (++calls === 1 ? Promise.reject(awsError('InvalidInstanceId')) : Promise.reject(undefined)),
    ]);
    const commands = new SsmOsAccountCommands(CONFIG, DOCUMENT);

    // Act
    const alone = await rejectionValueOf(commands.send(unlock([ONE, 'i-2'])));
    const together = await rejectionValueOf(commands.send(unlock([ONE, 'i-2'])));

    // Assess
    expect([alone, together]).toStrictEqual([undefined, undefined]);
  });
});

describe("SsmOsAccountCommands.outcomes: each instance's status", () => {
  const invocation = (InstanceId: string, Status: string | undefined, CommandPlugins?: object[]) => ({
    InstanceId,
    ...(Status ? { Status } : {}),
    ...(CommandPlugins ? { CommandPlugins } : {}),
  });
  const polling = { intervalMs: INTERVAL_MS, maxReads: 3 };

  it("takes the OS-account step's final status over the command's, else the command's, else pending", async () => {
    // Prepare
    rewriteAnswers(SSMClient, [
      ListCommandInvocationsCommand,
      async () => ({
        CommandInvocations: [
          invocation('i-step-done', 'InProgress', [{ Name: OS_ACCOUNT_STEP_NAME, Status: 'Success' }]),
          invocation('i-step-running', 'Failed', [{ Name: OS_ACCOUNT_STEP_NAME, Status: 'InProgress' }]),
          invocation('i-other-step', 'Success', [{ Name: 'something-else', Status: 'Failed' }]),
          invocation('i-no-steps', 'TimedOut'),
        ],
      }),
    ]);

    // Act
    const outcomes = await new SsmOsAccountCommands(CONFIG, DOCUMENT, {
      intervalMs: INTERVAL_MS,
      maxReads: 1,
    }).outcomes(['cmd-1']);

    // Assess
    expect(outcomes.map((o) => [o.instanceId, o.status])).toEqual([
      ['i-step-done', 'succeeded'],
      ['i-step-running', 'failed'],
      ['i-other-step', 'succeeded'],
      ['i-no-steps', 'failed'],
    ]);
  });

  it('counts an invocation SSM gives no status as pending', async () => {
    // Prepare
    rewriteAnswers(SSMClient, [
      ListCommandInvocationsCommand,
      async () => ({ CommandInvocations: [invocation('i-1', undefined)] }),
    ]);

    // Act
    const outcomes = await new SsmOsAccountCommands(CONFIG, DOCUMENT, {
      intervalMs: INTERVAL_MS,
      maxReads: 1,
    }).outcomes(['cmd-1']);

    // Assess
    expect(outcomes).toEqual([{ instanceId: 'i-1', commandId: 'cmd-1', status: 'pending' }]);
  });

  it('reads a finished command once', async () => {
    // Prepare
    const sent = rewriteAnswers(SSMClient, [
      ListCommandInvocationsCommand,
      async () => ({ CommandInvocations: [invocation('i-1', 'Success')] }),
    ]);

    // Act
    await new SsmOsAccountCommands(CONFIG, DOCUMENT, polling).outcomes(['cmd-1']);

    // Assess
    expect(inputsOf(sent, ListCommandInvocationsCommand)).toEqual([
      { CommandId: 'cmd-1', NextToken: undefined, Details: true },
    ]);
  });

  it('keeps reading a command with no invocation while SSM says it is still running', async () => {
    // Prepare
    const sent = rewriteAnswers(
      SSMClient,
      [ListCommandInvocationsCommand, async () => ({})],
      [ListCommandsCommand, async () => ({ Commands: [{ CommandId: 'cmd-1', Status: 'InProgress' }] })],
    );
    waitsEndAtOnce();

    // Act
    const outcomes = await new SsmOsAccountCommands(CONFIG, DOCUMENT, polling).outcomes(['cmd-1']);

    // Assess
    expect(outcomes).toEqual([]);
    expect(inputsOf(sent, ListCommandInvocationsCommand)).toHaveLength(3);
  });

  it('reads a command SSM lists nowhere, neither its invocations nor itself, as many times as allowed', async () => {
    // Prepare
    const sent = rewriteAnswers(
      SSMClient,
      [ListCommandInvocationsCommand, async () => ({})],
      [ListCommandsCommand, async () => ({})],
    );
    waitsEndAtOnce();

    // Act
    const outcomes = await new SsmOsAccountCommands(CONFIG, DOCUMENT, polling).outcomes(['cmd-1']);

    // Assess
    expect(outcomes).toEqual([]);
    expect(inputsOf(sent, ListCommandsCommand)).toHaveLength(3);
  });

  it('reads at least once when built without polling settings', async () => {
    // Prepare
    rewriteAnswers(SSMClient, [
      ListCommandInvocationsCommand,
      async () => ({ CommandInvocations: [invocation('i-1', 'Success')] }),
    ]);

    // Act
    const outcomes = await new SsmOsAccountCommands(CONFIG, DOCUMENT).outcomes(['cmd-1']);

    // Assess
    expect(outcomes).toEqual([{ instanceId: 'i-1', commandId: 'cmd-1', status: 'succeeded' }]);
  });

  it('reads an invocation without its steps by its own status', async () => {
    // Prepare
    rewriteAnswers(SSMClient, [
      ListCommandInvocationsCommand,
      async () => ({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Success' }] }),
    ]);

    // Act
    const outcomes = await new SsmOsAccountCommands(CONFIG, DOCUMENT, polling).outcomes(['cmd-1']);

    // Assess
    expect(outcomes).toEqual([{ instanceId: 'i-1', commandId: 'cmd-1', status: 'succeeded' }]);
  });
});

describe('SsmOsAccountCommands: failed change snapshots', () => {
  it('warns of the instances whose snapshot step failed or wrote a failure, and of no other', async () => {
    // Prepare
    const previous = logger.getLevelName();
    logger.setLogLevel('INFO');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const step = (Status: string | undefined, Output?: string) => ({
      Name: SNAPSHOT_STEP_NAMES.end,
      ...(Status ? { Status } : {}),
      ...(Output ? { Output } : {}),
    });
    rewriteAnswers(SSMClient, [
      ListCommandInvocationsCommand,
      async () => ({
        CommandInvocations: [
          { InstanceId: 'i-step-failed', Status: 'Success', CommandPlugins: [step('Failed')] },
          {
            InstanceId: 'i-wrote-failure',
            Status: 'Success',
            CommandPlugins: [step('Success', ' {"schemaVersion":1,"status":"failed"}')],
          },
          {
            InstanceId: 'i-ok',
            Status: 'Success',
            CommandPlugins: [step('Success', '{"schemaVersion":1,"status":"ok"}')],
          },
          { InstanceId: 'i-running', Status: 'Success', CommandPlugins: [step('InProgress')] },
          { InstanceId: 'i-no-status', Status: 'Success', CommandPlugins: [step(undefined)] },
          {
            InstanceId: 'i-lock-failed',
            Status: 'Failed',
            CommandPlugins: [{ Name: OS_ACCOUNT_STEP_NAME, Status: 'Failed' }],
          },
        ],
      }),
    ]);

    // Act
    try {
      await new SsmOsAccountCommands(CONFIG, DOCUMENT, { intervalMs: INTERVAL_MS, maxReads: 1 }).outcomes(['cmd-1']);
    } finally {
      logger.setLogLevel(previous as Parameters<typeof logger.setLogLevel>[0]);
    }

    // Assess
    const lines = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines.map((l) => [l.message, l.commandId, l.instanceIds])).toEqual([
      ['change snapshot failed', 'cmd-1', ['i-step-failed', 'i-wrote-failure']],
    ]);
  });

  it("reads one instance's end snapshot as failed only when its step failed or wrote a failure", async () => {
    // Prepare
    const answers = [
      { Status: 'Failed' },
      { Status: 'Success', StandardOutputContent: '{"schemaVersion":2,"status":"failed","reason":"disk"}' },
      { Status: 'Success', StandardOutputContent: '{"schemaVersion":2,"status":"ok"}' },
      { Status: 'InProgress' },
      {},
    ];
    let next = 0;
    rewriteAnswers(SSMClient, [GetCommandInvocationCommand, async () => answers[next++]]);
    const commands = new SsmOsAccountCommands(CONFIG, DOCUMENT);

    // Act
    const failed = [];
    for (let i = 0; i < answers.length; i++) failed.push(await commands.endSnapshotFailed('cmd-1', ONE));

    // Assess
    expect(failed).toEqual([true, true, false, false, false]);
  });

  it('answers no origin for a command SSM does not list', async () => {
    // Prepare
    rewriteAnswers(SSMClient, [ListCommandsCommand, async () => ({})]);

    // Act
    const origin = await new SsmOsAccountCommands(CONFIG, DOCUMENT).origin('cmd-unknown');

    // Assess
    expect(origin).toBeUndefined();
  });
});
