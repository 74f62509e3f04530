import { GRANT_ID_PATTERN } from '../../../lambdas/domain/types';
import {
  ACCOUNT_ID,
  apiEvent,
  BILLING_1,
  callApi,
  createHarness,
  DANA,
  ERIN,
  REGION,
  requestBody,
  seedActive,
  seedPending,
  T0,
  UNTAGGED,
  WEB_1,
  type Harness,
} from '../../helpers/handler-deps';
import { parsedResponse, writeCounts, type ErrorBody } from './support';

const ACTIVE_ID = 'grant-request-active';
const PENDING_ID = 'grant-request-pending';
const EXECUTION_PREFIX = `arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:jit-access-approval:`;

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

describe('POST /grants (createRequest)', () => {
  it('answers 202 with the new grant id, its window and the execution it started', async () => {
    // Act
    const answer = await callApi(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(answer.status).toBe(202);
    const requested = parsedResponse('createRequest', answer.body);
    expect(requested).toMatchObject({
      status: 'REQUESTED',
      vendorId: 'acme',
      breakGlass: false,
      window: { startAt: T0, expiresAt: '2030-03-01T10:00:00.000Z' },
    });
    expect(requested.grantId).toMatch(GRANT_ID_PATTERN);
    expect(requested.executionArn).toBe(`${EXECUTION_PREFIX}${requested.grantId}`);
  });

  it('starts exactly one execution, named after the grant, whose input carries the signed requester', async () => {
    // Act
    const answer = await callApi(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    const { grantId } = parsedResponse('createRequest', answer.body);
    expect(h.aws.executions).toEqual([
      {
        stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:jit-access-approval`,
        name: grantId,
        input: { ...requestBody(), requester: { person: 'dana', arn: DANA.arn } },
        status: 'RUNNING',
      },
    ]);
  });

  it('writes nothing to the ledger: the workflow records the request', async () => {
    // Act
    await callApi(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(h.ledger.writes).toEqual([]);
  });

  it('gives each request its own grant id', async () => {
    // Prepare
    const first = await callApi(h, 'createRequest', DANA, { body: requestBody() });

    // Act
    const second = await callApi(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(parsedResponse('createRequest', second.body).grantId).not.toBe(
      parsedResponse('createRequest', first.body).grantId,
    );
    expect(h.aws.executions).toHaveLength(2);
  });

  it('starts a workflow whose input the validate and approval steps accept as it is', async () => {
    // Prepare
    const answer = await callApi(h, 'createRequest', DANA, { body: requestBody() });
    const { grantId } = parsedResponse('createRequest', answer.body);
    const [execution] = h.aws.executions;

    // Act
    const validated = await h.handlers.validateRequest({ input: execution?.input, grantId });
    const recorded = await h.handlers.requestApproval({ ...validated, taskToken: 'token' });

    // Assess
    expect(recorded).toMatchObject({ grantId, status: 'PENDING' });
    expect((await h.ledger.getGrant(grantId))?.request.requester).toEqual({ person: 'dana', arn: DANA.arn });
  });

  it.each([
    {
      why: 'a duration longer than the vendor allows',
      body: requestBody({ durationMinutes: 600 }),
      field: 'durationMinutes',
      code: 'DURATION_TOO_LONG',
    },
    {
      why: 'an instance outside the vendor target groups',
      body: requestBody({ targets: [BILLING_1, WEB_1] }),
      field: 'targets[1]',
      code: 'TARGET_NOT_ELIGIBLE',
    },
    {
      why: 'an untagged instance',
      body: requestBody({ targets: [UNTAGGED] }),
      field: 'targets[0]',
      code: 'TARGET_NOT_ELIGIBLE',
    },
    {
      why: 'a port the vendor may not open',
      body: requestBody({ ports: [{ protocol: 'tcp', fromPort: 22, toPort: 22 }] }),
      field: 'ports[0]',
      code: 'PORT_NOT_ALLOWED',
    },
    {
      why: 'an unknown vendor',
      body: requestBody({ vendorId: 'initech' }),
      field: 'vendorId',
      code: 'UNKNOWN_VENDOR',
    },
    {
      why: 'a start in the past',
      body: requestBody({ startAt: '2030-03-01T08:00:00Z' }),
      field: 'startAt',
      code: 'START_IN_PAST',
    },
    {
      why: 'a field that is not part of a request',
      body: requestBody({ grantId: 'grant-chosen-by-me' }),
      field: 'grantId',
      code: 'UNKNOWN_FIELD',
    },
    {
      why: 'a missing ticket',
      body: requestBody({ ticket: undefined }),
      field: 'ticket',
      code: 'MISSING_FIELD',
    },
    {
      why: 'a duration that is not a number',
      body: requestBody({ durationMinutes: '60' }),
      field: 'durationMinutes',
      code: 'INVALID_FIELD',
    },
    // BUG (found by test/integration/hostile-requests.test.ts): this refusal carried no field at all.
    {
      why: 'a field with an empty name',
      body: requestBody({ '': 'x' }),
      field: '[""]',
      code: 'UNKNOWN_FIELD',
    },
    // BUG (found by test/integration/hostile-requests.test.ts): a reason of zero-width spaces was accepted.
    {
      why: 'a reason of invisible characters',
      body: requestBody({ reason: '\u200b'.repeat(20) }),
      field: 'reason',
      code: 'INVALID_FIELD',
    },
  ])('refuses $why with 400 $code naming $field, and starts nothing', async ({ body, field, code }) => {
    // Prepare
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code, field });
    expect(answer.body.error.message).not.toBe('');
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses a body that is not JSON with 400 INVALID_JSON, and starts nothing', async () => {
    // Prepare
    const event = { ...apiEvent('createRequest', DANA), body: '{"vendorId": "acme",' };

    // Act
    const result = await h.handlers.apiRequest(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'INVALID_JSON', field: 'body', message: 'is not JSON: send a JSON object' },
    });
    expect(h.aws.executions).toEqual([]);
  });

  it('refuses a request for a vendor an admin disabled with 409 VENDOR_DISABLED, and starts nothing', async () => {
    // Prepare
    await callApi(h, 'disableVendor', ERIN, { params: { vendorId: 'acme' }, body: { reason: 'the contract ended' } });
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'VENDOR_DISABLED', field: 'vendorId' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses, and starts nothing, when the grant id it drew is already in the ledger', async () => {
    // Prepare: every grant id the ledger is asked about is taken (an id collision).
    await seedPending(h, PENDING_ID);
    const taken = await h.ledger.getGrant(PENDING_ID);
    jest.spyOn(h.ledger, 'getGrant').mockResolvedValue(taken);
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(answer.body.error).toMatchObject({ code: 'DUPLICATE_GRANT', field: 'grantId' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('answers 500 with the request id and no detail when the workflow cannot be started', async () => {
    // Prepare
    h.aws.failOn('StartExecution');

    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('INTERNAL');
    expect(answer.body.error.message).toContain('request-createRequest');
    expect(answer.body.error.message).not.toContain('injected fault');
  });
});

describe('POST /grants/{grantId}/extend', () => {
  it('starts a new request for the same access from the active grant expiry', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    h.aws.clearCallLog();

    // Act
    const answer = await callApi(h, 'extend', DANA, { params: { grantId: ACTIVE_ID }, body: { byMinutes: 30 } });

    // Assess
    expect(answer.status).toBe(202);
    const requested = parsedResponse('extend', answer.body);
    expect(requested).toMatchObject({
      status: 'REQUESTED',
      extends: ACTIVE_ID,
      window: { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T10:30:00.000Z' },
    });
    expect(h.aws.executions).toEqual([
      expect.objectContaining({
        name: requested.grantId,
        input: expect.objectContaining({
          vendorId: 'acme',
          targets: [BILLING_1],
          ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
          durationMinutes: 30,
          startAt: '2030-03-01T10:00:00.000Z',
          ticket: 'CHG-1234',
          extends: ACTIVE_ID,
          requester: { person: 'dana', arn: DANA.arn },
        }),
      }),
    ]);
  });

  it('keeps the ticket and reason unless new ones are given', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);

    // Act
    await callApi(h, 'extend', DANA, {
      params: { grantId: ACTIVE_ID },
      body: { byMinutes: 30, ticket: 'CHG-2000', reason: 'The migration needs another half hour' },
    });

    // Assess
    expect(h.aws.executions[0]?.input).toMatchObject({
      ticket: 'CHG-2000',
      reason: 'The migration needs another half hour',
    });
  });

  it('starts a workflow whose approval message tells approvers what the extension changes', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    const answer = await callApi(h, 'extend', DANA, { params: { grantId: ACTIVE_ID }, body: { byMinutes: 30 } });
    const { grantId } = parsedResponse('extend', answer.body);
    h.aws.clearCallLog();

    // Act
    await seedPending(h, grantId, h.aws.executions[0]?.input as Record<string, unknown>);

    // Assess
    expect(h.aws.published[0]?.message).toContain(`Extension: extends grant ${ACTIVE_ID}`);
  });

  it('refuses to extend a grant still waiting for approval with 409 NOT_ACTIVE, and starts nothing', async () => {
    // Prepare
    await seedPending(h, PENDING_ID);
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'extend', DANA, {
      params: { grantId: PENDING_ID },
      body: { byMinutes: 30 },
    });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'NOT_ACTIVE', field: 'grantId' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses to extend a grant that has ended with 409 NOT_ACTIVE, and starts nothing', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    h.clock.advanceMinutes(60);
    await h.handlers.revoke({ grantId: ACTIVE_ID });
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'extend', DANA, {
      params: { grantId: ACTIVE_ID },
      body: { byMinutes: 30 },
    });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'NOT_ACTIVE', field: 'grantId' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses an extension shorter than 15 minutes, naming byMinutes', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'extend', DANA, {
      params: { grantId: ACTIVE_ID },
      body: { byMinutes: 5 },
    });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_FIELD', field: 'byMinutes' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses an extension beyond what the vendor allows, naming durationMinutes', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'extend', DANA, {
      params: { grantId: ACTIVE_ID },
      body: { byMinutes: 9 * 60 },
    });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'DURATION_TOO_LONG', field: 'durationMinutes' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('answers 404 for a grant that does not exist', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'extend', DANA, {
      params: { grantId: 'grant-never-made' },
      body: { byMinutes: 30 },
    });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'NOT_FOUND', field: 'grantId' });
    expect(h.aws.executions).toEqual([]);
  });
});
