/**
 * The in-memory ledger behaves as DynamoLedger does with history (test/integration/ledger-history.test.ts): a grant
 * read alone carries its whole history in order, however long; grants listed by status carry none; a status change
 * the transition table does not hold is refused.
 */
import type { GrantRecord, HistoryEntry } from '../../lambdas/domain/types';
import { createHarness, seedPending, T0, type Harness } from '../helpers/handler-deps';

describe('the in-memory ledger’s grant history', () => {
  let harness: Harness;

  beforeEach(() => {
    harness = createHarness();
  });
  afterEach(() => harness.restore());

  it('keeps thousands of history entries of one grant, in the order they were written', async () => {
    // Prepare
    await seedPending(harness, 'g-thousands0001');
    const before = (await harness.ledger.getGrant('g-thousands0001')) as GrantRecord;
    const appended: HistoryEntry[] = Array.from({ length: 2_000 }, (_, i) => ({
      at: T0,
      actor: 'sweeper',
      event: `note ${i}`,
    }));

    // Act
    for (const entry of appended) await harness.ledger.appendHistory('g-thousands0001', entry);
    const after = await harness.ledger.getGrant('g-thousands0001');

    // Assess
    expect(after?.history).toEqual([...before.history, ...appended]);
  });

  it('refuses a status change the transition table does not hold, as DynamoLedger does, and changes nothing', async () => {
    // Prepare
    await seedPending(harness, 'g-backwards001');

    // Act
    const outcome = harness.ledger.transition('g-backwards001', ['PENDING'], 'ACTIVE', {
      at: T0,
      actor: 'workflow',
      event: 'skipped the approval',
    });

    // Assess
    await expect(outcome).rejects.toThrow('a grant cannot go from PENDING to ACTIVE');
    expect((await harness.ledger.getGrant('g-backwards001'))?.status).toBe('PENDING');
  });

  it('reads history by time, as DynamoLedger’s sort keys order it, whatever order it was written in', async () => {
    // Prepare
    await seedPending(harness, 'g-bytime000001');
    const later = { at: '2030-03-01T09:30:00.000Z', actor: 'sweeper', event: 'later' };
    const earlier = { at: '2030-03-01T09:10:00.000Z', actor: 'sweeper', event: 'earlier' };

    // Act
    await harness.ledger.appendHistory('g-bytime000001', later);
    await harness.ledger.appendHistory('g-bytime000001', earlier);
    const read = await harness.ledger.getGrant('g-bytime000001');

    // Assess
    expect(read?.history.slice(-2).map((e) => e.event)).toEqual(['earlier', 'later']);
  });

  it('lists grants by status without their history', async () => {
    // Prepare
    await seedPending(harness, 'g-listed000001');
    await harness.ledger.transition(
      'g-listed000001',
      ['PENDING'],
      'EXPIRED',
      { at: T0, actor: 'workflow', event: 'expired' },
      { expiresAt: T0 },
    );

    // Act
    const listed = await harness.ledger.grantsByStatus('EXPIRED');
    const read = await harness.ledger.getGrant('g-listed000001');

    // Assess
    expect(listed.map((g) => [g.grantId, g.history])).toEqual([['g-listed000001', []]]);
    expect(read?.history.at(-1)?.event).toBe('expired');
  });
});
