/**
 * What DynamoDB does that moto does not, played with a mocked client against the real DynamoLedger: a transaction
 * cancelled for a conflict and a failed condition together, errors that only look like a cancellation, a grant whose
 * history needs more than one transaction, a revoke too large for one, and calls the ledger must not make at all
 * (empty inputs). The requests are compared whole: an expression or a chunk size that changes fails here.
 */
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoLedger } from '../../lambdas/adapters/ledger';
import type { HistoryEntry } from '../../lambdas/domain/types';
import { cancellationError as failure } from '../helpers/fake-aws';
import { pendingGrant } from '../helpers/ledger-table';

const ENTRY: HistoryEntry = { at: '2030-03-01T09:00:00.000Z', actor: 'workflow', event: 'approved' };
const GRANT = 'g-boundary0001';

const ruleKeys = (count: number) =>
  Array.from({ length: count }, (_, i) => `sg-0aaaaaaaaaaaaaaa1|tcp|${1000 + i}|${1000 + i}|203.0.113.0/24`);

describe('the ledger against what DynamoDB answers and moto does not', () => {
  const dynamodb = mockClient(DynamoDBDocumentClient);
  const ledger = new DynamoLedger('ledger', { region: 'eu-west-1', maxAttempts: 1 });
  const transactions = () =>
    dynamodb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input as TransactWriteCommandInput);

  afterEach(() => dynamodb.reset());
  afterAll(() => dynamodb.restore());

  describe('telling a failed condition from a conflict and from other errors', () => {
    it('answers false at once when a cancellation names a failed condition beside a conflict: trying again cannot help', async () => {
      // Prepare
      dynamodb
        .on(TransactWriteCommand)
        .rejects(failure('TransactionCanceledException', 'TransactionConflict', 'ConditionalCheckFailed'));

      // Act
      const moved = await ledger.transition(GRANT, ['PENDING'], 'APPROVED', ENTRY);

      // Assess
      expect(moved).toBe(false);
      expect(transactions()).toHaveLength(1);
    });

    it.each([
      ['a cancellation without reasons', failure('TransactionCanceledException')],
      ['a cancellation for capacity', failure('TransactionCanceledException', 'ProvisionedThroughputExceeded', 'None')],
      ['another error carrying a failed condition', failure('ValidationException', 'ConditionalCheckFailed')],
      ['another error carrying a conflict', failure('InternalServerError', 'TransactionConflict')],
    ])('lets %s through, after one attempt, instead of answering false', async (_, error) => {
      // Prepare
      dynamodb.on(TransactWriteCommand).rejects(error);

      // Act
      const outcome = ledger.transition(GRANT, ['PENDING'], 'APPROVED', ENTRY);

      // Assess
      await expect(outcome).rejects.toBe(error);
      expect(transactions()).toHaveLength(1);
    });

    it('lets an error that is not a failed condition through from a revoke’s one-write start', async () => {
      // Prepare
      const error = failure('ValidationException', 'ConditionalCheckFailed');
      dynamodb.on(TransactWriteCommand).rejects(error);

      // Act
      const outcome = ledger.startRevoke(GRANT, ['ACTIVE'], 'REVOKING', ENTRY, {}, { ruleIds: new Map() });

      // Assess
      await expect(outcome).rejects.toBe(error);
    });

    it('answers false from a revoke’s one-write start when a rule is no longer this grant’s alone', async () => {
      // Prepare
      dynamodb
        .on(TransactWriteCommand)
        .rejects(failure('TransactionCanceledException', 'None', 'ConditionalCheckFailed'));

      // Act
      const started = await ledger.startRevoke(
        GRANT,
        ['ACTIVE'],
        'REVOKING',
        ENTRY,
        {},
        {
          ruleIds: new Map([[ruleKeys(1)[0] as string, 'sgr-1']]),
        },
      );

      // Assess
      expect(started).toBe(false);
    });
  });

  describe('recording a grant', () => {
    it('writes a long history in transactions of at most 100 items: the grant with 99 entries, then 99 entries at a time', async () => {
      // Prepare
      const template = await pendingGrant(GRANT);
      const history = Array.from({ length: 250 }, (_, i) => ({ ...ENTRY, event: `event ${i}` }));
      dynamodb.on(TransactWriteCommand).resolves({});

      // Act
      const outcome = await ledger.createGrant({ ...template, history }, 'token-1');

      // Assess
      expect(outcome).toBe('created');
      const written = transactions().map((input) => input.TransactItems ?? []);
      expect(written.map((items) => items.length)).toEqual([100, 99, 52]);
      expect(written[0]?.[0]?.Put).toMatchObject({
        Item: { pk: `GRANT#${GRANT}`, sk: 'GRANT', taskToken: 'token-1' },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      const events = written.flat().flatMap((item) => (item.Put?.Item?.entry ? [item.Put.Item.entry.event] : []));
      expect(events).toEqual(history.map((entry) => entry.event));
    });

    it('replaces the task token of a grant already recorded and still PENDING, when the token differs', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).rejects(failure('TransactionCanceledException', 'ConditionalCheckFailed'));
      dynamodb.on(UpdateCommand).resolves({});

      // Act
      const outcome = await ledger.createGrant(await pendingGrant(GRANT), 'token-2');

      // Assess
      expect(outcome).toBe('token-replaced');
      expect(dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: 'ledger',
          Key: { pk: `GRANT#${GRANT}`, sk: 'GRANT' },
          UpdateExpression: 'SET taskToken = :token',
          ConditionExpression: '#status = :pending AND taskToken <> :token',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': 'token-2', ':pending': 'PENDING' },
        },
      ]);
    });

    it.each([
      ['without a task token, nothing more is written', undefined, 0],
      ['with the same token or past PENDING, the failed condition leaves it as it is', 'token-1', 1],
    ])('answers unchanged for a grant already recorded: %s', async (_, token, updates) => {
      // Prepare
      dynamodb.on(TransactWriteCommand).rejects(failure('TransactionCanceledException', 'ConditionalCheckFailed'));
      dynamodb.on(UpdateCommand).rejects(failure('ConditionalCheckFailedException'));

      // Act
      const outcome = await ledger.createGrant(await pendingGrant(GRANT), token);

      // Assess
      expect(outcome).toBe('unchanged');
      expect(dynamodb.commandCalls(UpdateCommand)).toHaveLength(updates);
    });

    it('lets any other failure of the first write or of the token’s replacement through', async () => {
      // Prepare
      const throttled = failure('ThrottlingException');
      const denied = failure('AccessDeniedException');
      dynamodb
        .on(TransactWriteCommand)
        .rejectsOnce(throttled)
        .rejects(failure('TransactionCanceledException', 'ConditionalCheckFailed'));
      dynamodb.on(UpdateCommand).rejects(denied);
      const grant = await pendingGrant(GRANT);

      // Act
      const first = ledger.createGrant(grant, 'token-3');
      await expect(first).rejects.toBe(throttled);
      const second = ledger.createGrant(grant, 'token-3');

      // Assess
      await expect(second).rejects.toBe(denied);
    });

    it('records the resources created, each under its own name, and only those given', async () => {
      // Prepare
      dynamodb.on(UpdateCommand).resolves({});

      // Act
      await ledger.recordCreated(GRANT, {
        roleArn: 'arn:aws:iam::111122223333:role/jit/jit-g-boundary0001',
        inlinePolicyName: undefined,
        scheduleArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/jit/jit-g-boundary0001',
      });

      // Assess
      expect(dynamodb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: 'ledger',
          Key: { pk: `GRANT#${GRANT}`, sk: 'GRANT' },
          UpdateExpression: 'SET created.#c_roleArn = :c_roleArn, created.#c_scheduleArn = :c_scheduleArn',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#c_roleArn': 'roleArn', '#c_scheduleArn': 'scheduleArn' },
          ExpressionAttributeValues: {
            ':c_roleArn': 'arn:aws:iam::111122223333:role/jit/jit-g-boundary0001',
            ':c_scheduleArn': 'arn:aws:scheduler:eu-west-1:111122223333:schedule/jit/jit-g-boundary0001',
          },
        },
      ]);
    });
  });

  describe('a revoke’s one-write start', () => {
    const hold = { osUser: 'acme-support', reach: ['web|i-0aaaaaaaaaaaaaaa1'] };

    it('fits exactly 100 items in its one transaction: the status, its entry, 97 rules and the OS user', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});
      const ruleIds = new Map(ruleKeys(97).map((key, i) => [key, `sgr-${i}`]));

      // Act
      const started = await ledger.startRevoke(GRANT, ['ACTIVE'], 'REVOKING', ENTRY, {}, { ruleIds, hold });

      // Assess
      expect(started).toBe(true);
      const items = transactions()[0]?.TransactItems ?? [];
      expect(items).toHaveLength(100);
      expect(items[99]?.Delete).toEqual({
        TableName: 'ledger',
        Key: { pk: 'OSUSER#acme-support', sk: 'OSUSER' },
        ConditionExpression: 'size(holders) = :one AND contains(holders, :me)',
        ExpressionAttributeValues: { ':one': 1, ':me': GRANT },
      });
    });

    it('answers false without writing when it would need 101 items, so the revoke goes step by step', async () => {
      // Prepare
      const ruleIds = new Map(ruleKeys(98).map((key, i) => [key, `sgr-${i}`]));

      // Act
      const started = await ledger.startRevoke(GRANT, ['ACTIVE'], 'REVOKING', ENTRY, {}, { ruleIds, hold });

      // Assess
      expect(started).toBe(false);
      expect(transactions()).toHaveLength(0);
    });
  });

  describe('empty inputs cost no call', () => {
    it('makes no call to record nothing created, hold no rules, read no keys or release no rules', async () => {
      // Act
      await ledger.recordCreated(GRANT, {});
      await ledger.recordCreated(GRANT, { roleArn: undefined });
      const acquired = await ledger.acquireRules([], GRANT);
      const read = await ledger.getRules([]);
      const holders = await ledger.osUserHolders([]);
      const released = await ledger.releaseRules([], GRANT, new Map());

      // Assess
      expect([acquired.size, read.size, holders.size]).toEqual([0, 0, 0]);
      expect(released).toEqual({ released: [], kept: [] });
      expect(dynamodb.calls()).toHaveLength(0);
    });

    it('still records the OS user’s hold for a grant with no rules, in one write and no read', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});

      // Act
      const acquired = await ledger.acquireRules([], GRANT, { osUser: 'acme-support', reach: ['web|*'] });

      // Assess
      expect(acquired.size).toBe(0);
      expect(transactions().map((input) => input.TransactItems?.map((item) => item.Update?.Key))).toEqual([
        [{ pk: 'OSUSER#acme-support', sk: 'OSUSER' }],
      ]);
      expect(dynamodb.commandCalls(BatchGetCommand)).toHaveLength(0);
    });
  });

  describe('reads and writes DynamoDB takes as moto does not check them', () => {
    it('reads every item it decides on strongly consistently (moto is always consistent; DynamoDB is not unless asked)', async () => {
      // Prepare
      dynamodb.on(QueryCommand).resolves({ Items: [] });
      dynamodb.on(GetCommand).resolves({});
      dynamodb.on(BatchGetCommand).resolves({ Responses: { ledger: [] } });

      // Act
      await ledger.getGrant(GRANT);
      await ledger.listVotes(GRANT);
      await ledger.vendorStates();
      await ledger.getTaskToken(GRANT);
      await ledger.getRule(ruleKeys(1)[0] as string);
      await ledger.getRules(ruleKeys(1));
      await ledger.vendorHistory('acme');
      await ledger.attemptsBetween('acme', '2030-03-01T00:00:00.000Z', '2030-03-02T00:00:00.000Z');
      await ledger.reviewsDueBy('2030-03-02T00:00:00.000Z');

      // Assess
      const queries = dynamodb.commandCalls(QueryCommand).map((call) => call.args[0].input.ConsistentRead);
      const gets = dynamodb.commandCalls(GetCommand).map((call) => call.args[0].input.ConsistentRead);
      const batches = dynamodb
        .commandCalls(BatchGetCommand)
        .map((call) => call.args[0].input.RequestItems?.ledger?.ConsistentRead);
      expect({ queries, gets, batches }).toEqual({
        queries: [true, true, true, true, true],
        gets: [true, true, true],
        batches: [true],
      });
    });

    it('keeps the optional comment of a vote only when one was written', async () => {
      // Prepare
      const vote = { person: 'bob', arn: 'arn:aws:iam::111122223333:user/bob', decision: 'approve', at: ENTRY.at };
      dynamodb.on(QueryCommand).resolves({
        Items: [
          { ...vote, planHash: 'sha256:a', comment: 'checked the ticket' },
          { ...vote, person: 'carol', planHash: 'sha256:a' },
        ],
      });

      // Act
      const votes = await ledger.listVotes(GRANT);

      // Assess
      expect(votes).toStrictEqual([
        { ...vote, planHash: 'sha256:a', comment: 'checked the ticket' },
        { ...vote, person: 'carol', planHash: 'sha256:a' },
      ]);
    });

    it('appends a history entry with the update’s fields named, and with no names when there is no update', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});

      // Act
      await ledger.appendHistory(GRANT, ENTRY);
      await ledger.appendHistory(GRANT, ENTRY, { expiresAt: '2030-03-01T10:00:00.000Z', revokeReason: undefined });

      // Assess
      expect(transactions().map((input) => input.TransactItems?.[0]?.Update)).toEqual([
        {
          TableName: 'ledger',
          Key: { pk: `GRANT#${GRANT}`, sk: 'GRANT' },
          UpdateExpression: 'SET updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': ENTRY.at },
        },
        {
          TableName: 'ledger',
          Key: { pk: `GRANT#${GRANT}`, sk: 'GRANT' },
          UpdateExpression: 'SET updatedAt = :at, #u_expiresAt = :u_expiresAt',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#u_expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':at': ENTRY.at, ':u_expiresAt': '2030-03-01T10:00:00.000Z' },
        },
      ]);
    });

    it('names the grant a history entry was refused for, as a failed condition', async () => {
      // Prepare
      dynamodb
        .on(TransactWriteCommand)
        .rejects(failure('TransactionCanceledException', 'ConditionalCheckFailed', 'None'));

      // Act
      const outcome = ledger.appendHistory(GRANT, ENTRY);

      // Assess
      await expect(outcome).rejects.toMatchObject({
        name: 'ConditionalCheckFailedException',
        message: `The conditional request failed: no grant ${GRANT}`,
      });
    });

    it('forgets the task token of a grant that is gone without error, and lets any other failure through', async () => {
      // Prepare
      const throttled = failure('ThrottlingException');
      dynamodb.on(UpdateCommand).rejectsOnce(failure('ConditionalCheckFailedException')).rejectsOnce(throttled);

      // Act
      await ledger.forgetTaskToken(GRANT);
      const second = ledger.forgetTaskToken(GRANT);

      // Assess
      await expect(second).rejects.toBe(throttled);
      expect(dynamodb.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
        TableName: 'ledger',
        Key: { pk: `GRANT#${GRANT}`, sk: 'GRANT' },
        UpdateExpression: 'REMOVE taskToken',
        ConditionExpression: 'attribute_exists(pk)',
      });
    });

    it('names every attribute of a vendor’s state it sets', async () => {
      // Prepare
      dynamodb.on(UpdateCommand).resolves({});
      const state = { vendorId: 'acme', disabled: true, reason: 'contract paused', actor: 'erin', at: ENTRY.at };

      // Act
      await ledger.setVendorState(state);

      // Assess
      const input = dynamodb.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(input?.ExpressionAttributeNames).toEqual({
        '#vendorId': 'vendorId',
        '#disabled': 'disabled',
        '#reason': 'reason',
        '#actor': 'actor',
        '#at': 'at',
        '#history': 'history',
      });
      expect(input?.ExpressionAttributeValues).toEqual({
        ':vendorId': 'acme',
        ':disabled': true,
        ':reason': 'contract paused',
        ':actor': 'erin',
        ':at': ENTRY.at,
        ':none': [],
        ':entry': [state],
      });
    });
  });

  describe('releasing rules', () => {
    it('releases rules it holds alone in one write without reading them, when it knows every rule id', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});
      const [first, second] = ruleKeys(2) as [string, string];

      // Act
      const outcome = await ledger.releaseRules(
        [first, second],
        GRANT,
        new Map([
          [first, 'sgr-1'],
          [second, 'sgr-2'],
        ]),
      );

      // Assess
      expect(outcome).toEqual({
        released: [
          { key: first, ruleId: 'sgr-1' },
          { key: second, ruleId: 'sgr-2' },
        ],
        kept: [],
      });
      expect(dynamodb.commandCalls(BatchGetCommand)).toHaveLength(0);
      expect(transactions()[0]?.TransactItems?.[0]?.Delete).toEqual({
        TableName: 'ledger',
        Key: { pk: `RULE#${first}`, sk: 'RULE' },
        ConditionExpression: 'size(holders) = :one AND contains(holders, :me)',
        ExpressionAttributeValues: { ':one': 1, ':me': GRANT },
      });
    });

    it('releases exactly 100 rules it holds alone in one write, and lets a failure other than a condition through unread', async () => {
      // Prepare
      const keys = ruleKeys(100);
      const throttled = failure('ThrottlingException');
      dynamodb.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(throttled);
      const ids = new Map(keys.map((key, i) => [key, `sgr-${i}`]));

      // Act
      const first = await ledger.releaseRules(keys, GRANT, ids);
      const second = ledger.releaseRules(keys, GRANT, ids);

      // Assess
      await expect(second).rejects.toBe(throttled);
      expect(first.released).toHaveLength(100);
      expect(transactions().map((input) => input.TransactItems?.length)).toEqual([100, 100]);
      expect(dynamodb.commandCalls(BatchGetCommand)).toHaveLength(0);
    });

    it('reads the holders first when a rule id is unknown or there are more than 100 rules', async () => {
      // Prepare
      dynamodb.on(TransactWriteCommand).resolves({});
      dynamodb.on(BatchGetCommand).resolves({ Responses: { ledger: [] } });
      const many = ruleKeys(101);

      // Act
      await ledger.releaseRules(ruleKeys(2), GRANT, new Map([[ruleKeys(1)[0] as string, 'sgr-1']]));
      await ledger.releaseRules(many, GRANT, new Map(many.map((key, i) => [key, `sgr-${i}`])));

      // Assess
      expect(
        dynamodb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.ledger?.Keys?.length),
      ).toEqual([2, 100, 1]);
      expect(transactions()).toHaveLength(0);
    });

    it('reads the holders after the one write fails its condition, and lets any other failure through', async () => {
      // Prepare
      const [key] = ruleKeys(1) as [string];
      const throttled = failure('ThrottlingException');
      dynamodb
        .on(TransactWriteCommand)
        .rejectsOnce(failure('TransactionCanceledException', 'ConditionalCheckFailed'))
        .rejectsOnce(throttled);
      dynamodb.on(BatchGetCommand).resolves({
        Responses: { ledger: [{ pk: `RULE#${key}`, sk: 'RULE', holders: new Set([GRANT, 'g-other0000001']) }] },
      });

      // Act
      const outcome = ledger.releaseRules([key], GRANT, new Map([[key, 'sgr-1']]));

      // Assess
      await expect(outcome).rejects.toBe(throttled);
      expect(dynamodb.commandCalls(BatchGetCommand)).toHaveLength(1);
      expect(transactions()[1]?.TransactItems).toEqual([
        {
          Update: {
            TableName: 'ledger',
            Key: { pk: `RULE#${key}`, sk: 'RULE' },
            UpdateExpression: 'DELETE holders :grant',
            ConditionExpression: 'contains(holders, :me) AND size(holders) = :size',
            ExpressionAttributeValues: { ':grant': new Set([GRANT]), ':me': GRANT, ':size': 2 },
          },
        },
      ]);
    });
  });
});
