import { metrics } from '../../lambdas/shared/powertools';
import { capturedInfoLogs } from '../helpers/logged-lines';
import {
  BILLING_1,
  createHarness,
  rejectionOf,
  requestInput,
  seedActive,
  testSettings,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-result-0001';
const DOCUMENT = testSettings().osAccountDocumentName;
/** The grant of this file starts at T0 for one hour. */
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';

const statusChange = (detail: Record<string, string>) => ({
  source: 'aws.ssm',
  'detail-type': 'EC2 Command Invocation Status-change Notification',
  detail: { 'command-id': 'cmd-9', 'document-name': DOCUMENT, 'instance-id': BILLING_1, status: 'Success', ...detail },
});

let h: Harness;
beforeEach(async () => {
  h = createHarness();
  await seedActive(h, GRANT_ID, requestInput({ targets: [BILLING_1] }));
  h.aws.takeInvocationEvents();
  h.aws.clearCallLog();
});
afterEach(() => h.restore());

describe('the OS-account result function', () => {
  it('refuses an event that is not a command status change, naming the field, and writes nothing', async () => {
    // Prepare
    const writesBefore = h.ledger.writes.length;

    // Act
    const error = await rejectionOf(h.handlers.osAccountResult({ ...statusChange({}), source: 'custom.forged' }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.ValidationError', field: 'source' });
    expect(h.ledger.writes).toHaveLength(writesBefore);
  });

  it("ignores another document's command without asking SSM anything", async () => {
    // Act
    const recorded = await h.handlers.osAccountResult(statusChange({ 'document-name': 'AWS-RunShellScript' }));

    // Assess
    expect(recorded).toEqual({
      outcome: 'ignored',
      why: "document AWS-RunShellScript is not the stack's OS-account document",
    });
    expect(h.aws.countOf('ListCommands')).toBe(0);
  });

  it('ignores a status that is not a result yet', async () => {
    // Act
    const recorded = await h.handlers.osAccountResult(statusChange({ status: 'InProgress' }));

    // Assess
    expect(recorded).toEqual({ outcome: 'ignored', why: 'status InProgress is not a result yet' });
  });

  it('records nothing for a command of the stack document that names a grant which never sent it', async () => {
    // Prepare: someone able to send the document words a lock as the revoke of this grant would
    const { commandIds } = await h.deps.osAccounts.send({
      action: 'lock',
      osUser: 'acme-support',
      blockImds: false,
      targets: { instanceIds: [BILLING_1], groups: [] },
      grantId: GRANT_ID,
    });
    const writesBefore = h.ledger.writes.length;

    // Act
    const error = await rejectionOf(
      h.handlers.osAccountResult(statusChange({ 'command-id': commandIds[0] ?? '', status: 'Failed' })),
    );

    // Assess
    expect(error.message).toContain(`is not recorded as a lock of grant ${GRANT_ID}`);
    expect(h.ledger.writes).toHaveLength(writesBefore);
    expect((await h.ledger.getGrant(GRANT_ID))?.status).toBe('ACTIVE');
  });

  it("ignores the result of the grant's unlock, which the grant step read itself, and writes nothing", async () => {
    // Prepare: cmd-1 is the grant's unlock
    const writesBefore = h.ledger.writes.length;

    // Act
    const recorded = await h.handlers.osAccountResult(statusChange({ 'command-id': 'cmd-1' }));

    // Assess
    expect(recorded).toEqual({ outcome: 'ignored', why: 'an unlock: the grant step reads it itself' });
    expect(h.ledger.writes).toHaveLength(writesBefore);
  });

  it('ignores a command whose comment names no grant', async () => {
    // Prepare: cmd-1 is the grant's unlock; cmd-9 was never sent
    const writesBefore = h.ledger.writes.length;

    // Act
    const recorded = await h.handlers.osAccountResult(statusChange({ 'command-id': 'cmd-9' }));

    // Assess
    expect(recorded).toEqual({ outcome: 'ignored', why: 'command cmd-9 names no grant' });
    expect(h.ledger.writes).toHaveLength(writesBefore);
  });
});

describe('the OS-account result function: what an invocation leaves in the logs and the metrics', () => {
  /** The message and the handler's own keys of each line the logger wrote at info level, in order. */
  const logs = capturedInfoLogs();
  const loggedLines = () => logs.pick('message', 'commandId', 'recorded');

  afterEach(() => metrics.clearMetrics());

  it('logs one line naming the command and what was recorded', async () => {
    // Act
    await h.handlers.osAccountResult(statusChange({ 'command-id': 'cmd-9', status: 'InProgress' }));

    // Assess
    expect(loggedLines()).toEqual([
      {
        message: 'OS-account command result handled',
        commandId: 'cmd-9',
        recorded: { outcome: 'ignored', why: 'status InProgress is not a result yet' },
      },
    ]);
  });

  it('logs an error naming the instance and the command of a lock that did not hold', async () => {
    // Prepare: the revoke's lock (cmd-2) fails on the instance
    h.aws.commandFailsOn.add(BILLING_1);
    h.clock.set(EXPIRES_AT);
    await h.handlers.revoke({ grantId: GRANT_ID });
    const [lockEvent] = h.aws.takeInvocationEvents();
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    await h.handlers.osAccountResult(lockEvent);

    // Assess
    const lines = error.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines.map(({ message, instanceId, commandId }) => ({ message, instanceId, commandId }))).toEqual([
      {
        message: 'the OS user lock did not hold on an instance; the sweeper retries',
        instanceId: BILLING_1,
        commandId: 'cmd-2',
      },
    ]);
  });

  it('flushes the failed-lock count it recorded before it answers', async () => {
    // Prepare: the revoke's lock (cmd-2) fails on the instance
    h.aws.commandFailsOn.add(BILLING_1);
    h.clock.set(EXPIRES_AT);
    await h.handlers.revoke({ grantId: GRANT_ID });
    const [lockEvent] = h.aws.takeInvocationEvents();
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const recorded = await h.handlers.osAccountResult(lockEvent);

    // Assess
    expect(recorded).toEqual({ outcome: 'recorded', grantId: GRANT_ID, instanceId: BILLING_1, status: 'failed' });
    expect(addMetric).toHaveBeenCalledWith('OsAccountLocksFailed', 'Count', 1);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});
