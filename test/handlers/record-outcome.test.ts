import { decide } from '../../lambdas/lifecycle/decision';
import {
  ALICE,
  callApi,
  createHarness,
  DANA,
  seedActive,
  seedApproved,
  seedPending,
  statusOf,
  T0,
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
    '%s tells people how the request ended, and nothing more when the workflow gives no cause',
    async (outcome) => {
      // Prepare
      await seedApproved(h, GRANT_ID);
      h.aws.clearCallLog();

      // Act
      await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome });

      // Assess
      expect(h.aws.published).toEqual([
        {
          subject: `jit-access: grant ${GRANT_ID} ${outcome}`,
          message: `Grant ${GRANT_ID} for vendor acme ended: ${outcome}.`,
        },
      ]);
    },
  );

  it('tells people the cause of a failure on its own line after the outcome', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    h.aws.clearCallLog();

    // Act
    await h.handlers.recordOutcome({
      grantId: GRANT_ID,
      outcome: 'grant-failed',
      error: { Error: 'jit.GrantFailed', Cause: 'vendor acme was disabled' },
    });

    // Assess
    expect(h.aws.published).toEqual([
      {
        subject: `jit-access: grant ${GRANT_ID} grant-failed`,
        message: `Grant ${GRANT_ID} for vendor acme ended: grant-failed.\nvendor acme was disabled`,
      },
    ]);
  });

  it('keeps the first 2000 characters of a longer cause in the history', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    const cause = `${'a'.repeat(2000)}${'b'.repeat(500)}`;

    // Act
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'grant-failed', error: { Cause: cause } });

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.history.at(-1)).toEqual({
      at: T0,
      actor: 'workflow',
      event: 'grant-failed',
      detail: 'a'.repeat(2000),
    });
  });

  it('writes an outcome that moves the grant into the history once', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);

    // Act
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });

    // Assess
    const history = (await h.ledger.getGrant(GRANT_ID))?.history ?? [];
    expect(history.filter((entry) => entry.actor === 'workflow')).toEqual([
      { at: T0, actor: 'workflow', event: 'denied' },
    ]);
  });

  it("records and tells the workflow's denial after an approver's deny, which is no earlier record of it", async () => {
    // Prepare: alice's deny ends the grant DENIED with her entry "denied"; the workflow's denial step runs next
    await seedPending(h, GRANT_ID);
    await decide(h.deps, GRANT_ID, ALICE, 'deny');
    h.aws.clearCallLog();

    // Act
    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });

    // Assess
    expect(result).toEqual({ grantId: GRANT_ID, outcome: 'denied', status: 'DENIED' });
    const history = (await h.ledger.getGrant(GRANT_ID))?.history ?? [];
    expect(history.slice(-2).map(({ actor, event }) => ({ actor, event }))).toEqual([
      { actor: 'alice', event: 'denied' },
      { actor: 'workflow', event: 'denied' },
    ]);
    expect(h.aws.published).toEqual([
      { subject: `jit-access: grant ${GRANT_ID} denied`, message: `Grant ${GRANT_ID} for vendor acme ended: denied.` },
    ]);
  });

  it('records an outcome after the workflow recorded another one: only the same outcome is a repeat', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'denied' });
    h.aws.clearCallLog();

    // Act
    const result = await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'grant-failed' });

    // Assess
    expect(result).toEqual({ grantId: GRANT_ID, outcome: 'grant-failed', status: 'FAILED' });
    const history = (await h.ledger.getGrant(GRANT_ID))?.history ?? [];
    expect(history.filter((entry) => entry.actor === 'workflow').map((entry) => entry.event)).toEqual([
      'denied',
      'grant-failed',
    ]);
    expect(h.aws.published.map((p) => p.subject)).toEqual([`jit-access: grant ${GRANT_ID} grant-failed`]);
  });

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

  it('granted for a grant that recorded no role leaves the role ARN empty in the message', async () => {
    // Prepare: approved, but the grant step never recorded a role
    await seedApproved(h, GRANT_ID);
    h.aws.clearCallLog();

    // Act
    await h.handlers.recordOutcome({ grantId: GRANT_ID, outcome: 'granted' });

    // Assess
    expect(h.aws.published).toEqual([
      {
        subject: `jit-access: grant ${GRANT_ID} granted`,
        message: [
          `Grant ${GRANT_ID} for vendor acme is active from 2030-03-01T09:00:00.000Z until 2030-03-01T10:00:00.000Z.`,
          `Vendor steps (or "jit-access connect ${GRANT_ID}" for a ready profile):`,
          '  aws sts assume-role --role-arn  --role-session-name <your-name> --external-id <your external id> [--serial-number <mfa> --token-code <code>]',
          '  aws ssm start-session --target <instance-id> --document-name JitAccess-VendorShell',
          'Every session is recorded. Access ends by itself at expiry.',
        ].join('\n'),
      },
    ]);
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
