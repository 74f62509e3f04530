import type { GrantUpdate } from '../../lambdas/adapters/ledger';
import { GrantFailedError } from '../../lambdas/domain/errors';
import type { GrantRecord } from '../../lambdas/domain/types';
import { teardownGrant } from '../../lambdas/lifecycle/teardown';
import { logger } from '../../lambdas/shared/powertools';
import { ingressRuleKey } from '../../lambdas/domain/planner';
import { provisionGrant } from '../../lambdas/lifecycle/provision';
import { exampleConfig } from '../helpers/config-fixture';
import {
  ALICE,
  BILLING_1,
  BILLING_SG,
  callApi,
  createHarness,
  rejectionOf,
  requestInput,
  seedActive,
  seedApprovedExtension,
  seedApproved,
  seedPending,
  statusOf,
  T0,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-provision-0001';
const OTHER_ID = 'grant-provision-0002';
const ROLE_NAME = `jit-${GRANT_ID}`;
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';

let h: Harness;
let restoreLevel = () => undefined as void;
afterEach(() => {
  h.restore();
  jest.restoreAllMocks();
  restoreLevel();
  restoreLevel = () => undefined;
});

/**
 * Rewrites fields of a stored grant as anyone able to write the table could (the in-memory ledger, like DynamoDB,
 * writes whatever it is given).
 */
async function tamperWith(grantId: string, change: Partial<GrantRecord>): Promise<void> {
  const entry = { at: T0, actor: 'someone-with-table-access', event: 'edited the record' };
  await h.ledger.appendHistory(grantId, entry, change as GrantUpdate);
}

async function grantFailure(): Promise<GrantFailedError> {
  const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));
  if (error instanceof GrantFailedError) return error;
  throw error;
}

/**
 * What the Powertools logger writes at `level` (to console.error or console.warn) from now on in the test, each line
 * reduced to `keys`. The logger's level and the spy are restored after the test.
 */
function loggedAt(level: 'error' | 'warn') {
  const previous = logger.getLevelName();
  logger.setLogLevel('INFO');
  restoreLevel = () => logger.setLogLevel(previous as Parameters<typeof logger.setLogLevel>[0]);
  const spy = jest.spyOn(console, level).mockImplementation(() => undefined);
  return (...keys: string[]) =>
    spy.mock.calls.map(([line]) => {
      const parsed = JSON.parse(String(line)) as Record<string, unknown>;
      return Object.fromEntries(keys.map((key) => [key, parsed[key]]));
    });
}

/** Nothing of GRANT_ID is left in IAM, EC2 or the scheduler. */
function nothingLeft(): void {
  expect(h.aws.roles.has(ROLE_NAME)).toBe(false);
  expect(h.aws.schedules.size).toBe(0);
  expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
}

describe('grant: what it refuses before creating anything', () => {
  beforeEach(() => {
    h = createHarness();
  });

  it('a grant id the ledger does not hold, naming it', async () => {
    // Act
    const error = await rejectionOf(provisionGrant(h.deps, 'grant-nowhere'));

    // Assess
    expect(error).toEqual(new Error('grant grant-nowhere is not in the ledger'));
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('a grant still waiting for approval, saying from which status to which', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ message: 'a grant cannot go from PENDING to GRANTING', from: 'PENDING' });
  });

  it('a grant in GRANTING whose approved plan is not recorded, with PLAN_CHANGED on the plan', async () => {
    // Prepare: moved to GRANTING by someone other than the grant function, which records the approved plan.
    await seedApproved(h, GRANT_ID);
    await h.ledger.transition(GRANT_ID, ['APPROVED'], 'GRANTING', { at: T0, actor: 'someone', event: 'moved it' });
    h.aws.clearCallLog();

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({
      field: 'plan',
      code: 'PLAN_CHANGED',
      message: 'plan: grant refused: the plan approvers were sent is not recorded; request access again',
    });
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('answers UNKNOWN as the status it lost to when the grant is gone from the ledger after a lost race', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    const getGrant = h.ledger.getGrant.bind(h.ledger);
    let reads = 0;
    jest
      .spyOn(h.ledger, 'getGrant')
      .mockImplementation((id) => (++reads === 1 ? getGrant(id) : Promise.resolve(undefined)));
    jest.spyOn(h.ledger, 'transition').mockResolvedValue(false);

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.TransitionError', from: 'UNKNOWN', to: 'GRANTING' });
  });
});

describe('grant: a retry of a grant left in GRANTING', () => {
  beforeEach(() => {
    h = createHarness();
  });

  it('continues when the window it fixed starts at the approved start (the ledger stopped it before any create)', async () => {
    // Prepare: the first attempt moved the grant to GRANTING at T0, the approved start, then lost the ledger.
    await seedApproved(h, GRANT_ID);
    jest.spyOn(h.ledger, 'acquireRules').mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));
    await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));
    expect(await statusOf(h, GRANT_ID)).toBe('GRANTING');

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(result).toMatchObject({ status: 'ACTIVE', startAt: T0, expiresAt: EXPIRES_AT });
  });
});

describe('grant: each step that fails is named, and what was made is removed', () => {
  beforeEach(async () => {
    h = createHarness();
    await seedApproved(h, GRANT_ID);
    h.aws.clearCallLog();
  });

  it('put session policy', async () => {
    // Prepare
    h.aws.failOn('PutRolePolicy');

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('put session policy');
    nothingLeft();
  });

  it('unlock the vendor OS user', async () => {
    // Prepare
    jest.spyOn(h.deps.osAccounts, 'send').mockRejectedValueOnce(new Error('SSM is down'));

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.message).toBe(`grant ${GRANT_ID} failed at unlock the vendor OS user: SSM is down`);
    nothingLeft();
  });

  it('check the unlock, naming the instance, the outcome and what to check', async () => {
    // Prepare
    h.aws.unmanaged.add(BILLING_1);

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('check the unlock');
    expect(error.message).toMatch(
      new RegExp(
        `^grant ${GRANT_ID} failed at check the unlock: OS user acme-support was not unlocked on ${BILLING_1}.*: check that each instance is running with its SSM agent online and has the user \\(uid >= 1000\\)$`,
      ),
    );
    nothingLeft();
  });

  it('open ingress rules, when EC2 answers no id for a rule it opened', async () => {
    // Prepare
    jest.spyOn(h.deps.network, 'authorizeIngressRules').mockResolvedValueOnce(new Map());

    // Act
    const error = await grantFailure();

    // Assess
    const [first] = (await h.ledger.getGrant(GRANT_ID))?.plan.ingressRules ?? [];
    if (!first) throw new Error('the plan opens no rule');
    expect(error.message).toBe(
      `grant ${GRANT_ID} failed at open ingress rules: rule ${ingressRuleKey(first)} was opened but has no id`,
    );
  });

  it('keeps in the ledger the role it made and its policy name, for the audit', async () => {
    // Prepare
    h.aws.failOn('CreateSchedule');

    // Act
    await grantFailure();

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.created).toMatchObject({
      roleArn: expect.stringMatching(new RegExp(`:role/.*${ROLE_NAME}$`)) as unknown,
      inlinePolicyName: expect.any(String) as unknown,
    });
    expect(grant?.status).toBe('FAILED');
  });

  it('logs the step and the error, then compensates through the revoke path', async () => {
    // Prepare
    const errors = loggedAt('error');
    h.aws.failOn('CreateSchedule', { errorName: 'ValidationException' });

    // Act
    await grantFailure();

    // Assess
    expect(errors('message', 'step')).toEqual([
      { message: 'grant failed; compensating through the revoke path', step: 'create expiry schedule' },
    ]);
    expect(errors('error')[0]?.error).toMatchObject({ name: 'ValidationException' });
  });

  it('logs a compensation that failed in turn, for the sweeper to finish', async () => {
    // Prepare
    const errors = loggedAt('error');
    h.aws.failOn('CreateSchedule');
    h.ledger.failNextTransitionTo('REVOKING');

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('create expiry schedule');
    expect(errors('message')).toEqual([
      { message: 'grant failed; compensating through the revoke path' },
      { message: 'compensation failed; the sweeper will finish it' },
    ]);
    expect(errors('error')[1]?.error).toBeDefined();
  });

  it('removes what it made even when a revoke already ended the grant in the ledger while it was being made', async () => {
    // Prepare: the kill switch's whole revoke runs while the schedule is being made: the grant is REVOKED.
    const create = h.deps.schedules.create.bind(h.deps.schedules);
    jest.spyOn(h.deps.schedules, 'create').mockImplementationOnce(async (input) => {
      await teardownGrant(h.deps, GRANT_ID, 'kill-switch', 'erin');
      return create(input);
    });

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('activate');
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    nothingLeft();
  });
});

describe('grant: what it records and logs when it succeeds', () => {
  it('writes "active until" the expiry in the history, by the grant function', async () => {
    // Prepare
    h = createHarness();
    await seedApproved(h, GRANT_ID);

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toContainEqual({
      at: T0,
      actor: 'grant',
      event: `active until ${EXPIRES_AT}`,
    });
  });

  it("unlocks with the requested vendor's own blockImds, not another vendor's", async () => {
    // Prepare: acme (the first vendor) does not block the metadata service; globex does.
    h = createHarness({
      config: exampleConfig((raw) => {
        raw.vendors[1]!.blockImds = true;
      }),
    });
    await seedApproved(h, GRANT_ID, requestInput({ vendorId: 'globex', ports: [] }));

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(h.aws.commands.map((c) => [c.parameters.osUser, c.parameters.blockImds])).toEqual([
      [['globex-ops'], ['true']],
    ]);
  });

  it('opens no rule and answers no rule id for a vendor with no ports', async () => {
    // Prepare
    h = createHarness();
    await seedApproved(h, GRANT_ID, requestInput({ vendorId: 'globex', ports: [] }));
    h.aws.clearCallLog();

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(result.securityGroupRuleIds).toEqual([]);
    expect(h.aws.countOf('AuthorizeSecurityGroupIngress')).toBe(0);
  });

  it('describes no rule, and warns of nothing, when it shares none', async () => {
    // Prepare
    h = createHarness();
    await seedApproved(h, GRANT_ID);
    const describe = jest.spyOn(h.deps.network, 'describeIngressRules');
    const warnings = loggedAt('warn');

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(describe).not.toHaveBeenCalled();
    expect(warnings('message')).toEqual([]);
  });

  it('records no new rule id when every rule is shared, and warns of nothing', async () => {
    // Prepare
    h = createHarness();
    await seedActive(h, OTHER_ID);
    await seedApproved(h, GRANT_ID);
    const setRuleIds = jest.spyOn(h.ledger, 'setRuleIds');
    const warnings = loggedAt('warn');

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(result.securityGroupRuleIds).toEqual((await h.ledger.getGrant(OTHER_ID))?.created.securityGroupRuleIds);
    expect(setRuleIds).not.toHaveBeenCalled();
    expect(warnings('message')).toEqual([]);
  });

  it('warns, and still grants, when the shared rules cannot be described', async () => {
    // Prepare
    h = createHarness();
    await seedActive(h, OTHER_ID);
    await seedApproved(h, GRANT_ID);
    jest
      .spyOn(h.deps.network, 'describeIngressRules')
      .mockRejectedValueOnce(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
    const warnings = loggedAt('warn');

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(result.status).toBe('ACTIVE');
    expect(warnings('message')).toEqual([{ message: 'the shared rules still name their earlier holders' }]);
    expect(warnings('error')[0]?.error).toMatchObject({ name: 'UnauthorizedOperation', message: 'denied' });
  });
});

describe('grant of an extension, by how the grant it extends stands', () => {
  /** An extension of GRANT_ID (active), requested by dana through the API and approved by alice and bob. */
  async function approvedExtension(): Promise<string> {
    h = createHarness();
    await seedActive(h, GRANT_ID);
    return seedApprovedExtension(h, GRANT_ID);
  }

  it('starts at the expiry while the grant it extends is still ACTIVE (its revoke has not run yet)', async () => {
    // Prepare
    const extensionId = await approvedExtension();
    h.clock.set(EXPIRES_AT);

    // Act
    const result = await h.handlers.grant({ grantId: extensionId });

    // Assess
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
    expect(result).toMatchObject({ status: 'ACTIVE', startAt: EXPIRES_AT });
  });

  it('starts while the grant it extends is still being granted (GRANTING)', async () => {
    // Prepare
    const extensionId = await approvedExtension();
    await tamperWith(GRANT_ID, { status: 'GRANTING' });
    h.clock.set(EXPIRES_AT);

    // Act
    const result = await h.handlers.grant({ grantId: extensionId });

    // Assess
    expect(result).toMatchObject({ status: 'ACTIVE', startAt: EXPIRES_AT });
  });

  it('is refused when the grant it extends was killed, naming the grant and how it ended', async () => {
    // Prepare
    const extensionId = await approvedExtension();
    await callApi(h, 'revoke', ALICE, { params: { grantId: GRANT_ID }, body: { reason: 'vendor misbehaved' } });
    h.clock.set(EXPIRES_AT);

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: extensionId }));

    // Assess
    expect(error).toMatchObject({
      field: 'extends',
      message: `extends: grant refused: grant ${GRANT_ID} ended by kill-switch, so its extension does not start; request access again`,
    });
  });

  it('is refused when the grant it extends ended with no reason recorded, saying it was never granted', async () => {
    // Prepare
    const extensionId = await approvedExtension();
    await tamperWith(GRANT_ID, { status: 'FAILED' });
    h.clock.set(EXPIRES_AT);

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: extensionId }));

    // Assess
    expect(error).toMatchObject({
      code: 'EXTENDED_GRANT_REVOKED',
      message: `extends: grant refused: grant ${GRANT_ID} ended without being granted, so its extension does not start; request access again`,
    });
  });
});
