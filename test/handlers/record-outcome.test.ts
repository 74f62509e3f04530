import { createHarness, seedActive, seedApproved, seedPending, statusOf, type Harness } from '../helpers/handler-deps';

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
    await seedPending(h, GRANT_ID);

    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome });

    expect(result).toEqual({ grantId: GRANT_ID, outcome, status });
    expect(await statusOf(h, GRANT_ID)).toBe(status);
  });

  it('grant-failed ends an APPROVED grant FAILED, with the cause in its history', async () => {
    await seedApproved(h, GRANT_ID);

    await h.handlers.recordOutcome({
      grantId: GRANT_ID,
      outcome: 'grant-failed',
      error: { Error: 'jit.GrantFailed', Cause: 'vendor acme was disabled' },
    });

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
      await seedApproved(h, GRANT_ID);
      h.aws.clearCallLog();

      await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome });

      expect(h.aws.published).toEqual([
        { subject: `jit-access: grant ${GRANT_ID} ${outcome}`, message: expect.stringContaining(`ended: ${outcome}`) },
      ]);
    },
  );

  it('granted tells the vendor the role ARN to assume and leaves the grant ACTIVE', async () => {
    const active = await seedActive(h, GRANT_ID);
    h.aws.clearCallLog();

    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'granted' });

    expect(result.status).toBe('ACTIVE');
    expect(h.aws.published).toHaveLength(1);
    expect(h.aws.published[0]?.message).toContain(`--role-arn ${active.roleArn}`);
  });

  it('run twice keeps the final status and records it once', async () => {
    await seedPending(h, GRANT_ID);
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });
    const after = await h.ledger.getGrant(GRANT_ID);

    const second = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });

    expect(second.status).toBe('DENIED');
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toEqual(after?.history);
  });

  it('run twice sends its message once', async () => {
    const active = await seedActive(h, GRANT_ID);
    h.aws.clearCallLog();
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'granted' });

    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'granted' });

    expect(h.aws.published).toHaveLength(1);
    expect(h.aws.published[0]?.message).toContain(active.roleArn);
  });

  it('denied does not move a grant that is no longer PENDING', async () => {
    await seedApproved(h, GRANT_ID);

    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });

    expect(result.status).toBe('APPROVED');
  });

  it('answers UNKNOWN for a grant the ledger does not hold, and sends nothing', async () => {
    const result = await h.handlers.recordOutcome({ grantId: 'grant-outcome-9999', outcome: 'denied' });

    expect(result.status).toBe('UNKNOWN');
    expect(h.aws.published).toEqual([]);
  });
});
