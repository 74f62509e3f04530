/**
 * The real DynamoLedger on local AWS keeps the temporary ingress rules and OS users that grants share as holder sets:
 * DynamoDB itself evaluates the conditions that keep a rule open while another grant holds it, and refuses a release
 * whose read went stale (another grant acquired the rule in between), which the ledger then reads and tries again.
 */
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoLedger } from '../../lambdas/adapters/ledger';
import type { IngressRule } from '../../lambdas/domain/types';
import { createLedgerTable } from '../helpers/ledger-table';
import { localClientConfig } from '../helpers/local-aws-clients';

const TABLE = `ledger-rules-${process.pid}-${Date.now()}`;

const SSH: IngressRule = {
  securityGroupId: 'sg-0b1111111111111111',
  protocol: 'tcp',
  fromPort: 22,
  toPort: 22,
  cidr: '203.0.113.0/24',
};
const HTTPS: IngressRule = { ...SSH, fromPort: 443, toPort: 443 };

describe('ingress rule holdings on the real ledger (local AWS)', () => {
  const dynamodb = new DynamoDBClient(localClientConfig());
  const ledger = new DynamoLedger(TABLE, { ...localClientConfig(), maxAttempts: 1 });
  /** Another grant's Lambda: its own ledger and client on the same table. */
  const other = new DynamoLedger(TABLE, { ...localClientConfig(), maxAttempts: 1 });

  beforeAll(() => createLedgerTable(dynamodb, TABLE));
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: TABLE }));
    dynamodb.destroy();
  });

  async function storedRule(key: string): Promise<Record<string, unknown> | undefined> {
    const result = await dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: marshall({ pk: `RULE#${key}`, sk: 'RULE' }), ConsistentRead: true }),
    );
    return result.Item ? unmarshall(result.Item) : undefined;
  }

  /**
   * Records the name of every command the ledgers send, and runs `before` ahead of each of the first `times`
   * transactions: another writer that changes an item between the ledger's read and its write.
   */
  function beforeTransactions(times: number, before: (n: number) => Promise<unknown>): { sent: string[] } {
    const counter = { sent: [] as string[] };
    const send = DynamoDBDocumentClient.prototype.send;
    jest.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(async function (
      this: DynamoDBDocumentClient,
      command: Parameters<DynamoDBDocumentClient['send']>[0],
    ) {
      counter.sent.push(command.constructor.name);
      const transactions = counter.sent.filter((name) => name === 'TransactWriteCommand').length;
      if (command instanceof TransactWriteCommand && transactions <= times) await before(transactions);
      return Reflect.apply(send, this, [command]) as never;
    } as never);
    return counter;
  }

  it('acquires a rule for each grant that asks, once each: the holders grow, the rule the first holder wrote stays', async () => {
    // Prepare
    const key = 'acquire|sg-0b1111111111111111|tcp|22';

    // Act
    const first = await ledger.acquireRule(SSH, key, 'g-acquire00001');
    const second = await ledger.acquireRule(HTTPS, key, 'g-acquire00002');
    const again = await ledger.acquireRule(HTTPS, key, 'g-acquire00001');

    // Assess
    expect(first).toEqual({ holders: ['g-acquire00001'] });
    expect([...second.holders].sort()).toEqual(['g-acquire00001', 'g-acquire00002']);
    expect(second).not.toHaveProperty('ruleId');
    expect([...again.holders].sort()).toEqual(['g-acquire00001', 'g-acquire00002']);
    expect(await storedRule(key)).toEqual({
      pk: `RULE#${key}`,
      sk: 'RULE',
      holders: new Set(['g-acquire00001', 'g-acquire00002']),
      rule: SSH,
    });
  });

  it('records the id of an opened rule and reads the holding back with it', async () => {
    // Prepare
    const key = 'rule-id|sg-0b1111111111111111|tcp|22';
    await ledger.acquireRule(SSH, key, 'g-ruleid000001');

    // Act
    await ledger.setRuleId(key, 'sgr-0123456789abcdef0');
    const holding = await ledger.getRule(key);

    // Assess
    expect(holding).toEqual({ holders: ['g-ruleid000001'], ruleId: 'sgr-0123456789abcdef0' });
  });

  it('reads no holding for a rule nobody acquired', async () => {
    // Act
    const holding = await ledger.getRule('never|sg-0b1111111111111111|tcp|22');

    // Assess
    expect(holding).toBeUndefined();
  });

  it('releases one holder at a time, answering who still holds the rule, then forgets the rule nobody holds', async () => {
    // Prepare
    const key = 'release|sg-0b1111111111111111|tcp|22';
    await ledger.acquireRule(SSH, key, 'g-release00001');
    await ledger.acquireRule(SSH, key, 'g-release00002');
    await ledger.setRuleId(key, 'sgr-0000000000000000a');

    // Act
    const afterFirst = await ledger.releaseRule(key, 'g-release00001');
    const afterLast = await ledger.releaseRule(key, 'g-release00002');
    const forgotten = await ledger.forgetRuleIfUnheld(key);

    // Assess
    expect(afterFirst).toEqual({ holders: ['g-release00002'], ruleId: 'sgr-0000000000000000a' });
    expect(afterLast).toEqual({ holders: [], ruleId: 'sgr-0000000000000000a' });
    expect(forgotten).toBe(true);
    expect(await storedRule(key)).toBeUndefined();
  });

  it('releases a rule that has no record as no holding, without creating one', async () => {
    // Prepare
    const key = 'release-missing|sg-0b1111111111111111|tcp|22';

    // Act
    const holding = await ledger.releaseRule(key, 'g-release00003');

    // Assess
    expect(holding).toBeUndefined();
    expect(await storedRule(key)).toBeUndefined();
  });

  it('keeps a rule someone still holds: DynamoDB refuses to forget it', async () => {
    // Prepare
    const key = 'forget-held|sg-0b1111111111111111|tcp|22';
    await ledger.acquireRule(SSH, key, 'g-forget000001');

    // Act
    const forgotten = await ledger.forgetRuleIfUnheld(key);

    // Assess
    expect(forgotten).toBe(false);
    expect(await ledger.getRule(key)).toEqual({ holders: ['g-forget000001'] });
  });

  it('releases the rules a grant held alone in one write when it knows their ids', async () => {
    // Prepare
    const ssh = 'fast|sg-0b1111111111111111|tcp|22';
    const https = 'fast|sg-0b1111111111111111|tcp|443';
    await ledger.acquireRules(
      [
        { key: ssh, rule: SSH },
        { key: https, rule: HTTPS },
      ],
      'g-fastrel00001',
    );
    const ruleIds = new Map([
      [ssh, 'sgr-00000000000000001'],
      [https, 'sgr-00000000000000002'],
    ]);
    await ledger.setRuleIds(ruleIds);
    const sent = beforeTransactions(0, async () => undefined);

    // Act
    const result = await ledger.releaseRules([ssh, https], 'g-fastrel00001', ruleIds);

    // Assess
    expect(result).toEqual({
      released: [
        { key: ssh, ruleId: 'sgr-00000000000000001' },
        { key: https, ruleId: 'sgr-00000000000000002' },
      ],
      kept: [],
    });
    expect(sent.sent).toEqual(['TransactWriteCommand']);
    expect(await ledger.getRules([ssh, https])).toEqual(new Map());
  });

  it('falls back to reading when a rule is shared: the shared one is kept for its other holder', async () => {
    // Prepare
    const alone = 'shared|sg-0b1111111111111111|tcp|22';
    const shared = 'shared|sg-0b1111111111111111|tcp|443';
    await ledger.acquireRules(
      [
        { key: alone, rule: SSH },
        { key: shared, rule: HTTPS },
      ],
      'g-sharedrel001',
    );
    await other.acquireRule(HTTPS, shared, 'g-sharedrel002');
    const ruleIds = new Map([
      [alone, 'sgr-00000000000000003'],
      [shared, 'sgr-00000000000000004'],
    ]);
    await ledger.setRuleIds(ruleIds);

    // Act
    const result = await ledger.releaseRules([alone, shared], 'g-sharedrel001', ruleIds);

    // Assess
    expect(result).toEqual({
      released: [{ key: alone, ruleId: 'sgr-00000000000000003' }],
      kept: [{ key: shared, holders: ['g-sharedrel002'] }],
    });
    expect(await ledger.getRules([alone, shared])).toEqual(
      new Map([[shared, { holders: ['g-sharedrel002'], ruleId: 'sgr-00000000000000004' }]]),
    );
  });

  it('releases a rule with no record, one whose holders are gone and one with no id as released, each as found', async () => {
    // Prepare
    const missing = 'unheld|sg-0b1111111111111111|tcp|22';
    const empty = 'unheld|sg-0b1111111111111111|tcp|443';
    const noId = 'unheld|sg-0b1111111111111111|tcp|8443';
    await ledger.acquireRule(HTTPS, empty, 'g-unheld000001');
    await ledger.acquireRule(HTTPS, noId, 'g-unheld000001');
    await ledger.setRuleId(empty, 'sgr-00000000000000005');
    await ledger.releaseRule(empty, 'g-unheld000001');

    // Act
    const result = await ledger.releaseRules([missing, empty, noId], 'g-unheld000001');

    // Assess
    expect(result).toStrictEqual({
      released: [{ key: missing }, { key: empty, ruleId: 'sgr-00000000000000005' }, { key: noId }],
      kept: [],
    });
    expect(await storedRule(empty)).toBeUndefined();
    expect(await storedRule(noId)).toBeUndefined();
    expect(await storedRule(missing)).toBeUndefined();
  });

  it('leaves a rule it holds no more to the grants that do, and writes nothing', async () => {
    // Prepare
    const key = 'not-mine|sg-0b1111111111111111|tcp|22';
    await other.acquireRule(SSH, key, 'g-notmine00002');
    const sent = beforeTransactions(0, async () => undefined);

    // Act
    const result = await ledger.releaseRules([key], 'g-notmine00001');

    // Assess
    expect(result).toEqual({ released: [], kept: [{ key, holders: ['g-notmine00002'] }] });
    expect(sent.sent).toEqual(['BatchGetCommand']);
    expect(await ledger.getRule(key)).toEqual({ holders: ['g-notmine00002'] });
  });

  it('reads again when another grant acquires the rule between the read and the write, and keeps it for them', async () => {
    // Prepare
    const key = 'raced|sg-0b1111111111111111|tcp|22';
    await ledger.acquireRule(SSH, key, 'g-raced0000001');
    await ledger.setRuleId(key, 'sgr-00000000000000006');
    const sent = beforeTransactions(1, () => other.acquireRule(SSH, key, 'g-raced0000002'));

    // Act
    const result = await ledger.releaseRules([key], 'g-raced0000001');

    // Assess
    expect(result).toEqual({ released: [], kept: [{ key, holders: ['g-raced0000002'] }] });
    // The other grant's acquire (UpdateCommand) comes between the first read and its write.
    expect(sent.sent).toEqual([
      'BatchGetCommand',
      'TransactWriteCommand',
      'UpdateCommand',
      'BatchGetCommand',
      'TransactWriteCommand',
    ]);
    expect(await ledger.getRule(key)).toEqual({ holders: ['g-raced0000002'], ruleId: 'sgr-00000000000000006' });
  });

  it('gives up after three stale reads in a row and lets DynamoDB’s refusal through, having released nothing', async () => {
    // Prepare
    const key = 'stale|sg-0b1111111111111111|tcp|22';
    await ledger.acquireRule(SSH, key, 'g-stale0000001');
    const sent = beforeTransactions(3, (n) => other.acquireRule(SSH, key, `g-stale000000${n + 1}`));

    // Act
    const error = await ledger.releaseRules([key], 'g-stale0000001').catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [expect.objectContaining({ Code: 'ConditionalCheckFailed' })],
    });
    expect(sent.sent.filter((name) => name === 'TransactWriteCommand')).toHaveLength(3);
    expect([...((await ledger.getRule(key))?.holders ?? [])].sort()).toEqual([
      'g-stale0000001',
      'g-stale0000002',
      'g-stale0000003',
      'g-stale0000004',
    ]);
  });

  it('releases an OS user nobody holds as no holders, without creating its record', async () => {
    // Act
    const holders = await ledger.releaseOsUser(
      { osUser: 'nobody-holds', reach: ['i-0aaaaaaaaaaaaaaa1'] },
      'g-osuser000001',
    );

    // Assess
    expect(holders).toEqual({});
    expect(await ledger.osUserHolders(['nobody-holds'])).toEqual(new Map());
  });

  it('releases one holder of a shared OS user and answers the other with its reach', async () => {
    // Prepare
    await ledger.acquireRules([], 'g-osuser000002', { osUser: 'shared-user', reach: ['i-0aaaaaaaaaaaaaaa1'] });
    await other.acquireRules([], 'g-osuser000003', { osUser: 'shared-user', reach: ['i-0bbbbbbbbbbbbbbb2'] });

    // Act
    const holders = await ledger.releaseOsUser(
      { osUser: 'shared-user', reach: ['i-0aaaaaaaaaaaaaaa1'] },
      'g-osuser000002',
    );

    // Assess
    expect(holders).toEqual({ 'g-osuser000003': ['i-0bbbbbbbbbbbbbbb2'] });
  });
});
