/**
 * The real DynamoLedger on local AWS: a grant's plans are stored as their JSON text (one attribute each, cheap for
 * the sweeper to page through) and come back exactly as written, through the grant workflow and the status index.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from '../helpers/local-aws-clients';
import { grantThroughWorkflow, localLifecycle } from '../helpers/local-lifecycle';

describe('the ledger on local AWS', () => {
  const lifecycle = localLifecycle();

  it('stores an active grant’s plan and approved plan as JSON text and reads them back as they were approved', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, grant } = await grantThroughWorkflow(local);
    const dynamodb = new DynamoDBClient(localClientConfig());

    // Act
    const raw = await dynamodb
      .send(
        new GetItemCommand({
          TableName: local.world.settings.ledgerTableName,
          Key: { pk: { S: `GRANT#${grantId}` }, sk: { S: 'GRANT' } },
          ConsistentRead: true,
        }),
      )
      .finally(() => dynamodb.destroy());
    const listed = (await local.deps.ledger.grantsByStatus('ACTIVE')).find((g) => g.grantId === grantId);

    // Assess
    expect(grant.status).toBe('ACTIVE');
    expect(raw.Item?.plan?.S).toBeDefined();
    expect(raw.Item?.approvedPlan?.S).toBeDefined();
    expect(JSON.parse(raw.Item?.plan?.S ?? 'null')).toEqual(grant.plan);
    expect(JSON.parse(raw.Item?.approvedPlan?.S ?? 'null')).toEqual(grant.approvedPlan);
    expect(grant.plan.role.name).toBe(`jit-${grantId}`);
    expect(listed?.plan).toEqual(grant.plan);
    expect(listed?.approvedPlan).toEqual(grant.approvedPlan);
  });
});
