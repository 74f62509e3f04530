/**
 * The handler tests that rest on the ledger's condition expressions, run over both ledgers: the in-memory one the
 * unit tests use, and the real DynamoLedger on local AWS (moto), so DynamoDB itself evaluates one vote per person,
 * the conditional status transitions, the rule holder sets and the task token's removal. The other AWS services are
 * the fakes of the unit tests.
 */
import { DynamoDBClient, CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { randomBytes } from 'node:crypto';
import { DynamoLedger, type Ledger } from '../../lambdas/adapters/ledger';
import { ingressRuleKey } from '../../lambdas/domain/planner';
import { LedgerTable } from '../../lib/constructs/ledger-table';
import type { CfnResource } from '../../scripts/local-aws/synthesized-stack';
import { ledgerTableInput } from '../../scripts/local-aws/local-world';
import type { ErrorBody } from '../handlers/api/support';
import {
  ALICE,
  BILLING_2,
  BILLING_SG,
  BOB,
  CAROL,
  callApi,
  createHarness,
  rejectionOf,
  requestInput,
  seedActive,
  seedApproved,
  seedPending,
  statusOf,
  taskTokenFor,
  type Harness,
} from '../helpers/handler-deps';
import { InMemoryLedger } from '../helpers/in-memory-ledger';
import { localClientConfig } from '../helpers/local-aws-clients';
import { scratchApp } from '../helpers/scratch-app';

const EXPIRES_AT = '2030-03-01T10:00:00.000Z';

/**
 * The stack's own ledger construct, synthesized alone (the whole stack would bundle every function): the table is
 * created with the keys and indexes it declares.
 */
let resources: Record<string, CfnResource> = {};
beforeAll(() => {
  const stack = new Stack(scratchApp(), 'LedgerOnly');
  new LedgerTable(stack, 'Ledger');
  resources = (Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResource> }).Resources;
});

/**
 * A table of its own for each test: every grant of these tests opens the same rules (same group, ports and CIDRs),
 * and a holding left by another test's grant would be shared with it.
 */
async function newLedgerTable(): Promise<string> {
  const tableName = `jit-ledger-handlers-${randomBytes(4).toString('hex')}`;
  const dynamodb = new DynamoDBClient(localClientConfig());
  await dynamodb
    .send(new CreateTableCommand(ledgerTableInput({ resources }, tableName)))
    .finally(() => dynamodb.destroy());
  return tableName;
}

const dynamoLedger = (tableName: string) => new DynamoLedger(tableName, { ...localClientConfig(), maxAttempts: 3 });

/**
 * Whether the ledger may be driven by two transactions at once. moto's is not: when a transaction fails its condition,
 * moto puts back a copy of the whole table taken before it ran, which can erase a transaction that committed
 * meanwhile (DynamoDB itself isolates them). The race of two last votes is proven on the in-memory ledger here and on
 * the DynamoLedger's own requests with a mocked client (test/adapters/ledger-transactions.test.ts); on moto the two
 * votes come one after the other.
 */
const LEDGERS: readonly (readonly [string, () => Promise<Ledger>, { readonly concurrentWrites: boolean }])[] = [
  ['the in-memory ledger', async () => new InMemoryLedger(), { concurrentWrites: true }],
  ['DynamoLedger on local AWS', async () => dynamoLedger(await newLedgerTable()), { concurrentWrites: false }],
];

describe.each(LEDGERS)('handlers over %s', (_, makeLedger, { concurrentWrites }) => {
  let h: Harness<Ledger>;
  /** Grant ids are unique to each test: every test of the file shares the table. */
  let grantId: string;
  beforeEach(async () => {
    h = createHarness({ ledger: await makeLedger() });
    grantId = `g-${randomBytes(6).toString('hex')}`;
  });
  afterEach(() => h.restore());

  const approve = (caller = ALICE, id = grantId) =>
    callApi(h, 'approve', caller, { params: { grantId: id }, body: {} });
  const deny = (caller = ALICE) =>
    callApi(h, 'deny', caller, { params: { grantId }, body: { reason: 'no change window' } });
  const revokeAtExpiry = (id = grantId) => {
    h.clock.set(EXPIRES_AT);
    return h.handlers.revoke({ grantId: id, reason: 'expiry' });
  };

  describe('votes', () => {
    it('counts one vote per person: a second vote of the same approver is refused and not recorded', async () => {
      // Prepare
      await seedPending(h, grantId);
      await approve(ALICE);

      // Act
      const again = await approve(ALICE);

      // Assess
      expect(again.status).toBe(409);
      expect((again.body as ErrorBody).error.code).toBe('DUPLICATE_VOTE');
      expect((await h.ledger.listVotes(grantId)).map((v) => v.person)).toEqual(['alice']);
      expect(await statusOf(h, grantId)).toBe('PENDING');
    });

    if (concurrentWrites) {
      it('sends exactly one SendTaskSuccess when the last two votes arrive at once', async () => {
        // Prepare
        await seedPending(h, grantId);
        await approve(ALICE);

        // Act
        const answers = await Promise.all([approve(BOB), approve(CAROL)]);

        // Assess
        expect(answers.map((a) => a.status)).toEqual([200, 200]);
        expect(h.aws.taskCallbacks.map((c) => c.kind)).toEqual(['success']);
        expect(await statusOf(h, grantId)).toBe('APPROVED');
        expect((await h.ledger.listVotes(grantId)).map((v) => v.person)).toEqual(['alice', 'bob', 'carol']);
      });
    } else {
      it('sends exactly one SendTaskSuccess: the vote after the approving one is refused and not recorded', async () => {
        // Prepare
        await seedPending(h, grantId);
        await approve(ALICE);
        await approve(BOB);

        // Act
        const late = await approve(CAROL);

        // Assess
        expect(late.status).toBe(409);
        expect(h.aws.taskCallbacks.map((c) => c.kind)).toEqual(['success']);
        expect(await statusOf(h, grantId)).toBe('APPROVED');
        expect((await h.ledger.listVotes(grantId)).map((v) => v.person)).toEqual(['alice', 'bob']);
      });
    }

    it('a deny after the approval is refused: APPROVED never goes back to DENIED', async () => {
      // Prepare
      await seedApproved(h, grantId);

      // Act
      const denied = await deny(CAROL);

      // Assess
      expect(denied.status).toBe(409);
      expect((denied.body as ErrorBody).error.code).toBe('NOT_PENDING');
      expect(await statusOf(h, grantId)).toBe('APPROVED');
      expect(h.aws.countOf('SendTaskFailure')).toBe(0);
    });
  });

  describe('the task token', () => {
    it('is kept out of every read of the grant while the grant waits', async () => {
      // Prepare
      await seedPending(h, grantId);

      // Act
      const read = await callApi(h, 'showGrant', ALICE, { params: { grantId } });
      const record = await h.ledger.getGrant(grantId);

      // Assess
      expect(read.status).toBe(200);
      expect(JSON.stringify(read.body)).not.toContain(taskTokenFor(grantId));
      expect(JSON.stringify(record)).not.toContain(taskTokenFor(grantId));
      expect(await h.ledger.getTaskToken(grantId)).toBe(taskTokenFor(grantId));
    });

    it('leaves the ledger once the approval step is answered', async () => {
      // Act
      await seedApproved(h, grantId);

      // Assess
      expect(await h.ledger.getTaskToken(grantId)).toBeUndefined();
    });

    it("is replaced by a retried approval step's new token while pending, and never once decided", async () => {
      // Prepare
      const state = await seedPending(h, grantId);
      const retry = (taskToken: string) => h.handlers.requestApproval({ grantId, request: state.request, taskToken });

      // Act
      await retry('a-new-token-from-step-functions');
      const whilePending = await h.ledger.getTaskToken(grantId);
      await approve(ALICE);
      await approve(BOB);
      await retry('a-token-after-the-decision');

      // Assess
      expect(whilePending).toBe('a-new-token-from-step-functions');
      expect(h.aws.taskCallbacks).toEqual([
        expect.objectContaining({ kind: 'success', taskToken: 'a-new-token-from-step-functions' }),
      ]);
      expect(await h.ledger.getTaskToken(grantId)).toBeUndefined();
      expect(await statusOf(h, grantId)).toBe('APPROVED');
    });
  });

  describe('status transitions', () => {
    it('grants an approved grant once: run twice, the second run makes no mutating call', async () => {
      // Prepare
      await seedApproved(h, grantId);
      const first = await h.handlers.grant({ grantId });
      h.aws.clearCallLog();

      // Act
      const second = await h.handlers.grant({ grantId });

      // Assess
      expect(second).toEqual(first);
      expect(h.aws.mutatingCalls).toEqual([]);
      expect(await statusOf(h, grantId)).toBe('ACTIVE');
    });

    it('refuses to grant a request still waiting for votes, and creates nothing', async () => {
      // Prepare
      await seedPending(h, grantId);
      h.aws.clearCallLog();

      // Act
      const error = await rejectionOf(h.handlers.grant({ grantId }));

      // Assess
      expect(error.name).toBe('jit.TransitionError');
      expect(h.aws.mutatingCalls).toEqual([]);
      expect(await statusOf(h, grantId)).toBe('PENDING');
    });

    it('revokes at expiry to REVOKED with a clean residue check; run twice, the second changes nothing', async () => {
      // Prepare
      await seedActive(h, grantId);
      const first = await revokeAtExpiry();
      h.aws.clearCallLog();

      // Act
      const second = await revokeAtExpiry();

      // Assess
      expect(first.status).toBe('REVOKED');
      expect(second.status).toBe('REVOKED');
      expect(h.aws.mutatingCalls).toEqual([]);
      const grant = await h.ledger.getGrant(grantId);
      expect(grant?.residueCheck?.residue).toEqual({
        roles: [],
        policies: [],
        securityGroupRules: [],
        schedules: [],
        sessions: [],
        osAccounts: [],
      });
    });
  });

  describe('ingress rule holders', () => {
    it('keeps a rule two grants share open until its last holder is revoked, then closes and forgets it', async () => {
      // Prepare
      const otherId = `${grantId}-2`;
      await seedActive(h, grantId);
      await seedActive(h, otherId, requestInput({ targets: [BILLING_2] }));
      const rules = (await h.ledger.getGrant(grantId))?.plan.ingressRules ?? [];
      const keys = rules.map(ingressRuleKey);

      // Act
      await revokeAtExpiry(grantId);
      const afterFirst = await h.ledger.getRules(keys);
      const openAfterFirst = h.aws.rulesIn(BILLING_SG).length;
      await revokeAtExpiry(otherId);

      // Assess
      expect(keys.length).toBeGreaterThan(0);
      expect(openAfterFirst).toBe(keys.length);
      expect([...afterFirst.values()].map((holding) => holding.holders)).toEqual(keys.map(() => [otherId]));
      expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
      expect((await h.ledger.getRules(keys)).size).toBe(0);
    });

    it('a grant that fails after opening its rules releases its holdings and closes the rules', async () => {
      // Prepare
      const approved = await seedApproved(h, grantId);
      h.aws.failNext('CreateSchedule');

      // Act
      await h.handlers.grant({ grantId }).catch(() => undefined);

      // Assess
      expect(await statusOf(h, grantId)).toBe('FAILED');
      expect((await h.ledger.getRules(approved.plan.ingressRules.map(ingressRuleKey))).size).toBe(0);
      expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    });
  });
});

describe('DynamoLedger stores the task token where only getTaskToken reads it', () => {
  it('keeps it on the grant item while pending and removes the attribute once answered', async () => {
    // Prepare
    const tableName = await newLedgerTable();
    const h = createHarness({ ledger: dynamoLedger(tableName) });
    const grantId = `g-${randomBytes(6).toString('hex')}`;
    const dynamodb = new DynamoDBClient(localClientConfig());
    const item = async () =>
      (
        await dynamodb.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: `GRANT#${grantId}` }, sk: { S: 'GRANT' } },
            ConsistentRead: true,
          }),
        )
      ).Item;
    try {
      await seedPending(h, grantId);
      const pending = await item();

      // Act
      await callApi(h, 'approve', ALICE, { params: { grantId }, body: {} });
      await callApi(h, 'approve', BOB, { params: { grantId }, body: {} });

      // Assess
      expect(pending?.taskToken?.S).toBe(taskTokenFor(grantId));
      expect(await item()).not.toHaveProperty('taskToken');
      expect((await item())?.status?.S).toBe('APPROVED');
    } finally {
      dynamodb.destroy();
      h.restore();
    }
  });
});
