import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { TransitionError } from '../../../lambdas/domain/errors';
import { ROUTE_NAMES, ROUTES } from '../../../lambdas/handlers/api/contract';
import { createApiFunction, errorResponse, param } from '../../../lambdas/handlers/api/http';
import { showGrant } from '../../../lambdas/handlers/api/show-grant';
import { whoami } from '../../../lambdas/handlers/api/whoami';
import { logger } from '../../../lambdas/shared/powertools';
import { capturedInfoLogs } from '../../helpers/logged-lines';
import {
  ALICE,
  apiEvent,
  BOB,
  callApi,
  createHarness,
  DANA,
  seedPending,
  type Harness,
} from '../../helpers/handler-deps';
import { writeCounts, type ErrorBody } from './support';

const GRANT_ID = 'grant-http-0001';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

describe('the API functions', () => {
  it('answer JSON that no cache keeps', async () => {
    // Act
    const result = await h.handlers.apiRead(apiEvent('whoami', DANA));

    // Assess
    expect(result.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  });

  it.each(ROUTE_NAMES.filter((route) => ROUTES[route].function !== 'api-read'))(
    'the read function does not serve %s: 404, and nothing is written',
    async (route) => {
      // Prepare
      await seedPending(h, GRANT_ID);
      const before = writeCounts(h);
      const event = apiEvent(route, ALICE, { params: { grantId: GRANT_ID, vendorId: 'acme' }, body: {} });

      // Act
      const result = await h.handlers.apiRead(event);

      // Assess
      expect(result.statusCode).toBe(404);
      expect(JSON.parse(result.body)).toMatchObject({ error: { code: 'NOT_FOUND', field: 'path' } });
      expect(writeCounts(h)).toEqual(before);
    },
  );

  it('the decide function does not serve a request for access', async () => {
    // Act
    const result = await h.handlers.apiDecide(apiEvent('createRequest', DANA, { body: {} }));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(h.aws.executions).toEqual([]);
  });

  it('answer 404 naming the method and the path for a path that is no route', async () => {
    // Prepare
    const event = { ...apiEvent('whoami', DANA), resource: '/admin', path: '/admin' };

    // Act
    const result = await h.handlers.apiRead(event);

    // Assess
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'NOT_FOUND', field: 'path', message: 'GET /admin is not a route of the jit-access API' },
    });
  });

  it('answer 404 for a route of their own that they were built without', async () => {
    // Prepare
    const readWithoutListing = createApiFunction('api-read', { whoami }, () => h.deps);

    // Act
    const result = await readWithoutListing(apiEvent('listGrants', DANA));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'NOT_FOUND', field: 'path', message: 'GET /grants is not a route of the jit-access API' },
    });
  });
});

describe('the path parameters', () => {
  it("refuse a path without the grant id with 400 naming grantId, in zod's wording", async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'showGrant', BOB);

    // Assess
    expect(answer).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_FIELD',
          field: 'grantId',
          message: 'Invalid input: expected string, received undefined',
        },
      },
    });
  });

  describe("where zod has no English locale, as in the functions' bundles (zod/mini ships none)", () => {
    // The tests load the full zod (lib/config does), which installs its English locale for zod/mini too.
    let locale: z.core.$ZodConfig['localeError'];
    beforeEach(() => {
      locale = z.config().localeError;
      z.config({ localeError: undefined });
    });
    afterEach(() => z.config({ localeError: locale }));

    it("still word the refusal of a path without the grant id as zod's English locale does", async () => {
      // Act
      const answer = await callApi<ErrorBody>(h, 'showGrant', BOB);

      // Assess
      expect(answer.body.error.message).toBe('Invalid input: expected string, received undefined');
    });
  });

  it('refuse a grant id that is not one with 400 saying what a grant id looks like', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'showGrant', BOB, { params: { grantId: 'G_1' } });

    // Assess
    expect(answer).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_FIELD',
          field: 'grantId',
          message: 'must be a grant id such as "g-3f9a1c2b7d4e" (see "jit-access list")',
        },
      },
    });
  });
});

describe('the caller', () => {
  it('is nobody for an event without a request context (a direct invoke): 403 UNSIGNED_REQUEST', async () => {
    // Prepare
    const event = { ...apiEvent('whoami', DANA), requestContext: undefined } as unknown as APIGatewayProxyEvent;

    // Act
    const result = await h.handlers.apiRead(event);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body)).toEqual({
      error: {
        code: 'UNSIGNED_REQUEST',
        message:
          'the request carries no signed AWS identity: call the API with SigV4-signed requests (jit-access does this)',
      },
    });
  });
});

describe('the body', () => {
  it('is read from base64 when API Gateway encoded it', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    const event = {
      ...apiEvent('approve', ALICE, { params: { grantId: GRANT_ID } }),
      body: Buffer.from(JSON.stringify({ comment: 'plan hash checked' }), 'utf8').toString('base64'),
      isBase64Encoded: true,
    };

    // Act
    const result = await h.handlers.apiDecide(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect((await h.ledger.listVotes(GRANT_ID)).map((v) => [v.person, v.comment])).toEqual([
      ['alice', 'plan hash checked'],
    ]);
  });
});

describe('errorResponse', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers a transition the grant cannot make with 409 WRONG_STATE and the transition', () => {
    // Act
    const result = errorResponse(new TransitionError('REVOKED', 'ACTIVE'), 'request-1');

    // Assess
    expect({ ...result, body: JSON.parse(result.body) as unknown }).toEqual({
      statusCode: 409,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: { error: { code: 'WRONG_STATE', message: 'a grant cannot go from REVOKED to ACTIVE' } },
    });
  });

  it('answers an unexpected failure with 500 and request id "unknown" when API Gateway gave none', () => {
    // Act
    const result = errorResponse(new Error('the ledger is unreachable'), undefined);

    // Assess
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      error: {
        code: 'INTERNAL',
        message:
          'the request failed inside jit-access: nothing you sent was wrong; try again, or give the operators request id unknown',
      },
    });
  });

  it('logs an unexpected failure with its error, which the answer leaves out', () => {
    // Prepare
    const logged = jest.spyOn(logger, 'error');
    const failure = new Error('the ledger is unreachable');

    // Act
    errorResponse(failure, 'request-1');

    // Assess
    expect(logged.mock.calls).toEqual([['request failed', { error: failure }]]);
  });
});

describe('the log keys of a call', () => {
  /** The call's keys on each line the logger wrote, in order. */
  const logs = capturedInfoLogs();
  const loggedKeys = () => logs.pick('route', 'person', 'grantId');

  it("are the route, the person and the grant id on every line the route logs, and none on the next call's", async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    logs.clear();
    const read = createApiFunction(
      'api-read',
      {
        showGrant: (deps, call) => {
          logger.info('showing');
          return showGrant(deps, call);
        },
      },
      () => h.deps,
    );

    // Act
    const result = await read(apiEvent('showGrant', BOB, { params: { grantId: GRANT_ID } }));
    logger.info('next invocation');

    // Assess
    expect(result.statusCode).toBe(200);
    expect(loggedKeys()).toEqual([{ route: 'showGrant', person: 'bob', grantId: GRANT_ID }, {}]);
  });

  it('hold no grant id on a route without one', async () => {
    // Prepare
    const read = createApiFunction(
      'api-read',
      {
        whoami: (deps, call) => {
          logger.info('resolving');
          return whoami(deps, call);
        },
      },
      () => h.deps,
    );

    // Act
    await read(apiEvent('whoami', DANA));

    // Assess
    expect(loggedKeys()).toEqual([{ route: 'whoami', person: 'dana' }]);
  });
});

describe('param', () => {
  it('answers the path parameter the route parsed', () => {
    // Act
    const value = param({ params: { grantId: GRANT_ID } }, 'grantId');

    // Assess
    expect(value).toBe(GRANT_ID);
  });

  it('throws naming the path parameter when the route has none of that name', () => {
    // Act
    const act = () => param({ params: { grantId: GRANT_ID } }, 'vendorId');

    // Assess
    expect(act).toThrow(new Error('the route has no path parameter vendorId'));
  });
});
