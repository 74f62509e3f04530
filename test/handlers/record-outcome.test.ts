import {
  callApi,
  createHarness,
  DANA,
  seedActive,
  seedApproved,
  seedPending,
  statusOf,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-outcome-0001';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

describe('record-outcome', () => {
  it.each([
    ['denied', 'DENIED'],
    ['approval-timed-out', 'EXPIRED'],
    ['approval-failed', 'FAILED'],
  ])('%s ends a PENDING grant %s', async (outcome, status) => {
    // Prepare
    await seedPending(h, GRANT_ID);

    // Act
    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome });

    // Assess
    expect(result).toEqual({ grantId: GRANT_ID, outcome, status });
    expect(await statusOf(h, GRANT_ID)).toBe(status);
  });

  it('grant-failed ends an APPROVED grant FAILED, with the cause in its history', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);

    // Act
    await h.handlers.recordOutcome({
      grantId: GRANT_ID,
      outcome: 'grant-failed',
      error: { Error: 'jit.GrantFailed', Cause: 'vendor acme was disabled' },
    });

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('FAILED');
    expect(grant?.history.at(-1)).toMatchObject({
      actor: 'workflow',
      event: 'grant-failed',
      detail: 'vendor acme was disabled',
    });
  });

  it.each(['denied', 'approval-timed-out', 'grant-failed'])(
    '%s tells people how the request ended',
    async (outcome) => {
      // Prepare
      await seedApproved(h, GRANT_ID);
      h.aws.clearCallLog();

      // Act
      await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome });

      // Assess
      expect(h.aws.published).toEqual([
        { subject: `jit-access: grant ${GRANT_ID} ${outcome}`, message: expect.stringContaining(`ended: ${outcome}`) },
      ]);
    },
  );

  it('granted tells the vendor the role ARN to assume and leaves the grant ACTIVE', async () => {
    // Prepare
    const active = await seedActive(h, GRANT_ID);
    h.aws.clearCallLog();

    // Act
    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'granted' });

    // Assess
    expect(result.status).toBe('ACTIVE');
    expect(h.aws.published).toHaveLength(1);
    expect(h.aws.published[0]?.message).toContain(`--role-arn ${active.roleArn}`);
  });

  it('run twice keeps the final status and records it once', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });
    const after = await h.ledger.getGrant(GRANT_ID);

    // Act
    const second = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });

    // Assess
    expect(second.status).toBe('DENIED');
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toEqual(after?.history);
  });

  it('run twice sends its message once', async () => {
    // Prepare
    const active = await seedActive(h, GRANT_ID);
    h.aws.clearCallLog();
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'granted' });

    // Act
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'granted' });

    // Assess
    expect(h.aws.published).toHaveLength(1);
    expect(h.aws.published[0]?.message).toContain(active.roleArn);
  });

  it('denied does not move a grant that is no longer PENDING', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);

    // Act
    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });

    // Assess
    expect(result.status).toBe('APPROVED');
  });

  it.each(['denied', 'approval-timed-out', 'approval-failed', 'cancelled'])(
    '%s removes the task token from the ledger: the approval step is over',
    async (outcome) => {
      // Prepare
      await seedPending(h, GRANT_ID);

      // Act
      await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome });

      // Assess
      expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
    },
  );

  it('cancelled keeps a request the kill switch cancelled REVOKED, and records the end of its workflow', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await callApi(h, 'revoke', DANA, { params: { grantId: GRANT_ID }, body: { reason: 'no longer needed' } });

    // Act
    const result = await h.handlers.recordOutcome({
      grantId: GRANT_ID,
      outcome: 'cancelled',
      error: { Error: 'jit.Cancelled', Cause: 'cancelled by dana' },
    });

    // Assess
    expect(result).toEqual({ grantId: GRANT_ID, outcome: 'cancelled', status: 'REVOKED' });
    expect((await h.ledger.getGrant(GRANT_ID))?.history.at(-1)).toMatchObject({
      actor: 'workflow',
      event: 'cancelled',
      detail: 'cancelled by dana',
    });
  });

  it('cancelled run twice records it once and notifies once', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await callApi(h, 'revoke', DANA, { params: { grantId: GRANT_ID }, body: { reason: 'no longer needed' } });
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'cancelled' });
    const after = await h.ledger.getGrant(GRANT_ID);
    h.aws.clearCallLog();

    // Act
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'cancelled' });

    // Assess
    expect(await h.ledger.getGrant(GRANT_ID)).toEqual(after);
    expect(h.aws.published).toEqual([]);
  });

  it('refuses an outcome it does not know, and records nothing', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    const writesBefore = h.ledger.writes.length;

    // Act
    const recording = h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'approved-by-me' });

    // Assess
    await expect(recording).rejects.toMatchObject({ code: 'INVALID_EVENT', field: 'outcome' });
    expect(h.ledger.writes).toHaveLength(writesBefore);
  });

  it('answers UNKNOWN for a grant the ledger does not hold, and sends nothing', async () => {
    // Act
    const result = await h.handlers.recordOutcome({ grantId: 'grant-outcome-9999', outcome: 'denied' });

    // Assess
    expect(result.status).toBe('UNKNOWN');
    expect(h.aws.published).toEqual([]);
  });
});
