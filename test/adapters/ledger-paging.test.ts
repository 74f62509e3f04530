/**
 * DynamoDB answers a Query one page (at most 1 MB) at a time, with LastEvaluatedKey while more remain, and a
 * BatchGetItem under load with the keys it did not read (UnprocessedKeys). The ledger reads every page and every key:
 * played here with a mocked client, since real pages need a megabyte of items and moto never throttles.
 */
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
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

const attempt = (eventId: string) => ({
  pk: 'ATTEMPTS#acme',
  sk: `2030-03-01T09:00:00.000Z#${eventId}`,
  eventId,
  at: '2030-03-01T09:00:00.000Z',
  grantId: 'g-paged0000001',
  vendorId: 'acme',
  action: 'ssm:StartSession',
  errorCode: 'AccessDenied',
  caller: 'arn:aws:sts::111122223333:assumed-role/jit-g-paged0000001/vendor',
});

const review = (grantId: string) => ({
  pk: 'BREAK_GLASS_REVIEWS',
  sk: `2030-03-02T09:00:00.000Z#${grantId}`,
  grantId,
  reviewBy: '2030-03-02T09:00:00.000Z',
});

const activeGrant = (grantId: string) => ({
  pk: `GRANT#${grantId}`,
  sk: 'GRANT',
  grantId,
  status: 'ACTIVE',
  expiresAt: '2030-03-01T10:00:00.000Z',
  plan: JSON.stringify({ grantId }),
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

  it("lists every denied attempt of a vendor's window, the second page's too, continuing where the first ended", async () => {
    // Prepare
    twoPages([attempt('event-1'), attempt('event-2')], [attempt('event-3')]);

    // Act
    const attempts = await ledger.attemptsBetween('acme', '2030-03-01T09:00:00.000Z', '2030-03-01T09:10:00.000Z');

    // Assess
    expect(attempts.map((a) => a.eventId)).toEqual(['event-1', 'event-2', 'event-3']);
    const calls = dynamodb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: 'ATTEMPTS#acme',
      sk: '2030-03-01T09:00:00.000Z#event-2',
    });
  });

  it("lists every break-glass review due, the second page's too, continuing where the first ended", async () => {
    // Prepare
    twoPages([review('g-review000001'), review('g-review000002')], [review('g-review000003')]);

    // Act
    const reviews = await ledger.reviewsDueBy('2030-03-02T09:00:00.000Z');

    // Assess
    expect(reviews).toEqual([
      { grantId: 'g-review000001', reviewBy: '2030-03-02T09:00:00.000Z' },
      { grantId: 'g-review000002', reviewBy: '2030-03-02T09:00:00.000Z' },
      { grantId: 'g-review000003', reviewBy: '2030-03-02T09:00:00.000Z' },
    ]);
    const calls = dynamodb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({
      pk: 'BREAK_GLASS_REVIEWS',
      sk: '2030-03-02T09:00:00.000Z#g-review000002',
    });
  });

  it("lists every grant in a status, the second page's too, continuing where the first ended", async () => {
    // Prepare
    twoPages([activeGrant('g-listed000001'), activeGrant('g-listed000002')], [activeGrant('g-listed000003')]);

    // Act
    const grants = await ledger.grantsByStatus('ACTIVE', '2030-03-01T10:00:00.000Z');

    // Assess
    expect(grants.map((g) => [g.grantId, g.history])).toEqual([
      ['g-listed000001', []],
      ['g-listed000002', []],
      ['g-listed000003', []],
    ]);
    const calls = dynamodb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'GRANT#g-listed000002', sk: 'GRANT' });
  });

  it('reads again the rule and OS-user keys a batch read left unprocessed, until every one is read', async () => {
    // Prepare
    const rule = (key: string) => ({ pk: `RULE#${key}`, sk: 'RULE', holders: new Set(['g-paged0000001']) });
    const osUser = (name: string) => ({
      pk: `OSUSER#${name}`,
      sk: 'OSUSER',
      holds: { 'g-paged0000001': ['i-0aaaaaaaaaaaaaaa1'] },
    });
    dynamodb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { ledger: [rule('sg-1|tcp|22|22|203.0.113.0/24')] },
        UnprocessedKeys: { ledger: { Keys: [{ pk: 'RULE#sg-1|tcp|443|443|203.0.113.0/24', sk: 'RULE' }] } },
      })
      .resolvesOnce({ Responses: { ledger: [rule('sg-1|tcp|443|443|203.0.113.0/24')] } })
      .resolvesOnce({
        Responses: { ledger: [] },
        UnprocessedKeys: { ledger: { Keys: [{ pk: 'OSUSER#acme-support', sk: 'OSUSER' }] } },
      })
      .resolvesOnce({ Responses: { ledger: [osUser('acme-support')] } });

    // Act
    const rules = await ledger.getRules(['sg-1|tcp|22|22|203.0.113.0/24', 'sg-1|tcp|443|443|203.0.113.0/24']);
    const holders = await ledger.osUserHolders(['acme-support']);

    // Assess
    expect([...rules.keys()]).toEqual(['sg-1|tcp|22|22|203.0.113.0/24', 'sg-1|tcp|443|443|203.0.113.0/24']);
    expect([...holders.keys()]).toEqual(['acme-support']);
    const calls = dynamodb.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(4);
    expect(calls[1]?.args[0].input.RequestItems?.ledger?.Keys).toEqual([
      { pk: 'RULE#sg-1|tcp|443|443|203.0.113.0/24', sk: 'RULE' },
    ]);
  });
});
