/**
 * The real DynamoLedger on local AWS keeps a grant's history as items of their own (`HIST#<at>#<sequence>`), written
 * in the same transaction as the change they record: the grant item stays small whatever the history holds, reads
 * page through it in order, and a grant written with its history inside the item still reads whole.
 */
import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoLedger } from '../../lambdas/adapters/ledger';
import type { HistoryEntry } from '../../lambdas/domain/types';
import { T0 } from '../helpers/handler-deps';
import { createLedgerTable, pendingGrant } from '../helpers/ledger-table';
import { localClientConfig } from '../helpers/local-aws-clients';

const TABLE = `ledger-history-${process.pid}-${Date.now()}`;
/** The table of the grant with thousands of entries, apart: every transaction on moto copies its whole table. */
const BIG_TABLE = `${TABLE}-big`;
/** A small page, so that every read of a long history crosses pages (many of them for the long one). */
const PAGE_SIZE = 100;

function entries(count: number, prefix: string, at = T0): HistoryEntry[] {
  return Array.from({ length: count }, (_, i) => ({ at, actor: 'sweeper', event: `${prefix} ${i}` }));
}

describe('grant history on the real ledger (local AWS)', () => {
  const dynamodb = new DynamoDBClient(localClientConfig());
  const ledger = new DynamoLedger(TABLE, { ...localClientConfig(), maxAttempts: 4 }, { pageSize: PAGE_SIZE });
  const bigLedger = new DynamoLedger(BIG_TABLE, { ...localClientConfig(), maxAttempts: 4 }, { pageSize: 250 });

  /** History items in the ledger's own layout: `HIST#<at>#<sequence>` under the grant's key, the entry inside. */
  async function storeHistoryItems(grantId: string, history: readonly HistoryEntry[]): Promise<void> {
    for (let i = 0; i < history.length; i += 25) {
      const items = history.slice(i, i + 25).map((entry, j) => ({
        PutRequest: {
          Item: marshall({
            pk: `GRANT#${grantId}`,
            sk: `HIST#${entry.at}#${String(i + j).padStart(12, '0')}#seeded00`,
            entry,
          }),
        },
      }));
      await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [BIG_TABLE]: items } }));
    }
  }

  beforeAll(() => Promise.all([createLedgerTable(dynamodb, TABLE), createLedgerTable(dynamodb, BIG_TABLE)]));
  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: TABLE }));
    await dynamodb.send(new DeleteTableCommand({ TableName: BIG_TABLE }));
    dynamodb.destroy();
  });

  it('keeps a grant with 1,500 history entries: every entry in order across pages, the grant item small', async () => {
    // Prepare: a grant, then 1,500 entries stored as the ledger stores them (moto copies the whole table for each
    // item of a transaction, so writing them one transaction at a time here would take minutes).
    const grant = await pendingGrant('g-thousands0001');
    await bigLedger.createGrant(grant, 'token-1');
    const stored = entries(1_500, 'stored', '2030-03-01T09:01:00.000Z');
    await storeHistoryItems(grant.grantId, stored);

    // Act
    for (const entry of entries(1, 'appended', '2030-03-01T09:02:00.000Z')) {
      await bigLedger.appendHistory(grant.grantId, entry);
    }
    const moved = await bigLedger.transition(grant.grantId, ['PENDING'], 'DENIED', {
      at: '2030-03-01T09:05:00.000Z',
      actor: 'alice',
      event: 'denied',
    });
    const read = await bigLedger.getGrant(grant.grantId);
    const item = await dynamodb.send(
      new GetItemCommand({ TableName: BIG_TABLE, Key: marshall({ pk: `GRANT#${grant.grantId}`, sk: 'GRANT' }) }),
    );

    // Assess
    expect(moved).toBe(true);
    expect(read?.status).toBe('DENIED');
    expect(read?.history.map((e) => e.event)).toEqual([
      ...grant.history.map((e) => e.event),
      ...stored.map((e) => e.event),
      ...entries(1, 'appended').map((e) => e.event),
      'denied',
    ]);
    expect(item.Item?.history).toBeUndefined();
    expect(JSON.stringify(item.Item).length).toBeLessThan(40_000);
  });

  it('writes a new grant’s history beyond one transaction’s 100 items, in order', async () => {
    // Prepare
    const grant = await pendingGrant('g-longcreate01');
    const history = entries(150, 'created with');

    // Act
    const outcome = await ledger.createGrant({ ...grant, history }, 'token-1');
    const read = await ledger.getGrant(grant.grantId);

    // Assess
    expect(outcome).toBe('created');
    expect(read?.history).toEqual(history);
  });

  it('writes no history entry when a transition’s condition fails', async () => {
    // Prepare
    const grant = await pendingGrant('g-lostrace0001');
    await ledger.createGrant(grant, 'token-1');

    // Act
    const moved = await ledger.transition(grant.grantId, ['ACTIVE'], 'REVOKING', {
      at: T0,
      actor: 'sweeper',
      event: 'must not be recorded',
    });
    const read = await ledger.getGrant(grant.grantId);

    // Assess
    expect(moved).toBe(false);
    expect(read?.status).toBe('PENDING');
    expect(read?.history).toEqual(grant.history);
  });

  it('a created grant written again changes nothing and adds no history', async () => {
    // Prepare
    const grant = await pendingGrant('g-twice0000001');
    await ledger.createGrant(grant);

    // Act
    const second = await ledger.createGrant(grant);
    const read = await ledger.getGrant(grant.grantId);

    // Assess
    expect(second).toBe('unchanged');
    expect(read?.history).toEqual(grant.history);
  });

  it('reads a grant written by the previous version (history inside the item), then appends after it', async () => {
    // Prepare
    const grant = await pendingGrant('g-legacy000001');
    const inline = entries(3, 'inline', '2030-03-01T08:00:00.000Z');
    const { plan, approvedPlan: _approved, ...rest } = grant;
    await dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall(
          { pk: `GRANT#${grant.grantId}`, sk: 'GRANT', ...rest, plan: JSON.stringify(plan), history: inline },
          { removeUndefinedValues: true },
        ),
      }),
    );

    // Act
    await ledger.appendHistory(grant.grantId, { at: T0, actor: 'sweeper', event: 'after the upgrade' });
    const read = await ledger.getGrant(grant.grantId);

    // Assess
    expect(read?.plan).toEqual(plan);
    expect(read?.history.map((e) => e.event)).toEqual(['inline 0', 'inline 1', 'inline 2', 'after the upgrade']);
  });

  it('lists grants by status without their history, in one query page per status', async () => {
    // Prepare
    const grant = await pendingGrant('g-listed000001');
    await ledger.createGrant(grant, 'token-1');
    await ledger.transition(
      grant.grantId,
      ['PENDING'],
      'EXPIRED',
      { at: T0, actor: 'workflow', event: 'expired' },
      {
        expiresAt: '2030-03-01T10:00:00.000Z',
      },
    );
    const raw = await dynamodb.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':status': 'EXPIRED' }),
      }),
    );

    // Act
    const listed = await ledger.grantsByStatus('EXPIRED');

    // Assess
    expect(raw.Items?.map((i) => i.sk?.S)).toEqual(['GRANT']);
    expect(listed.map((g) => [g.grantId, g.history])).toEqual([[grant.grantId, []]]);
  });
});
