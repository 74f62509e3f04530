import { logger, metrics } from '../../lambdas/shared/powertools';
import { exampleConfig } from '../helpers/config-fixture';
import {
  BILLING_1,
  BILLING_2,
  createHarness,
  deliverCommandEvents,
  EVIDENCE_BUCKET,
  requestInput,
  seedApproved,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-snapshot-0001';
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => {
  h.restore();
  jest.restoreAllMocks();
});

const revokeAtExpiry = () => {
  h.clock.set(EXPIRES_AT);
  return h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });
};

describe('the change snapshots ride the OS-account command', () => {
  it('sends the unlock and the lock with the evidence bucket as output, under the grant and the phase', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });
    await revokeAtExpiry();

    // Assess
    expect(h.aws.commands.map((c) => [c.parameters.action?.[0], c.output])).toEqual([
      ['unlock', `${EVIDENCE_BUCKET}/change-snapshots/${GRANT_ID}/start/`],
      ['lock', `${EVIDENCE_BUCKET}/change-snapshots/${GRANT_ID}/end/`],
    ]);
  });

  it('adds no AWS call to the grant or the revoke: the grant sends and reads one command, the revoke only sends', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });
    const afterGrant = h.aws.countOf('SendCommand') + h.aws.countOf('ListCommandInvocations');
    await revokeAtExpiry();

    // Assess: the lock's result comes back as SSM's status-change event, not read by the revoke.
    expect(afterGrant).toBe(2);
    expect(h.aws.countOf('SendCommand') + h.aws.countOf('ListCommandInvocations')).toBe(3);
  });

  it('counts a failed start snapshot as SnapshotFailed and still records the unlock as done', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));
    h.aws.snapshotFailsOn.add(BILLING_2);
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(addMetric).toHaveBeenCalledWith('SnapshotFailed', 'Count', 1);
    expect((await h.ledger.getGrant(GRANT_ID))?.osAccount?.[BILLING_2]).toMatchObject({
      action: 'unlock',
      status: 'succeeded',
    });
  });

  it('reads the lock as done once its own step has ended, while the end snapshot after it still runs', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));
    await h.handlers.grant({ grantId: GRANT_ID });
    h.aws.snapshotRunsOn.add(BILLING_2);

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(h.aws.osAccountRuns()).toContain(`lock acme-support on ${BILLING_2}: InProgress`);
    expect(result.residue.osAccounts).toEqual([]);
    expect((await h.ledger.getGrant(GRANT_ID))?.osAccount?.[BILLING_2]).toMatchObject({ status: 'succeeded' });
  });

  it('counts a failed end snapshot as SnapshotFailed once, when the lock result arrives, and the lock as done', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));
    await h.handlers.grant({ grantId: GRANT_ID });
    await revokeAtExpiry();
    h.aws.snapshotFailsOn.add(BILLING_2);
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    await deliverCommandEvents(h);

    // Assess
    expect(addMetric.mock.calls.filter(([name]) => name === 'SnapshotFailed')).toEqual([
      ['SnapshotFailed', 'Count', 1],
    ]);
    expect(addMetric).not.toHaveBeenCalledWith('OsAccountLocksFailed', expect.anything(), expect.anything());
    expect((await h.ledger.getGrant(GRANT_ID))?.osAccount?.[BILLING_2]).toMatchObject({
      action: 'lock',
      status: 'succeeded',
    });
  });

  it('records the lock as done and counts no SnapshotFailed when the end snapshot step cannot be read', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1] }));
    await h.handlers.grant({ grantId: GRANT_ID });
    await revokeAtExpiry();
    h.aws.snapshotFailsOn.add(BILLING_1);
    const endSnapshotFailed = jest
      .spyOn(h.deps.osAccounts, 'endSnapshotFailed')
      .mockRejectedValue(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const recorded = await deliverCommandEvents(h);

    // Assess
    expect(endSnapshotFailed).toHaveBeenCalledTimes(1);
    expect(recorded.at(-1)).toEqual({
      outcome: 'recorded',
      grantId: GRANT_ID,
      instanceId: BILLING_1,
      status: 'succeeded',
    });
    expect(addMetric).not.toHaveBeenCalledWith('SnapshotFailed', expect.anything(), expect.anything());
    expect((await h.ledger.getGrant(GRANT_ID))?.osAccount?.[BILLING_1]).toMatchObject({
      action: 'lock',
      status: 'succeeded',
    });
  });

  it('with change tracking off, reads no end snapshot step when the lock result arrives, and records the lock', async () => {
    // Prepare
    h.restore();
    h = createHarness({ config: { ...exampleConfig(), changeTracking: { enabled: false, directories: ['/etc'] } } });
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1] }));
    await h.handlers.grant({ grantId: GRANT_ID });
    await revokeAtExpiry();
    h.aws.snapshotFailsOn.add(BILLING_1);
    const endSnapshotFailed = jest.spyOn(h.deps.osAccounts, 'endSnapshotFailed');
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const recorded = await deliverCommandEvents(h);

    // Assess
    expect(endSnapshotFailed).not.toHaveBeenCalled();
    expect(addMetric).not.toHaveBeenCalledWith('SnapshotFailed', expect.anything(), expect.anything());
    expect(recorded.at(-1)).toEqual({
      outcome: 'recorded',
      grantId: GRANT_ID,
      instanceId: BILLING_1,
      status: 'succeeded',
    });
  });

  it('emits no SnapshotFailed when every snapshot was taken', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });
    await revokeAtExpiry();
    await deliverCommandEvents(h);

    // Assess
    expect(addMetric).not.toHaveBeenCalledWith('SnapshotFailed', expect.anything(), expect.anything());
  });
});

describe('the change snapshots: what a lock result leaves in the logs', () => {
  let previousLevel: string;
  let warn: jest.SpyInstance;

  /** The message and the given keys of each line the logger wrote at warn level, in order. */
  const warnings = (...keys: readonly string[]) =>
    warn.mock.calls.map(([line]) => {
      const parsed = JSON.parse(String(line)) as Record<string, unknown>;
      return Object.fromEntries(['message', ...keys].map((key) => [key, parsed[key]]));
    });

  beforeEach(async () => {
    previousLevel = logger.getLevelName();
    logger.setLogLevel('INFO');
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1] }));
    await h.handlers.grant({ grantId: GRANT_ID });
    await revokeAtExpiry();
    h.aws.snapshotFailsOn.add(BILLING_1);
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    logger.setLogLevel(previousLevel as Parameters<typeof logger.setLogLevel>[0]);
    metrics.clearMetrics();
  });

  it('warns of a failed end snapshot, naming the command, the instance and the phase', async () => {
    // Act
    await deliverCommandEvents(h);

    // Assess
    expect(warnings('commandId', 'instanceId', 'phase')).toEqual([
      { message: 'change snapshot failed', commandId: 'cmd-2', instanceId: BILLING_1, phase: 'end' },
    ]);
  });

  it('warns that the end snapshot step could not be read, naming the command, the instance and the error', async () => {
    // Prepare
    jest
      .spyOn(h.deps.osAccounts, 'endSnapshotFailed')
      .mockRejectedValue(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    // Act
    await deliverCommandEvents(h);

    // Assess
    expect(warnings('commandId', 'instanceId', 'error')).toEqual([
      {
        message: 'the end snapshot step could not be read; the audit states it from the evidence bucket',
        commandId: 'cmd-2',
        instanceId: BILLING_1,
        error: expect.objectContaining({ name: 'ThrottlingException', message: 'throttled' }),
      },
    ]);
  });
});
