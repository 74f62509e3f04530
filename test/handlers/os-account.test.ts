import { metrics } from '../../lambdas/shared/powertools';
import { exampleConfig } from '../helpers/config-fixture';
import {
  BILLING_1,
  BILLING_2,
  createHarness,
  deliverCommandEvents,
  rejectionOf,
  requestInput,
  seedActive,
  seedApproved,
  statusOf,
  testSettings,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-osuser-0001';
const OTHER_ID = 'grant-osuser-0002';
/** Every grant of this file starts at T0 for one hour. */
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
/** Past the sweeper's threshold for a revoke still in progress. */
const PAST_STUCK_MINUTES = 11;
const DOCUMENT = testSettings().osAccountDocumentName;

let h: Harness;
afterEach(() => h.restore());

const revokeAtExpiry = (grantId = GRANT_ID) => {
  h.clock.set(EXPIRES_AT);
  return h.handlers.revoke({ grantId, reason: 'expiry' });
};

describe("the vendor's OS user at grant", () => {
  beforeEach(() => {
    h = createHarness();
  });

  it('unlocks the OS user on each granted instance with the stack document and records it per instance', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(h.aws.commands).toEqual([
      expect.objectContaining({
        documentName: DOCUMENT,
        parameters: { action: ['unlock'], osUser: ['acme-support'], blockImds: ['false'] },
      }),
    ]);
    expect(h.aws.osAccountRuns()).toEqual([
      `unlock acme-support on ${BILLING_1}: Success`,
      `unlock acme-support on ${BILLING_2}: Success`,
    ]);
    expect((await h.ledger.getGrant(GRANT_ID))?.osAccount).toEqual({
      [BILLING_1]: { action: 'unlock', status: 'succeeded', at: expect.any(String), commandId: 'cmd-1' },
      [BILLING_2]: { action: 'unlock', status: 'succeeded', at: expect.any(String), commandId: 'cmd-1' },
    });
  });

  it('unlocks once when the grant runs twice in a row: the second run sends nothing', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    await h.handlers.grant({ grantId: GRANT_ID });

    // Act
    const second = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(second.status).toBe('ACTIVE');
    expect(h.aws.countOf('SendCommand')).toBe(1);
    expect(h.aws.osAccountRuns()).toEqual([`unlock acme-support on ${BILLING_1}: Success`]);
  });

  it("asks the document to block the instance metadata service when the vendor's blockImds is set", async () => {
    // Prepare
    h.restore();
    h = createHarness({
      config: exampleConfig((raw) => {
        raw.vendors[0]!.blockImds = true;
      }),
    });
    await seedApproved(h, GRANT_ID);

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(h.aws.commands[0]?.parameters.blockImds).toEqual(['true']);
  });

  it('sends a group target by its tag, so every instance of the group is unlocked', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: ['group:billing-db'] }));

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(h.aws.osAccountRuns()).toEqual([
      `unlock acme-support on ${BILLING_1}: Success`,
      `unlock acme-support on ${BILLING_2}: Success`,
    ]);
  });

  it('fails the grant, naming the instance, when SSM cannot reach it', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));
    h.aws.unmanaged.add(BILLING_1);

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error.name).toBe('jit.GrantFailed');
    expect(error.message).toContain(`${BILLING_1}: unlock unreachable (command not sent)`);
    expect(h.aws.osAccountRuns()).toEqual([
      `unlock acme-support on ${BILLING_2}: Success`,
      `lock acme-support on ${BILLING_2}: Success`,
    ]);
  });

  it('fails the grant when the unlock fails on an instance, naming it, and the compensation locks the user again', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));
    h.aws.commandFailsOn.add(BILLING_2);

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));
    await deliverCommandEvents(h);

    // Assess
    expect(error.name).toBe('jit.GrantFailed');
    expect(error.message).toContain(`${BILLING_2}: unlock failed (command cmd-1)`);
    expect(h.aws.osAccountRuns()).toContain(`lock acme-support on ${BILLING_1}: Success`);
    expect(h.aws.roles.size).toBe(0);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('FAILED');
    expect(grant?.residueCheck?.residue.osAccounts).toEqual([`${BILLING_2}: lock failed (command cmd-2)`]);
  });
});

describe("the vendor's OS user at revoke", () => {
  beforeEach(async () => {
    h = createHarness();
    await seedActive(h, GRANT_ID, requestInput({ targets: [BILLING_1, BILLING_2] }));
    h.aws.clearCallLog();
  });

  it('locks the OS user on every granted instance and records the lock per instance as SSM reports it', async () => {
    // Act
    await revokeAtExpiry();
    const recorded = await deliverCommandEvents(h);

    // Assess
    expect(h.aws.commands.at(-1)).toMatchObject({
      documentName: DOCUMENT,
      parameters: { action: ['lock'], osUser: ['acme-support'] },
    });
    expect(h.aws.osAccountRuns().slice(-2)).toEqual([
      `lock acme-support on ${BILLING_1}: Success`,
      `lock acme-support on ${BILLING_2}: Success`,
    ]);
    // The grant's unlock events first: the grant step read those itself.
    expect(recorded.map((r) => r.outcome)).toEqual(['ignored', 'ignored', 'recorded', 'recorded']);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKED');
    expect(grant?.osAccount).toEqual({
      [BILLING_1]: { action: 'lock', status: 'succeeded', at: EXPIRES_AT, commandId: 'cmd-2' },
      [BILLING_2]: { action: 'lock', status: 'succeeded', at: EXPIRES_AT, commandId: 'cmd-2' },
    });
  });

  it('does not wait for the lock: the revoke records its command and reads no invocation', async () => {
    // Prepare
    h.aws.commandHangsOn.add(BILLING_1);

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(h.aws.countOf('ListCommandInvocations')).toBe(0);
    expect(result.residue.osAccounts).toEqual([]);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKED');
    expect(grant?.lockCommandIds).toEqual(['cmd-2']);
    expect(grant?.osAccount?.[BILLING_1]).toMatchObject({ action: 'unlock', status: 'succeeded' });
  });

  it('locks once when run twice in a row: the second run sends nothing', async () => {
    // Prepare
    await revokeAtExpiry();
    const sentBefore = h.aws.countOf('SendCommand');

    // Act
    const second = await revokeAtExpiry();

    // Assess
    expect(sentBefore).toBe(1);
    expect(second.changed).toBe(false);
    expect(h.aws.countOf('SendCommand')).toBe(1);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });

  it('records a lock SSM reports failed on an instance as residue, alerts, counts it, and reopens the grant REVOKING', async () => {
    // Prepare
    h.aws.commandFailsOn.add(BILLING_2);
    const addMetric = jest.spyOn(metrics, 'addMetric');
    await revokeAtExpiry();

    // Act
    await deliverCommandEvents(h);

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKING');
    expect(grant?.residueCheck?.residue.osAccounts).toEqual([`${BILLING_2}: lock failed (command cmd-2)`]);
    expect(grant?.osAccount?.[BILLING_2]).toMatchObject({ action: 'lock', status: 'failed' });
    expect(h.aws.published.map((p) => p.subject)).toEqual([
      `jit-access: grant ${GRANT_ID} revoked`,
      `jit-access: ALERT grant ${GRANT_ID} revoke incomplete`,
    ]);
    expect(addMetric).toHaveBeenCalledWith('OsAccountLocksFailed', 'Count', 1);
    addMetric.mockRestore();
  });

  it('throws for a retry when the grant changes while a successful lock result is recorded', async () => {
    // Prepare
    await revokeAtExpiry();
    const [, lockOnFirst] = h.aws.takeInvocationEvents().slice(-2);
    jest.spyOn(h.ledger, 'recordLockOutcome').mockResolvedValueOnce(false);

    // Act
    const error = await rejectionOf(h.handlers.osAccountResult(lockOnFirst));

    // Assess
    expect(error.message).toBe(`grant ${GRANT_ID} changed while its lock result was recorded: retried`);
  });

  it('throws for a retry, and alerts nobody, when the grant changes while a failed lock result is recorded', async () => {
    // Prepare
    h.aws.commandFailsOn.add(BILLING_2);
    await revokeAtExpiry();
    const failure = h.aws.takeInvocationEvents().at(-1);
    jest.spyOn(h.ledger, 'recordLockOutcome').mockResolvedValueOnce(false);
    const publishedBefore = h.aws.published.length;

    // Act
    const error = await rejectionOf(h.handlers.osAccountResult(failure));

    // Assess
    expect(error.message).toBe(`grant ${GRANT_ID} changed while its lock result was recorded: retried`);
    expect(h.aws.published).toHaveLength(publishedBefore);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });

  it('records a failed lock once when SSM reports it twice', async () => {
    // Prepare
    h.aws.commandFailsOn.add(BILLING_2);
    await revokeAtExpiry();
    const failure = h.aws.takeInvocationEvents().at(-1);
    await h.handlers.osAccountResult(failure);

    // Act
    const again = await h.handlers.osAccountResult(failure);

    // Assess
    expect(again).toMatchObject({ outcome: 'already recorded', instanceId: BILLING_2, status: 'failed' });
    expect((await h.ledger.getGrant(GRANT_ID))?.residueCheck?.residue.osAccounts).toHaveLength(1);
    expect(h.aws.published).toHaveLength(2);
  });

  it('sends to the others one at a time when SSM cannot reach an instance, which stays residue', async () => {
    // Prepare
    h.aws.unmanaged.add(BILLING_2);

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(h.aws.osAccountRuns().slice(-1)).toEqual([`lock acme-support on ${BILLING_1}: Success`]);
    expect(result.residue.osAccounts).toEqual([`${BILLING_2}: lock unreachable (command not sent)`]);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKING');
  });

  it('counts a terminated instance SSM cannot reach as gone: nothing is left to lock there', async () => {
    // Prepare
    h.aws.unmanaged.add(BILLING_2);
    const index = h.aws.instances.findIndex((i) => i.instanceId === BILLING_2);
    h.aws.instances[index] = { ...h.aws.instances[index]!, state: 'terminated' };

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result.residue.osAccounts).toEqual([]);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKED');
    expect(grant?.osAccount?.[BILLING_2]).toEqual({
      action: 'lock',
      status: 'gone',
      at: EXPIRES_AT,
      commandId: 'not sent',
    });
  });

  it('records a lock that could not be sent as residue', async () => {
    // Prepare
    h.aws.failOn('SendCommand');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result.residue.osAccounts).toEqual([
      `lock of acme-support on ${BILLING_1}, ${BILLING_2}: could not be checked`,
    ]);
    expect(result.residue.roles).toEqual([]);
  });

  it('has the sweeper retry a failed lock until it holds, then the grant is REVOKED', async () => {
    // Prepare
    h.aws.commandFailsOn.add(BILLING_2);
    await revokeAtExpiry();
    await deliverCommandEvents(h);
    h.aws.commandFailsOn.clear();
    h.clock.advanceMinutes(PAST_STUCK_MINUTES);

    // Act
    const report = await h.handlers.sweeper();
    await deliverCommandEvents(h);

    // Assess
    expect(report.stuckGrants).toEqual([GRANT_ID]);
    expect(h.aws.osAccountRuns().slice(-2)).toEqual([
      `lock acme-support on ${BILLING_1}: Success`,
      `lock acme-support on ${BILLING_2}: Success`,
    ]);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('REVOKED');
    expect(grant?.residueCheck?.residue.osAccounts).toEqual([]);
    expect(grant?.osAccount?.[BILLING_2]).toMatchObject({ action: 'lock', status: 'succeeded' });
  });

  it('records the failed lock in the history and alerts with the instance, the command and the residue', async () => {
    // Prepare
    h.aws.commandFailsOn.add(BILLING_2);
    await revokeAtExpiry();

    // Act
    const recorded = await deliverCommandEvents(h);

    // Assess
    expect(recorded.at(-1)).toEqual({
      outcome: 'recorded',
      grantId: GRANT_ID,
      instanceId: BILLING_2,
      status: 'failed',
    });
    expect((await h.ledger.getGrant(GRANT_ID))?.history.at(-1)).toEqual({
      at: EXPIRES_AT,
      actor: 'ssm',
      event: `OS user lock Failed on ${BILLING_2}: left for the sweeper`,
      detail: `${BILLING_2}: lock failed (command cmd-2)`,
    });
    expect(h.aws.published.at(-1)).toEqual({
      subject: `jit-access: ALERT grant ${GRANT_ID} revoke incomplete`,
      message:
        `The lock of the vendor's OS user failed on ${BILLING_2} (command cmd-2, Failed) for grant ${GRANT_ID}. ` +
        `Left for the sweeper: ${BILLING_2}: lock failed (command cmd-2)`,
    });
  });

  it("records the sweeper's new lock failing again, though the instance's last result is the earlier lock's failure", async () => {
    // Prepare
    h.aws.commandFailsOn.add(BILLING_2);
    await revokeAtExpiry();
    await deliverCommandEvents(h);
    h.clock.advanceMinutes(PAST_STUCK_MINUTES);
    await h.handlers.sweeper();

    // Act
    const recorded = await deliverCommandEvents(h);

    // Assess
    expect(recorded.at(-1)).toEqual({
      outcome: 'recorded',
      grantId: GRANT_ID,
      instanceId: BILLING_2,
      status: 'failed',
    });
    expect((await h.ledger.getGrant(GRANT_ID))?.osAccount?.[BILLING_2]).toMatchObject({
      action: 'lock',
      status: 'failed',
      commandId: 'cmd-3',
    });
  });

  it("leaves the user unlocked on an instance another live grant of the same OS user holds, until that grant's revoke", async () => {
    // Prepare
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));

    // Act
    await revokeAtExpiry();
    const lockedFirst = h.aws.osAccountRuns().filter((run) => run.startsWith('lock'));
    await revokeAtExpiry(OTHER_ID);

    // Assess
    expect(lockedFirst).toEqual([`lock acme-support on ${BILLING_1}: Success`]);
    expect((await h.ledger.getGrant(GRANT_ID))?.history.at(-1)?.event).toBe(
      `revoked (expiry); residue: none; OS user left unlocked on ${BILLING_2} (held by ${OTHER_ID})`,
    );
    expect(h.aws.osAccountRuns().filter((run) => run.startsWith('lock'))).toEqual([
      `lock acme-support on ${BILLING_1}: Success`,
      `lock acme-support on ${BILLING_2}: Success`,
    ]);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });

  it('leaves the user unlocked where the grant revoked first also reached, whichever of two overlapping grants ends first', async () => {
    // Prepare
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));

    // Act
    await revokeAtExpiry(OTHER_ID);
    const lockedFirst = h.aws.osAccountRuns().filter((run) => run.startsWith('lock'));
    await revokeAtExpiry();

    // Assess
    expect(lockedFirst).toEqual([]);
    expect((await h.ledger.getGrant(OTHER_ID))?.history.at(-1)?.event).toBe(
      `revoked (expiry); residue: none; OS user left unlocked on ${BILLING_2} (held by ${GRANT_ID})`,
    );
    expect(h.aws.osAccountRuns().filter((run) => run.startsWith('lock'))).toEqual([
      `lock acme-support on ${BILLING_1}: Success`,
      `lock acme-support on ${BILLING_2}: Success`,
    ]);
    expect(await statusOf(h, OTHER_ID)).toBe('REVOKED');
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });

  it('starts the revoke with one ledger write and no query when the grant alone holds its rules and OS user', async () => {
    // Prepare
    const writesBefore = h.ledger.writes.length;
    const queries = jest.spyOn(h.ledger, 'grantsByStatus');

    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.ledger.writes.slice(writesBefore)).toEqual(['startRevoke', 'transition']);
    expect(queries).not.toHaveBeenCalled();
    expect(await h.ledger.osUserHolders(['acme-support'])).toEqual(new Map());
  });

  it('has the sweeper let go of a hold left by a grant that is over, so the next revoke of that user locks there', async () => {
    // Prepare: a hold on BILLING_2 whose release was lost, by a grant the ledger no longer has as live
    const lostHold = { osUser: 'acme-support', reach: [`billing-db|${BILLING_2}`] };
    await h.ledger.acquireRules([], OTHER_ID, lostHold);

    // Act
    const report = await h.handlers.sweeper();
    await revokeAtExpiry();

    // Assess
    expect(report.staleOsUserHolds).toEqual([`acme-support held by ${OTHER_ID}`]);
    expect(h.aws.osAccountRuns().filter((run) => run.startsWith('lock'))).toEqual([
      `lock acme-support on ${BILLING_1}: Success`,
      `lock acme-support on ${BILLING_2}: Success`,
    ]);
  });

  it('without the sweeper, a hold by another grant keeps the revoke from locking the user there', async () => {
    // Prepare
    await h.ledger.acquireRules([], OTHER_ID, { osUser: 'acme-support', reach: [`billing-db|${BILLING_2}`] });

    // Act
    await revokeAtExpiry();

    // Assess
    expect(h.aws.osAccountRuns().filter((run) => run.startsWith('lock'))).toEqual([
      `lock acme-support on ${BILLING_1}: Success`,
    ]);
  });

  it('keeps the hold of a live grant the sweeper did not see as live when it read the statuses', async () => {
    // Prepare
    await seedActive(h, OTHER_ID, requestInput({ targets: [BILLING_2] }));
    jest.spyOn(h.ledger, 'grantsByStatus').mockResolvedValue([]);

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.staleOsUserHolds).toEqual([]);
    expect(Object.keys((await h.ledger.osUserHolders(['acme-support'])).get('acme-support') ?? {}).sort()).toEqual([
      GRANT_ID,
      OTHER_ID,
    ]);
  });
});
