/**
 * DynamoDB answers a Query one page (at most 1 MB) at a time, with LastEvaluatedKey while more remain. Every listing
 * of the ledger reads every page: played here with a mocked client that answers two pages, since the real pages need
 * a megabyte of items.
 */
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoLedger } from '../../lambdas/adapters/ledger';

const vote = (person: string) => ({
  pk: 'GRANT#g-paged0000001',
  sk: `VOTE#${person}`,
  person,
  arn: `arn:aws:iam::111122223333:user/${person}`,
  decision: 'approve',
  at: '2030-03-01T09:00:00.000Z',
  planHash: 'sha256:plan',
});

const vendorState = (vendorId: string) => ({
  pk: 'VENDORS',
  sk: vendorId,
  disabled: true,
  reason: 'paused',
  actor: 'erin',
  at: '2030-03-01T09:00:00.000Z',
});

describe('the ledger reads every page of a query', () => {
  const dynamodb = mockClient(DynamoDBDocumentClient);
  const ledger = new DynamoLedger('ledger', { region: 'eu-west-1', maxAttempts: 1 });

  afterEach(() => dynamodb.reset());
  afterAll(() => dynamodb.restore());

  function twoPages(first: Record<string, unknown>[], second: Record<string, unknown>[]): void {
    const lastKey = { pk: String(first.at(-1)?.pk), sk: String(first.at(-1)?.sk) };
    dynamodb.on(QueryCommand).resolvesOnce({ Items: first, LastEvaluatedKey: lastKey }).resolvesOnce({ Items: second });
  }

  it("lists every vote of a grant, the second page's too, continuing where the first ended", async () => {
    // Prepare
    twoPages([vote('alice'), vote('bob')], [vote('carol')]);

    // Act
    const votes = await ledger.listVotes('g-paged0000001');

    // Assess
    expect(votes.map((v) => v.person)).toEqual(['alice', 'bob', 'carol']);
    const calls = dynamodb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'GRANT#g-paged0000001', sk: 'VOTE#bob' });
  });

  it("lists every vendor's run-time state, the second page's too", async () => {
    // Prepare
    twoPages([vendorState('acme'), vendorState('globex')], [vendorState('initech')]);

    // Act
    const states = await ledger.vendorStates();

    // Assess
    expect(states.map((s) => s.vendorId)).toEqual(['acme', 'globex', 'initech']);
    expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(2);
  });
});
