import { exampleConfig } from '../../helpers/config-fixture';
import {
  BILLING_1,
  BILLING_2,
  callApi,
  createHarness,
  DANA,
  ERIN,
  requestBody,
  requestInput,
  seedActive,
  seedApproved,
  statusOf,
  type Harness,
} from '../../helpers/handler-deps';
import { parsedResponse, writeCounts, type ErrorBody } from './support';

const ACTIVE_ID = 'grant-vendor-active';
const GLOBEX_ID = 'grant-vendor-globex';
const APPROVED_ID = 'grant-vendor-approved';
const OTHER_ACTIVE_ID = 'grant-vendor-active-2';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

const disable = (vendorId = 'acme') =>
  callApi(h, 'disableVendor', ERIN, { params: { vendorId }, body: { reason: 'the contract ended' } });
const enable = (vendorId = 'acme') =>
  callApi(h, 'enableVendor', ERIN, { params: { vendorId }, body: { reason: 'the contract was renewed' } });

describe('POST /vendors/{vendorId}/disable', () => {
  it("revokes the vendor's live grants at once and names them", async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    h.aws.startSession('session-of-grant', `jit-${ACTIVE_ID}`, BILLING_1);

    // Act
    const answer = await disable();

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('disableVendor', answer.body)).toEqual({
      vendorId: 'acme',
      enabled: false,
      revokedGrants: [ACTIVE_ID],
    });
    expect(await h.ledger.getGrant(ACTIVE_ID)).toMatchObject({ status: 'REVOKED', revokeReason: 'vendor-disabled' });
    expect(h.aws.sessions.map((s) => s.status)).toEqual(['Terminated']);
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it("leaves other vendors' grants alone", async () => {
    // Prepare
    await seedActive(h, GLOBEX_ID, requestInput({ vendorId: 'globex', targets: [BILLING_2], ports: [] }));

    // Act
    await disable('acme');

    // Assess
    expect(await statusOf(h, GLOBEX_ID)).toBe('ACTIVE');
    expect(h.aws.roles.has(`jit-${GLOBEX_ID}`)).toBe(true);
  });

  it('refuses new requests for the vendor afterwards with 409 VENDOR_DISABLED', async () => {
    // Prepare
    await disable();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: requestBody() });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: 'VENDOR_DISABLED', field: 'vendorId' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('stops an approved grant of the vendor from being granted', async () => {
    // Prepare
    await seedApproved(h, APPROVED_ID);
    await disable();
    h.aws.clearCallLog();

    // Act
    const granting = h.handlers.grant({ grantId: APPROVED_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ field: 'vendorId', code: 'VENDOR_DISABLED' });
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('tells people the vendor was disabled, by whom and why', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    h.aws.clearCallLog();

    // Act
    await disable();

    // Assess
    const notice = h.aws.published.find((m) => m.subject === 'jit-access: vendor acme disabled');
    expect(notice?.message).toContain('disabled by erin');
    expect(notice?.message).toContain('"the contract ended"');
    expect(notice?.message).toContain(ACTIVE_ID);
  });

  it('run twice changes nothing the second time: no grant resource, no new notice, the first reason stands', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    await disable();
    h.aws.clearCallLog();
    const states = await h.ledger.vendorStates();

    // Act
    const second = await callApi(h, 'disableVendor', ERIN, {
      params: { vendorId: 'acme' },
      body: { reason: 'said again, differently' },
    });

    // Assess
    expect(parsedResponse('disableVendor', second.body).revokedGrants).toEqual([]);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await h.ledger.vendorStates()).toEqual(states);
  });

  it('records the admin by name, with the reason and the time, in the vendor history', async () => {
    // Act
    await disable();

    // Assess
    expect(await h.ledger.vendorHistory('acme')).toEqual([
      { vendorId: 'acme', disabled: true, reason: 'the contract ended', actor: 'erin', at: '2030-03-01T09:00:00.000Z' },
    ]);
  });

  it('tells people exactly which grants it revoked, comma-separated', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    h.clock.advanceMinutes(1);
    await seedActive(h, OTHER_ACTIVE_ID, requestInput({ targets: [BILLING_2] }));
    h.aws.clearCallLog();

    // Act
    await disable();

    // Assess
    expect(h.aws.published.filter((m) => m.subject === 'jit-access: vendor acme disabled')).toEqual([
      {
        subject: 'jit-access: vendor acme disabled',
        message: `Vendor acme was disabled by erin. Reason: "the contract ended"\nGrants revoked: ${ACTIVE_ID}, ${OTHER_ACTIVE_ID}`,
      },
    ]);
  });

  it('tells people even when the vendor had no live grant, saying none was revoked', async () => {
    // Act
    await disable();

    // Assess
    expect(h.aws.published).toEqual([
      {
        subject: 'jit-access: vendor acme disabled',
        message: 'Vendor acme was disabled by erin. Reason: "the contract ended"\nGrants revoked: none',
      },
    ]);
  });

  it('run twice answers the vendor disabled with no grant revoked, and tells nobody again', async () => {
    // Prepare
    await disable();
    h.aws.clearCallLog();

    // Act
    const second = await disable();

    // Assess
    expect(parsedResponse('disableVendor', second.body)).toEqual({
      vendorId: 'acme',
      enabled: false,
      revokedGrants: [],
    });
    expect(h.aws.published).toEqual([]);
  });

  it('run again after a run that stopped once the vendor was marked disabled, revokes the live grant and tells people', async () => {
    // Prepare: the first run wrote the vendor's state and stopped before it reached the grant.
    await seedActive(h, ACTIVE_ID);
    await h.ledger.setVendorState({
      vendorId: 'acme',
      disabled: true,
      reason: 'the contract ended',
      actor: 'erin',
      at: '2030-03-01T09:00:00.000Z',
    });
    h.aws.clearCallLog();

    // Act
    const answer = await disable();

    // Assess
    expect(parsedResponse('disableVendor', answer.body)).toEqual({
      vendorId: 'acme',
      enabled: false,
      revokedGrants: [ACTIVE_ID],
    });
    expect(await statusOf(h, ACTIVE_ID)).toBe('REVOKED');
    expect(h.aws.published.filter((m) => m.subject === 'jit-access: vendor acme disabled')).toEqual([
      {
        subject: 'jit-access: vendor acme disabled',
        message: `Vendor acme was disabled by erin. Reason: "the contract ended"\nGrants revoked: ${ACTIVE_ID}`,
      },
    ]);
  });

  it('does not name a grant the status index still lists as active but that another revoke already ended', async () => {
    // Prepare: a status query that lags behind the revoke (the index is eventually consistent).
    await seedActive(h, ACTIVE_ID);
    const stale = await h.ledger.grantsByStatus('ACTIVE');
    await callApi(h, 'revoke', ERIN, { params: { grantId: ACTIVE_ID }, body: { reason: 'the work is done' } });
    const listed = h.ledger.grantsByStatus.bind(h.ledger);
    jest
      .spyOn(h.ledger, 'grantsByStatus')
      .mockImplementation(async (status, expiresBefore) =>
        status === 'ACTIVE' ? stale : listed(status, expiresBefore),
      );
    h.aws.clearCallLog();

    // Act
    const answer = await disable();

    // Assess
    expect(parsedResponse('disableVendor', answer.body)).toEqual({
      vendorId: 'acme',
      enabled: false,
      revokedGrants: [],
    });
    expect(h.aws.published.map((m) => m.message)).toEqual([
      'Vendor acme was disabled by erin. Reason: "the contract ended"\nGrants revoked: none',
    ]);
  });

  it('answers 404 naming vendorId for a vendor that is not configured, and writes nothing', async () => {
    // Prepare
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'disableVendor', ERIN, {
      params: { vendorId: 'initech' },
      body: { reason: 'never heard of them' },
    });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error).toEqual({
      code: 'NOT_FOUND',
      field: 'vendorId',
      message: '"initech" is not a configured vendor: use one of acme, globex',
    });
    expect(writeCounts(h)).toEqual(before);
  });
});

describe('POST /vendors/{vendorId}/enable', () => {
  it('lets the vendor be requested again after an admin disabled it', async () => {
    // Prepare
    await disable();

    // Act
    const answer = await enable();

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('enableVendor', answer.body)).toEqual({ vendorId: 'acme', enabled: true, revokedGrants: [] });
    expect((await callApi(h, 'createRequest', DANA, { body: requestBody() })).status).toBe(202);
  });

  it('run twice leaves the vendor enabled, writes nothing and tells nobody again', async () => {
    // Prepare
    await disable();
    await enable();
    h.aws.clearCallLog();
    const writes = h.ledger.writes.length;

    // Act
    const second = await enable();

    // Assess
    expect(parsedResponse('enableVendor', second.body).enabled).toBe(true);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toHaveLength(writes);
    expect((await h.ledger.vendorStates()).find((s) => s.vendorId === 'acme')?.disabled).toBe(false);
  });

  it('records the admin and the reason and tells people, by whom and why', async () => {
    // Prepare
    await disable();
    h.aws.clearCallLog();

    // Act
    await enable();

    // Assess
    expect((await h.ledger.vendorHistory('acme')).at(-1)).toEqual({
      vendorId: 'acme',
      disabled: false,
      reason: 'the contract was renewed',
      actor: 'erin',
      at: '2030-03-01T09:00:00.000Z',
    });
    expect(h.aws.published).toEqual([
      {
        subject: 'jit-access: vendor acme enabled',
        message: 'Vendor acme was enabled by erin. Reason: "the contract was renewed"',
      },
    ]);
  });

  it('of a vendor nobody disabled answers it enabled and writes nothing, while another vendor is disabled', async () => {
    // Prepare
    await disable('globex');
    h.aws.clearCallLog();
    const before = writeCounts(h);

    // Act
    const answer = await enable('acme');

    // Assess
    expect(parsedResponse('enableVendor', answer.body)).toEqual({ vendorId: 'acme', enabled: true, revokedGrants: [] });
    expect(writeCounts(h)).toEqual(before);
    expect(h.aws.published).toEqual([]);
  });

  it('refuses to enable a vendor the config disables with 409 DISABLED_IN_CONFIG, and writes nothing', async () => {
    // Prepare
    h.restore();
    h = createHarness({
      config: exampleConfig((raw) => {
        raw.vendors[0]!.enabled = false;
      }),
    });
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'enableVendor', ERIN, {
      params: { vendorId: 'acme' },
      body: { reason: 'we need them today' },
    });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error).toEqual({
      code: 'DISABLED_IN_CONFIG',
      field: 'vendorId',
      message: 'vendor "acme" is disabled in the config ("enabled": false): change cdk.json and deploy to enable it',
    });
    expect(writeCounts(h)).toEqual(before);
  });
});

describe('who may change a vendor, and how a vendor is named', () => {
  it.each(['disableVendor', 'enableVendor', 'unlockVendor'] as const)(
    '%s is refused to someone who is not an admin with 403 saying to ask one, and writes nothing',
    async (route) => {
      // Prepare
      const before = writeCounts(h);

      // Act
      const answer = await callApi<ErrorBody>(h, route, DANA, {
        params: { vendorId: 'acme' },
        body: { reason: 'the contract ended' },
      });

      // Assess
      expect(answer).toEqual({
        status: 403,
        body: { error: { code: 'NOT_AN_ADMIN', message: 'dana is not an admin (jitAccess.admins): ask one' } },
      });
      expect(writeCounts(h)).toEqual(before);
    },
  );

  it.each(['Acme', 'acmE'])(
    'a vendor id with a capital letter (%s) is refused with 400 saying what a vendor id looks like',
    async (vendorId) => {
      // Prepare
      const before = writeCounts(h);

      // Act
      const answer = await callApi<ErrorBody>(h, 'disableVendor', ERIN, {
        params: { vendorId },
        body: { reason: 'the contract ended' },
      });

      // Assess
      expect(answer).toEqual({
        status: 400,
        body: {
          error: {
            code: 'INVALID_FIELD',
            field: 'vendorId',
            message: 'must be a vendor id such as "acme" (see "jit-access vendor list")',
          },
        },
      });
      expect(writeCounts(h)).toEqual(before);
    },
  );
});
