import { makeOsAccounts, SsmOsAccountCommands } from '../../lambdas/adapters/ssm';
import { FakeAws } from '../helpers/fake-aws';
import { testSettings } from '../helpers/handler-deps';

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
