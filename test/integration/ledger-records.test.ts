/**
 * The real DynamoLedger on local AWS keeps, beside the grants, the vendors' run-time states, the denied attempts the
 * lockout counts, the break-glass review deadlines and each instance's OS-user lock: DynamoDB itself evaluates the
 * conditions that count a CloudTrail event once, lock a grant out once, and record only the grant's own lock commands.
 */
import { BatchWriteItemCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoLedger, grantItems, makeLedger, type VendorState } from '../../lambdas/adapters/ledger';
import { TransitionError } from '../../lambdas/domain/errors';
import type { DeniedAttempt } from '../../lambdas/domain/lockout';
import type { GrantRecord, HistoryEntry, OsAccountEntry } from '../../lambdas/domain/types';
import { T0, testSettings } from '../helpers/handler-deps';
import { createLedgerTable, pendingGrant } from '../helpers/ledger-table';
import { localClientConfig } from '../helpers/local-aws-clients';

const TABLE = `ledger-records-${process.pid}-${Date.now()}`;

const LATER = '2030-03-01T09:30:00.000Z';

function attempt(eventId: string, at: string, overrides: Partial<DeniedAttempt> = {}): DeniedAttempt {
  return {
    eventId,
    at,
    grantId: 'g-attempts0001',
    vendorId: 'acme',
    action: 'ssm:StartSession',
    errorCode: 'AccessDenied',
    caller: 'arn:aws:sts::111122223333:assumed-role/jit-g-attempts0001/vendor',
    ...overrides,
  };
}

const unlocked: OsAccountEntry = { action: 'unlock', status: 'succeeded', at: T0, commandId: 'cmd-unlock-1' };

/** A revoked grant that sent lock `cmd-lock-1`, with an instance unlocked and a clean residue check. */
async function revokedGrant(grantId: string): Promise<GrantRecord> {
  const grant = await pendingGrant(grantId);
  return {
    ...grant,
    status: 'REVOKED',
    osAccount: { 'i-0aaaaaaaaaaaaaaa1': unlocked },
    lockCommandIds: ['cmd-lock-1'],
    residueCheck: {
      checkedAt: T0,
      residue: { roles: [], policies: [], securityGroupRules: [], schedules: [], sessions: [], osAccounts: [] },
    },
  };
}

describe('vendor states, attempts, reviews and locks on the real ledger (local AWS)', () => {
  const dynamodb = new DynamoDBClient(localClientConfig());
  const ledger = new DynamoLedger(TABLE, { ...localClientConfig(), maxAttempts: 1 });

  beforeAll(() => createLedgerTable(dynamodb, TABLE));
  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: TABLE }));
    dynamodb.destroy();
  });

  describe('vendor states', () => {
    it('keeps each vendor’s latest state for the listing and every state in its history, oldest first', async () => {
      // Prepare
      const disabled: VendorState = { vendorId: 'globex', disabled: true, reason: 'audit', actor: 'erin', at: T0 };
      const enabled: VendorState = { vendorId: 'globex', disabled: false, reason: 'cleared', actor: 'dana', at: LATER };
      const other: VendorState = { vendorId: 'contoso', disabled: true, reason: 'breach', actor: 'erin', at: T0 };

      // Act
      await ledger.setVendorState(disabled);
      await ledger.setVendorState(other);
      await ledger.setVendorState({ ...enabled, extra: 'not stored' } as VendorState);
      const states = await ledger.vendorStates();
      const history = await ledger.vendorHistory('globex');

      // Assess
      expect(states).toEqual([other, enabled]);
      expect(history).toEqual([disabled, enabled]);
      expect(await ledger.vendorHistory('contoso')).toEqual([other]);
    });

    it('has no history for a vendor never disabled or enabled at run time', async () => {
      // Act
      const history = await ledger.vendorHistory('initech');

      // Assess
      expect(history).toEqual([]);
    });
  });

  describe('denied attempts', () => {
    it('counts a CloudTrail event once: a redelivered record, even with another time, is refused', async () => {
      // Prepare
      const first = attempt('event-once-1', T0, { vendorId: 'once' });

      // Act
      const recorded = await ledger.recordAttempt(first);
      const again = await ledger.recordAttempt({ ...first, at: LATER });

      // Assess
      expect(recorded).toBe(true);
      expect(again).toBe(false);
      expect(await ledger.attemptsBetween('once', T0, LATER)).toEqual([first]);
    });

    it('lists the vendor’s attempts from `from` to `to`, both included, oldest first, with a source IP when known', async () => {
      // Prepare
      const before = attempt('event-window-0', '2030-03-01T08:59:59.999Z', { vendorId: 'window' });
      const atFrom = attempt('event-window-1', T0, { vendorId: 'window', sourceIp: '198.51.100.7' });
      const inside = attempt('event-window-2', '2030-03-01T09:10:00.000Z', { vendorId: 'window' });
      const atTo = attempt('event-window-3', LATER, { vendorId: 'window', errorCode: 'UnauthorizedOperation' });
      const after = attempt('event-window-4', '2030-03-01T09:30:00.001Z', { vendorId: 'window' });
      const otherVendor = attempt('event-window-5', inside.at, { vendorId: 'window2' });
      for (const a of [after, atTo, otherVendor, inside, before, atFrom]) await ledger.recordAttempt(a);

      // Act
      const attempts = await ledger.attemptsBetween('window', T0, LATER);

      // Assess
      expect(attempts).toEqual([atFrom, inside, atTo]);
      expect(attempts[1]).not.toHaveProperty('sourceIp');
    });
  });

  describe('lockout', () => {
    const lockout = { at: LATER, eventId: 'event-lockout-1', attempts: 5, windowMinutes: 10 };
    const entry: HistoryEntry = { at: LATER, actor: 'lockout', event: 'locked out after 5 denied attempts' };

    it('marks a grant locked out once, with its history entry; a second run is refused and adds nothing', async () => {
      // Prepare
      const grant = await pendingGrant('g-lockout00001');
      await ledger.createGrant(grant);

      // Act
      const marked = await ledger.markLockout(grant.grantId, lockout, entry);
      const again = await ledger.markLockout(
        grant.grantId,
        { ...lockout, eventId: 'event-lockout-2' },
        { ...entry, event: 'must not be recorded' },
      );
      const read = await ledger.getGrant(grant.grantId);

      // Assess
      expect(marked).toBe(true);
      expect(again).toBe(false);
      expect(read).toEqual({ ...grant, lockout, updatedAt: LATER, history: [...grant.history, entry] });
    });

    it('refuses to lock out a grant that does not exist, and creates no record of it', async () => {
      // Act
      const marked = await ledger.markLockout('g-lockoutnone1', lockout, entry);

      // Assess
      expect(marked).toBe(false);
      expect(await ledger.getGrant('g-lockoutnone1')).toBeUndefined();
    });
  });

  describe('break-glass reviews', () => {
    it('lists the reviews due at or before an instant, by deadline, and forgets a removed one', async () => {
      // Prepare
      const early = { grantId: 'g-review000001', reviewBy: '2030-03-02T09:00:00.000Z' };
      const exact = { grantId: 'g-review000002', reviewBy: '2030-03-03T09:00:00.000Z' };
      const late = { grantId: 'g-review000003', reviewBy: '2030-03-03T09:00:00.001Z' };
      for (const review of [late, exact, early]) await ledger.addReviewDue(review);

      // Act
      const due = await ledger.reviewsDueBy('2030-03-03T09:00:00.000Z');
      await ledger.removeReviewDue(early);
      const afterRemoval = await ledger.reviewsDueBy('2030-03-04T00:00:00.000Z');

      // Assess
      expect(due).toEqual([early, exact]);
      expect(afterRemoval).toEqual([exact, late]);
    });
  });

  describe('OS-user lock outcomes', () => {
    const locked: OsAccountEntry = { action: 'lock', status: 'succeeded', at: LATER, commandId: 'cmd-lock-1' };
    const failedLock: OsAccountEntry = { ...locked, status: 'failed' };
    const residue = 'i-0aaaaaaaaaaaaaaa1: lock failed (command cmd-lock-1)';
    const reopened: HistoryEntry = {
      at: LATER,
      actor: 'os-account-results',
      event: 'OS user lock failed on i-0aaaaaaaaaaaaaaa1: left for the sweeper',
      detail: residue,
    };

    it('records a succeeded lock of one of the grant’s commands on its instance, and nothing else', async () => {
      // Prepare
      const grant = await revokedGrant('g-lockok000001');
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', locked);
      const read = await ledger.getGrant(grant.grantId);

      // Assess
      expect(recorded).toBe(true);
      expect(read).toEqual({ ...grant, osAccount: { 'i-0aaaaaaaaaaaaaaa1': locked } });
    });

    it('refuses a lock outcome of a command the grant did not send, and writes nothing', async () => {
      // Prepare
      const grant = await revokedGrant('g-lockother001');
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', {
        ...locked,
        commandId: 'cmd-of-someone-else',
      });

      // Assess
      expect(recorded).toBe(false);
      expect(await ledger.getGrant(grant.grantId)).toEqual(grant);
    });

    it('refuses a lock outcome for a grant that never unlocked an OS user', async () => {
      // Prepare
      const { osAccount: _none, ...grant } = await revokedGrant('g-locknoos0001');
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', locked);

      // Assess
      expect(recorded).toBe(false);
      expect(await ledger.getGrant(grant.grantId)).toEqual(grant);
    });

    it('reopens a revoked grant for a failed lock: REVOKING, the residue line added, the entry in its history', async () => {
      // Prepare
      const grant = await revokedGrant('g-lockfail0001');
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', failedLock, {
        from: 'REVOKED',
        to: 'REVOKING',
        residue,
        entry: reopened,
      });
      const read = await ledger.getGrant(grant.grantId);

      // Assess
      expect(recorded).toBe(true);
      expect(read).toEqual({
        ...grant,
        status: 'REVOKING',
        updatedAt: LATER,
        osAccount: { 'i-0aaaaaaaaaaaaaaa1': failedLock },
        residueCheck: { checkedAt: T0, residue: { ...grant.residueCheck?.residue, osAccounts: [residue] } },
        history: [...grant.history, reopened],
      });
    });

    it('records a failed lock of a grant still revoking without moving it', async () => {
      // Prepare
      const grant = { ...(await revokedGrant('g-lockfail0002')), status: 'REVOKING' as const };
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', failedLock, {
        from: 'REVOKING',
        to: 'REVOKING',
        residue,
        entry: reopened,
      });
      const read = await ledger.getGrant(grant.grantId);

      // Assess
      expect(recorded).toBe(true);
      expect(read?.status).toBe('REVOKING');
      expect(read?.residueCheck?.residue.osAccounts).toEqual([residue]);
      expect(read?.history).toEqual([...grant.history, reopened]);
    });

    it('records a failed lock of a failed grant, a status the transition table never lets a grant stay in', async () => {
      // Prepare
      const grant = { ...(await revokedGrant('g-lockfail0005')), status: 'FAILED' as const };
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', failedLock, {
        from: 'FAILED',
        to: 'FAILED',
        residue,
        entry: reopened,
      });
      const read = await ledger.getGrant(grant.grantId);

      // Assess
      expect(recorded).toBe(true);
      expect(read?.status).toBe('FAILED');
      expect(read?.residueCheck?.residue.osAccounts).toEqual([residue]);
    });

    it('refuses a failed lock of a grant with no residue check to add the line to, and writes nothing', async () => {
      // Prepare
      const { residueCheck: _none, ...grant } = await revokedGrant('g-lockfail0006');
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', failedLock, {
        from: 'REVOKED',
        to: 'REVOKING',
        residue,
        entry: reopened,
      });

      // Assess
      expect(recorded).toBe(false);
      expect(await ledger.getGrant(grant.grantId)).toEqual(grant);
    });

    it('refuses a failed lock when the grant moved on since it was read, and writes nothing', async () => {
      // Prepare
      const grant = { ...(await revokedGrant('g-lockfail0003')), status: 'FAILED' as const };
      await ledger.createGrant(grant);

      // Act
      const recorded = await ledger.recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', failedLock, {
        from: 'REVOKED',
        to: 'REVOKING',
        residue,
        entry: reopened,
      });

      // Assess
      expect(recorded).toBe(false);
      expect(await ledger.getGrant(grant.grantId)).toEqual(grant);
    });

    it('refuses a failed lock whose status change the transition table does not hold, and writes nothing', async () => {
      // Prepare
      const grant = await revokedGrant('g-lockfail0004');
      await ledger.createGrant(grant);

      // Act
      const error = await ledger
        .recordLockOutcome(grant.grantId, 'i-0aaaaaaaaaaaaaaa1', failedLock, {
          from: 'REVOKED',
          to: 'ACTIVE',
          residue,
          entry: reopened,
        })
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(TransitionError);
      expect((error as TransitionError).message).toBe('a grant cannot go from REVOKED to ACTIVE');
      expect(await ledger.getGrant(grant.grantId)).toEqual(grant);
    });
  });

  describe('grant items for bulk loading', () => {
    it('lays out a grant as the ledger stores it: loaded in bulk, it reads back whole', async () => {
      // Prepare
      const grant = { ...(await pendingGrant('g-bulkload0001')), expiresAt: LATER };
      const items = grantItems(grant);

      // Act
      await dynamodb.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [TABLE]: items.map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } })),
          },
        }),
      );
      const read = await ledger.getGrant(grant.grantId);

      // Assess
      expect(items[0]).toMatchObject({ pk: 'GRANT#g-bulkload0001', sk: 'GRANT', plan: JSON.stringify(grant.plan) });
      expect(items[0]).not.toHaveProperty('history');
      expect(items.slice(1)).toEqual(
        grant.history.map((entry) => ({
          pk: 'GRANT#g-bulkload0001',
          sk: expect.stringMatching(new RegExp(`^HIST#${entry.at}#\\d{12}#[0-9a-f]{8}$`)),
          entry,
        })),
      );
      expect(read).toEqual(grant);
      expect(await ledger.grantsByStatus('PENDING', LATER)).toEqual([{ ...grant, history: [] }]);
    });
  });

  it('is made for a Lambda on the table its settings name', async () => {
    // Prepare
    const made = makeLedger({ ...testSettings(), ledgerTableName: TABLE }, { ...localClientConfig(), maxAttempts: 1 });
    const grant = await pendingGrant('g-maker0000001');

    // Act
    const outcome = await made.createGrant(grant);

    // Assess
    expect(outcome).toBe('created');
    expect(await ledger.getGrant(grant.grantId)).toEqual(grant);
  });
});

describe('the real ledger lets through what DynamoDB refuses other than a failed condition (local AWS)', () => {
  const dynamodb = new DynamoDBClient(localClientConfig());
  /** A table nobody created: every request is refused with ResourceNotFoundException. */
  const missing = new DynamoLedger(`ledger-records-missing-${process.pid}`, { ...localClientConfig(), maxAttempts: 1 });
  const notFound = { name: 'ResourceNotFoundException', message: 'Requested resource not found' };
  const entry: HistoryEntry = { at: T0, actor: 'sweeper', event: 'note' };
  const hold = { osUser: 'acme-support', reach: ['i-0aaaaaaaaaaaaaaa1'] };
  const TOO_BIG_TABLE = `ledger-records-big-${process.pid}-${Date.now()}`;

  beforeAll(() => createLedgerTable(dynamodb, TOO_BIG_TABLE));
  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: TOO_BIG_TABLE }));
    dynamodb.destroy();
  });

  it('forgetting a task token', async () => {
    // Act & Assess
    await expect(missing.forgetTaskToken('g-missing00001')).rejects.toMatchObject(notFound);
  });

  it('recording a vote', async () => {
    // Act & Assess
    const vote = { person: 'alice', arn: 'arn:aws:iam::111122223333:user/alice', decision: 'approve' as const };
    await expect(missing.recordVote('g-missing00001', { ...vote, at: T0, planHash: 'sha256:x' })).rejects.toMatchObject(
      notFound,
    );
  });

  it('appending a history entry', async () => {
    // Act & Assess
    await expect(missing.appendHistory('g-missing00001', entry)).rejects.toMatchObject(notFound);
  });

  it('starting a revoke', async () => {
    // Act & Assess
    await expect(
      missing.startRevoke('g-missing00001', ['ACTIVE'], 'REVOKING', entry, {}, { ruleIds: new Map(), hold }),
    ).rejects.toMatchObject(notFound);
  });

  it('recording a lock outcome, with or without a failure', async () => {
    // Act & Assess
    const locked: OsAccountEntry = { action: 'lock', status: 'failed', at: T0, commandId: 'cmd-lock-1' };
    await expect(missing.recordLockOutcome('g-missing00001', 'i-0aaaaaaaaaaaaaaa1', locked)).rejects.toMatchObject(
      notFound,
    );
    await expect(
      missing.recordLockOutcome('g-missing00001', 'i-0aaaaaaaaaaaaaaa1', locked, {
        from: 'REVOKED',
        to: 'REVOKING',
        residue: 'i-0aaaaaaaaaaaaaaa1: lock failed (command cmd-lock-1)',
        entry,
      }),
    ).rejects.toMatchObject(notFound);
  });

  it('releasing an OS user, a rule, or forgetting a rule', async () => {
    // Act & Assess
    await expect(missing.releaseOsUser(hold, 'g-missing00001')).rejects.toMatchObject(notFound);
    await expect(missing.releaseRule('rule-key', 'g-missing00001')).rejects.toMatchObject(notFound);
    await expect(missing.forgetRuleIfUnheld('rule-key')).rejects.toMatchObject(notFound);
  });

  it('recording a denied attempt or a lockout', async () => {
    // Act & Assess
    await expect(missing.recordAttempt(attempt('event-missing-1', T0))).rejects.toMatchObject(notFound);
    await expect(
      missing.markLockout(
        'g-missing00001',
        { at: T0, eventId: 'event-missing-1', attempts: 5, windowMinutes: 10 },
        entry,
      ),
    ).rejects.toMatchObject(notFound);
  });

  it('replacing the task token of a pending grant that the new token would make too large', async () => {
    // Prepare: a grant item just under DynamoDB's 400 KB.
    const ledger = new DynamoLedger(TOO_BIG_TABLE, { ...localClientConfig(), maxAttempts: 1 });
    const grant = await pendingGrant('g-toobig000001');
    const big = { ...grant, request: { ...grant.request, reason: 'x'.repeat(390_000) } };
    await ledger.createGrant(big, 'token-1');

    // Act
    const error = await ledger.createGrant(big, 'y'.repeat(20_000)).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({
      name: 'ValidationException',
      message: 'Item size to update has exceeded the maximum allowed size',
    });
    expect(await ledger.getTaskToken(grant.grantId)).toBe('token-1');
  });
});
