import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GrantRecord } from '../../lambdas/domain/types';
import { createHarness, seedPending } from './handler-deps';

/** The ledger table's keys and status index, as lib/constructs/ledger-table.ts declares them. */
export async function createLedgerTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'expiresAt', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
}

/** A PENDING grant as the workflow records it (from the handlers on the in-memory ledger), renamed `grantId`. */
export async function pendingGrant(grantId: string): Promise<GrantRecord> {
  const harness = createHarness();
  try {
    await seedPending(harness, 'g-template0001');
    const grant = (await harness.ledger.getGrant('g-template0001')) as GrantRecord;
    return { ...grant, grantId, request: { ...grant.request, grantId } };
  } finally {
    harness.restore();
  }
}
