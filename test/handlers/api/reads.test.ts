import { planHash } from '../../../lambdas/domain/plan-hash';
import {
  ALICE,
  BILLING_1,
  BILLING_2,
  BOB,
  CAROL,
  callApi,
  createHarness,
  DANA,
  ERIN,
  requestInput,
  seedActive,
  seedApproved,
  seedPending,
  type Harness,
} from '../../helpers/handler-deps';
import { configWithFrank, FRANK, parsedResponse, type ErrorBody } from './support';

const PENDING_ID = 'grant-read-pending';
const ACTIVE_ID = 'grant-read-active';
const OLDER_PENDING_ID = 'grant-read-older-pending';
const GLOBEX_ID = 'grant-read-globex';
const BREAK_GLASS_ID = 'grant-read-break-glass';
const ROLE_NAME = `jit-${ACTIVE_ID}`;

let h: Harness;
beforeEach(() => {
  h = createHarness({ config: configWithFrank() });
});
afterEach(() => h.restore());

describe('GET /me (whoami)', () => {
  it("answers a sponsor's person, signed ARN and rights", async () => {
    // Act
    const answer = await callApi(h, 'whoami', DANA);

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('whoami', answer.body)).toEqual({
      person: 'dana',
      arn: DANA.arn,
      approver: false,
      admin: false,
      breakGlass: false,
      auditor: false,
      sponsorOf: ['acme', 'globex'],
    });
  });

  it('tells an auditor (carol) and an admin (erin) that they may audit', async () => {
    // Act
    const carol = await callApi(h, 'whoami', CAROL);
    const erin = await callApi(h, 'whoami', ERIN);

    // Assess
    expect(parsedResponse('whoami', carol.body)).toMatchObject({ person: 'carol', auditor: true, admin: false });
    expect(parsedResponse('whoami', erin.body)).toMatchObject({ person: 'erin', auditor: true, admin: true });
  });

  it('tells an approver signed as an IAM user that they approve and sponsor nothing', async () => {
    // Act
    const answer = await callApi(h, 'whoami', BOB);

    // Assess
    expect(parsedResponse('whoami', answer.body)).toMatchObject({
      person: 'bob',
      approver: true,
      admin: false,
      sponsorOf: [],
    });
  });

  it('tells erin she is an admin and a break-glass person', async () => {
    // Act
    const answer = await callApi(h, 'whoami', ERIN);

    // Assess
    expect(parsedResponse('whoami', answer.body)).toMatchObject({ admin: true, breakGlass: true, approver: false });
  });
});

describe('GET /grants (listGrants)', () => {
  /** Dana's grant (active, made first), then frank's pending request a minute later. */
  async function prepareTwoGrants(): Promise<void> {
    await seedActive(h, ACTIVE_ID);
    h.clock.advanceMinutes(1);
    await seedPending(h, PENDING_ID, requestInput({ targets: [BILLING_2], requester: FRANK }));
  }

  it('lists every grant, newest first', async () => {
    // Prepare
    await prepareTwoGrants();

    // Act
    const answer = await callApi(h, 'listGrants', BOB);

    // Assess
    expect(answer.status).toBe(200);
    const listed = parsedResponse('listGrants', answer.body);
    expect(listed.grants.map((g) => [g.grantId, g.status, g.requester])).toEqual([
      [PENDING_ID, 'PENDING', 'frank'],
      [ACTIVE_ID, 'ACTIVE', 'dana'],
    ]);
    expect(listed.truncated).toBe(false);
  });

  it('filters by status', async () => {
    // Prepare
    await prepareTwoGrants();

    // Act
    const answer = await callApi(h, 'listGrants', BOB, { query: { status: 'ACTIVE' } });

    // Assess
    expect(parsedResponse('listGrants', answer.body).grants.map((g) => g.grantId)).toEqual([ACTIVE_ID]);
  });

  it("with mine=true lists only the caller's own requests", async () => {
    // Prepare
    await prepareTwoGrants();

    // Act
    const answer = await callApi(h, 'listGrants', FRANK, { query: { mine: 'true' } });

    // Assess
    expect(parsedResponse('listGrants', answer.body).grants.map((g) => g.grantId)).toEqual([PENDING_ID]);
  });

  it("filters by vendor, keeping that vendor's grants only", async () => {
    // Prepare
    await prepareTwoGrants();
    await seedPending(h, GLOBEX_ID, requestInput({ vendorId: 'globex', targets: [BILLING_2], ports: [] }));

    // Act
    const acme = await callApi(h, 'listGrants', BOB, { query: { vendor: 'acme' } });
    const globex = await callApi(h, 'listGrants', BOB, { query: { vendor: 'globex' } });

    // Assess
    expect(parsedResponse('listGrants', acme.body).grants.map((g) => g.grantId)).toEqual([PENDING_ID, ACTIVE_ID]);
    expect(parsedResponse('listGrants', globex.body).grants.map((g) => g.grantId)).toEqual([GLOBEX_ID]);
  });

  it('lists no grant for a vendor that has none', async () => {
    // Prepare
    await prepareTwoGrants();

    // Act
    const answer = await callApi(h, 'listGrants', BOB, { query: { vendor: 'globex' } });

    // Assess
    expect(parsedResponse('listGrants', answer.body).grants).toEqual([]);
  });

  it('lists newest first across statuses, although each status comes from the index oldest first', async () => {
    // Prepare
    await seedPending(h, OLDER_PENDING_ID, requestInput({ targets: [BILLING_2] }));
    h.clock.advanceMinutes(1);
    await seedActive(h, ACTIVE_ID);
    h.clock.advanceMinutes(1);
    await seedPending(h, PENDING_ID, requestInput({ targets: [BILLING_2], requester: FRANK }));

    // Act
    const answer = await callApi(h, 'listGrants', BOB);

    // Assess
    expect(parsedResponse('listGrants', answer.body).grants.map((g) => [g.grantId, g.createdAt])).toEqual([
      [PENDING_ID, '2030-03-01T09:02:00.000Z'],
      [ACTIVE_ID, '2030-03-01T09:01:00.000Z'],
      [OLDER_PENDING_ID, '2030-03-01T09:00:00.000Z'],
    ]);
  });

  it("keeps grants made in the same instant in the status index's order: the one that ends first comes first", async () => {
    // Prepare
    await seedPending(h, OLDER_PENDING_ID, requestInput({ durationMinutes: 120 }));
    await seedPending(h, PENDING_ID, requestInput({ targets: [BILLING_2], durationMinutes: 30 }));

    // Act
    const answer = await callApi(h, 'listGrants', BOB);

    // Assess
    expect(parsedResponse('listGrants', answer.body).grants.map((g) => [g.grantId, g.expiresAt])).toEqual([
      [PENDING_ID, '2030-03-01T09:30:00.000Z'],
      [OLDER_PENDING_ID, '2030-03-01T11:00:00.000Z'],
    ]);
  });

  it('answers each grant as a summary: who asked for what, when, until when, and who approved', async () => {
    // Prepare
    await prepareTwoGrants();

    // Act
    const answer = await callApi(h, 'listGrants', BOB);

    // Assess
    expect(answer.body).toEqual({
      grants: [
        {
          grantId: PENDING_ID,
          status: 'PENDING',
          vendorId: 'acme',
          requester: 'frank',
          ticket: 'CHG-1234',
          createdAt: '2030-03-01T09:01:00.000Z',
          startAt: '2030-03-01T09:01:00.000Z',
          expiresAt: '2030-03-01T10:01:00.000Z',
          approvals: [],
        },
        {
          grantId: ACTIVE_ID,
          status: 'ACTIVE',
          vendorId: 'acme',
          requester: 'dana',
          ticket: 'CHG-1234',
          createdAt: '2030-03-01T09:00:00.000Z',
          startAt: '2030-03-01T09:00:00.000Z',
          expiresAt: '2030-03-01T10:00:00.000Z',
          approvals: ['alice', 'bob'],
        },
      ],
      truncated: false,
    });
  });

  it('marks an extension with the grant it extends, and a break-glass grant with its review', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    h.clock.advanceMinutes(1);
    const extension = await callApi(h, 'extend', DANA, { params: { grantId: ACTIVE_ID }, body: { byMinutes: 30 } });
    const { grantId: extensionId } = parsedResponse('extend', extension.body);
    await seedPending(h, extensionId, h.aws.executions[0]?.input as Record<string, unknown>);
    h.clock.advanceMinutes(1);
    const breakGlass = await h.handlers.validateRequest({
      input: requestInput({ requester: ERIN, targets: [BILLING_2], breakGlass: true }),
      grantId: BREAK_GLASS_ID,
    });
    await h.handlers.requestApproval({ grantId: BREAK_GLASS_ID, request: breakGlass.request });
    await h.handlers.grant({ grantId: BREAK_GLASS_ID });

    // Act
    const answer = await callApi(h, 'listGrants', BOB);

    // Assess
    const listed = parsedResponse('listGrants', answer.body).grants;
    expect(listed.map((g) => [g.grantId, g.extends, g.breakGlassReview])).toEqual([
      [BREAK_GLASS_ID, undefined, 'PENDING'],
      [extensionId, ACTIVE_ID, undefined],
      [ACTIVE_ID, undefined, undefined],
    ]);
  });

  it('answers as many grants as the limit without calling the list truncated', async () => {
    // Prepare
    await prepareTwoGrants();

    // Act
    const answer = await callApi(h, 'listGrants', BOB, { query: { limit: '2' } });

    // Assess
    const listed = parsedResponse('listGrants', answer.body);
    expect(listed.grants.map((g) => g.grantId)).toEqual([PENDING_ID, ACTIVE_ID]);
    expect(listed.truncated).toBe(false);
  });

  it('says when a limit cut the list short', async () => {
    // Prepare
    await prepareTwoGrants();

    // Act
    const answer = await callApi(h, 'listGrants', BOB, { query: { limit: '1' } });

    // Assess
    const listed = parsedResponse('listGrants', answer.body);
    expect(listed.grants.map((g) => g.grantId)).toEqual([PENDING_ID]);
    expect(listed.truncated).toBe(true);
  });

  it('refuses a query parameter it does not know, naming it', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'listGrants', BOB, { query: { requester: 'dana' } });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'UNKNOWN_FIELD', field: 'requester' });
  });
});

describe('GET /grants/{grantId} (showGrant)', () => {
  it('answers the whole record and every vote', async () => {
    // Prepare
    await seedPending(h, PENDING_ID);
    await callApi(h, 'approve', ALICE, { params: { grantId: PENDING_ID }, body: { comment: 'looks right' } });

    // Act
    const answer = await callApi(h, 'showGrant', FRANK, { params: { grantId: PENDING_ID } });

    // Assess
    expect(answer.status).toBe(200);
    const shown = parsedResponse('showGrant', answer.body);
    expect(shown.grant).toEqual(await h.ledger.getGrant(PENDING_ID));
    expect(shown.votes).toEqual([expect.objectContaining({ person: 'alice', comment: 'looks right' })]);
  });

  it('answers 404 naming grantId for a grant that does not exist, and where grant ids are found', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'showGrant', BOB, { params: { grantId: 'grant-never-made' } });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error).toEqual({
      code: 'NOT_FOUND',
      field: 'grantId',
      message:
        'there is no grant grant-never-made: check the id with "jit-access list" (a request just made appears within seconds)',
    });
  });
});

describe('GET /grants/{grantId}/plan (grantPlan)', () => {
  it('answers the plan hash that the approval message carried', async () => {
    // Prepare
    await seedPending(h, PENDING_ID);
    const sentHash = /Plan hash: ([0-9a-f]{64})/.exec(h.aws.published[0]?.message ?? '')?.[1];

    // Act
    const answer = await callApi(h, 'grantPlan', ALICE, { params: { grantId: PENDING_ID } });

    // Assess
    expect(answer.status).toBe(200);
    expect(sentHash).toBeDefined();
    expect(parsedResponse('grantPlan', answer.body).planHash).toBe(sentHash);
  });

  it('answers the plan whose hash that is', async () => {
    // Prepare
    await seedPending(h, PENDING_ID);

    // Act
    const answer = await callApi(h, 'grantPlan', ALICE, { params: { grantId: PENDING_ID } });

    // Assess
    const { plan, planHash: hash } = parsedResponse('grantPlan', answer.body);
    expect(plan).toEqual((await h.ledger.getGrant(PENDING_ID))?.plan);
    expect(planHash((await h.ledger.getGrant(PENDING_ID))!.plan)).toBe(hash);
    expect(plan.role.name).toBe(`jit-${PENDING_ID}`);
  });

  it("answers an extension's delta: what stays and what changes", async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    const extension = await callApi(h, 'extend', DANA, { params: { grantId: ACTIVE_ID }, body: { byMinutes: 30 } });
    const { grantId } = parsedResponse('extend', extension.body);
    await seedPending(h, grantId, h.aws.executions[0]?.input as Record<string, unknown>);

    // Act
    const answer = await callApi(h, 'grantPlan', ALICE, { params: { grantId } });

    // Assess
    expect(parsedResponse('grantPlan', answer.body).delta).toContain(
      `extends grant ${ACTIVE_ID}: same vendor, targets and ports`,
    );
  });

  it('answers no delta for a grant that extends nothing', async () => {
    // Prepare
    await seedPending(h, PENDING_ID);

    // Act
    const answer = await callApi(h, 'grantPlan', ALICE, { params: { grantId: PENDING_ID } });

    // Assess
    expect(parsedResponse('grantPlan', answer.body).delta).toBeUndefined();
  });
});

describe('GET /grants/{grantId}/session-log (watching a session)', () => {
  const AT_0905 = Date.parse('2030-03-01T09:05:00.000Z');

  /** An active grant with one live session that logged two lines, and a session of another role. */
  async function prepareSession(): Promise<void> {
    await seedActive(h, ACTIVE_ID);
    h.aws.startSession('session-1', ROLE_NAME, BILLING_1, '2030-03-01T09:04:00.000Z');
    h.aws.startSession('session-of-another-role', 'SomeAdmin', BILLING_1, '2030-03-01T09:04:00.000Z');
    h.aws.logSessionLine('session-1', AT_0905, 'acme-support$ psql billing');
    h.aws.logSessionLine('session-1', AT_0905 + 60_000, 'acme-support$ \\dt');
    h.aws.logSessionLine('session-of-another-role', AT_0905, 'root# cat /etc/shadow');
  }

  it("answers the grant's sessions and what they logged, in order", async () => {
    // Prepare
    await prepareSession();

    // Act
    const answer = await callApi(h, 'sessionLog', ALICE, { params: { grantId: ACTIVE_ID } });

    // Assess
    expect(answer.status).toBe(200);
    const log = parsedResponse('sessionLog', answer.body);
    expect(log.sessions).toEqual([
      { sessionId: 'session-1', target: BILLING_1, owner: expect.stringContaining(`:assumed-role/${ROLE_NAME}/`) },
    ]);
    expect(log.events).toEqual([
      { sessionId: 'session-1', at: '2030-03-01T09:05:00.000Z', message: 'acme-support$ psql billing' },
      { sessionId: 'session-1', at: '2030-03-01T09:06:00.000Z', message: 'acme-support$ \\dt' },
    ]);
  });

  it('answers only the lines logged at or after "since"', async () => {
    // Prepare
    await prepareSession();

    // Act
    const answer = await callApi(h, 'sessionLog', ERIN, {
      params: { grantId: ACTIVE_ID },
      query: { since: String(AT_0905 + 1) },
    });

    // Assess
    expect(parsedResponse('sessionLog', answer.body).events.map((e) => e.message)).toEqual(['acme-support$ \\dt']);
  });

  it("hands back CloudWatch's token when the lines fill more than a page, and answers the rest with it", async () => {
    // Prepare
    await prepareSession();
    h.aws.logSessionLine('session-1', AT_0905 + 120_000, 'acme-support$ \\q');
    const onGrant = { params: { grantId: ACTIVE_ID } };
    const first = parsedResponse('sessionLog', (await callApi(h, 'sessionLog', ALICE, onGrant)).body);

    // Act
    const rest = await callApi(h, 'sessionLog', ALICE, { ...onGrant, query: { nextToken: first.nextToken ?? '' } });

    // Assess
    expect(first.nextToken).toEqual(expect.any(String));
    expect([...first.events, ...parsedResponse('sessionLog', rest.body).events].map((e) => e.message)).toEqual([
      'acme-support$ psql billing',
      'acme-support$ \\dt',
      'acme-support$ \\q',
    ]);
  });

  it('keeps showing a session after it ended', async () => {
    // Prepare
    await prepareSession();
    await callApi(h, 'revoke', ERIN, { params: { grantId: ACTIVE_ID }, body: { reason: 'seen enough of this' } });

    // Act
    const answer = await callApi(h, 'sessionLog', DANA, { params: { grantId: ACTIVE_ID } });

    // Assess
    expect(parsedResponse('sessionLog', answer.body).events).toHaveLength(2);
  });

  it('answers no events, and reads no logs, for a grant nobody has opened a session with', async () => {
    // Prepare
    await seedActive(h, ACTIVE_ID);
    h.aws.clearCallLog();

    // Act
    const answer = await callApi(h, 'sessionLog', ALICE, { params: { grantId: ACTIVE_ID } });

    // Assess
    expect(parsedResponse('sessionLog', answer.body)).toEqual({ grantId: ACTIVE_ID, sessions: [], events: [] });
    expect(h.aws.countOf('FilterLogEvents')).toBe(0);
  });

  it('refuses someone who neither requested the grant, approves nor administers with 403 saying who may watch', async () => {
    // Prepare
    await prepareSession();

    // Act
    const answer = await callApi<ErrorBody>(h, 'sessionLog', FRANK, { params: { grantId: ACTIVE_ID } });

    // Assess
    expect(answer).toEqual({
      status: 403,
      body: {
        error: {
          code: 'NOT_ALLOWED_TO_WATCH',
          message: `frank may not watch ${ACTIVE_ID}: its requester, approvers and admins may`,
        },
      },
    });
  });

  it('answers 404 for a grant that does not exist', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'sessionLog', ALICE, { params: { grantId: 'grant-never-made' } });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('NOT_FOUND');
  });
});

describe('GET /vendors (listVendors)', () => {
  it('answers each vendor as configured, enabled', async () => {
    // Act
    const answer = await callApi(h, 'listVendors', FRANK);

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('listVendors', answer.body).vendors).toEqual([
      {
        vendorId: 'acme',
        displayName: 'Acme Database Support',
        enabled: true,
        maxGrantHours: 8,
        eligibleTargetGroups: ['billing-db'],
        ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
        requireMfa: true,
        sponsors: ['dana', 'frank'],
      },
      expect.objectContaining({ vendorId: 'globex', enabled: true, sponsors: ['dana'] }),
    ]);
  });

  it('answers a vendor an admin disabled as disabled, with the reason', async () => {
    // Prepare
    await callApi(h, 'disableVendor', ERIN, { params: { vendorId: 'globex' }, body: { reason: 'contract ended' } });

    // Act
    const answer = await callApi(h, 'listVendors', FRANK);

    // Assess
    expect(parsedResponse('listVendors', answer.body).vendors[1]).toMatchObject({
      vendorId: 'globex',
      enabled: false,
      disabledReason: 'contract ended',
    });
  });

  it('answers a vendor the config disables as disabled, saying so', async () => {
    // Prepare
    h.restore();
    h = createHarness({
      config: configWithFrank((raw) => {
        raw.vendors[1]!.enabled = false;
      }),
    });

    // Act
    const answer = await callApi(h, 'listVendors', FRANK);

    // Assess
    expect(
      parsedResponse('listVendors', answer.body).vendors.map((v) => [v.vendorId, v.enabled, v.disabledReason]),
    ).toEqual([
      ['acme', true, undefined],
      ['globex', false, 'disabled in the config'],
    ]);
  });
});

describe('an approved grant reads the same to everyone', () => {
  it('listGrants shows who approved it', async () => {
    // Prepare
    await seedApproved(h, PENDING_ID);

    // Act
    const answer = await callApi(h, 'listGrants', DANA, { query: { status: 'APPROVED' } });

    // Assess
    expect(parsedResponse('listGrants', answer.body).grants).toEqual([
      expect.objectContaining({ grantId: PENDING_ID, approvals: ['alice', 'bob'] }),
    ]);
  });
});
