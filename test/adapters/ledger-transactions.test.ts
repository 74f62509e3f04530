/**
 * DynamoLedger writes a status change and its history entry in one transaction. DynamoDB cancels a transaction that
 * meets another one on the same item (TransactionConflict): the ledger tries it again, and tells a failed condition
 * (someone else moved the grant) from a conflict. moto never reports a conflict, so these cases are played with a
 * mocked client.
 */
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoLedger } from '../../lambdas/adapters/ledger';
import type { HistoryEntry } from '../../lambdas/domain/types';
import { cancellationError } from '../helpers/fake-aws';

const ENTRY: HistoryEntry = { at: '2030-03-01T09:00:00.000Z', actor: 'workflow', event: 'approved' };

const cancelled = (...codes: string[]) => cancellationError('TransactionCanceledException', ...codes);

describe('the ledger’s status-change transactions', () => {
  const dynamodb = mockClient(DynamoDBDocumentClient);
  const ledger = new DynamoLedger('ledger', { region: 'eu-west-1', maxAttempts: 1 });

  afterEach(() => dynamodb.reset());
  afterAll(() => dynamodb.restore());

  it('tries a transition again after a conflict with another transaction, and the grant moves', async () => {
    // Prepare
    dynamodb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({});

    // Act
    const moved = await ledger.transition('g-conflict0001', ['PENDING'], 'APPROVED', ENTRY);

    // Assess
    expect(moved).toBe(true);
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('writes the status change and its history item together, the entry under the grant’s key', async () => {
    // Prepare
    dynamodb.on(TransactWriteCommand).resolves({});

    // Act
    await ledger.transition('g-together0001', ['PENDING'], 'APPROVED', ENTRY);

    // Assess
    const items = dynamodb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(2);
    expect(items[0]?.Update?.Key).toEqual({ pk: 'GRANT#g-together0001', sk: 'GRANT' });
    expect(items[0]?.Update?.UpdateExpression).not.toContain('history');
    expect(items[1]?.Put?.Item).toEqual({
      pk: 'GRANT#g-together0001',
      sk: expect.stringMatching(/^HIST#2030-03-01T09:00:00\.000Z#\d{12}#[0-9a-f]{8}$/) as unknown as string,
      entry: ENTRY,
    });
  });

  it('keeps entries written in the same millisecond in the order they were written', async () => {
    // Prepare
    dynamodb.on(TransactWriteCommand).resolves({});

    // Act
    for (const event of ['first', 'second', 'third']) {
      await ledger.appendHistory('g-samemilli001', { ...ENTRY, event });
    }

    // Assess
    const keys = dynamodb
      .commandCalls(TransactWriteCommand)
      .map((call) => String(call.args[0].input.TransactItems?.[1]?.Put?.Item?.sk));
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(3);
  });

  it('gives up after three conflicts in a row and lets the error through', async () => {
    // Prepare
    dynamodb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));

    // Act
    const outcome = ledger.transition('g-conflict0002', ['PENDING'], 'APPROVED', ENTRY);

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('answers false, without trying again, when the grant is no longer in a status it may leave', async () => {
    // Prepare
    dynamodb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

    // Act
    const moved = await ledger.transition('g-moved000001', ['PENDING'], 'APPROVED', ENTRY);

    // Assess
    expect(moved).toBe(false);
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('refuses a status change the transition table does not hold, and writes nothing', async () => {
    // Act
    const outcome = ledger.transition('g-backwards001', ['ACTIVE'], 'PENDING', ENTRY);

    // Assess
    await expect(outcome).rejects.toThrow('a grant cannot go from ACTIVE to PENDING');
    expect(dynamodb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('refuses a history entry for a grant that does not exist, as a failed condition', async () => {
    // Prepare
    dynamodb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

    // Act
    const outcome = ledger.appendHistory('g-missing00001', ENTRY);

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });
});
