import { ROUTE_NAMES, ROUTES } from '../../../lambdas/handlers/api/contract';
import { ALICE, apiEvent, createHarness, DANA, seedPending, type Harness } from '../../helpers/handler-deps';
import { writeCounts } from './support';

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

  it('answer 404 for a path that is no route', async () => {
    // Prepare
    const event = { ...apiEvent('whoami', DANA), resource: '/admin', path: '/admin' };

    // Act
    const result = await h.handlers.apiRead(event);

    // Assess
    expect(result.statusCode).toBe(404);
  });
});
