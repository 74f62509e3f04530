import type { Caller } from '../../../lambdas/domain/identity';
import { ROUTE_NAMES, ROUTES, type RouteName } from '../../../lambdas/handlers/api/contract';
import {
  ACCOUNT_ID,
  ALICE,
  BILLING_2,
  BOB,
  CAROL,
  callApi,
  createHarness,
  DANA,
  ERIN,
  requestBody,
  requestInput,
  seedActive,
  seedPending,
  SSO_ROLE,
  statusOf,
  type ApiEventInput,
  type Harness,
} from '../../helpers/handler-deps';
import { configWithFrank, FRANK, parsedResponse, writeCounts, type ErrorBody } from './support';

/** Someone AWS signed for whom the config names no one. */
const MALLORY_ARN = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/Developers/mallory`;

/** Alice as Identity Center signs her calls under another permission set: a second role, the same person. */
const ALICE_VIA_SECOND_PERMISSION_SET: Caller = {
  person: 'alice',
  arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/AWSReservedSSO_JitAccessAdmins_fedcba9876543210/alice@example.com`,
};

/** The pinned approvers role assumed with a session name that is not carol's: nobody the config knows. */
const CAROL_UNDER_ANOTHER_SESSION_NAME_ARN = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/SecurityApprovers/carol-admin`;

/** Alice's Identity Center user name signed in an account the config does not trust for Identity Center. */
const ALICE_FROM_UNTRUSTED_ACCOUNT_ARN = `arn:aws:sts::999988887777:assumed-role/${SSO_ROLE}/alice@example.com`;

/** A caller known only by the ARN AWS signed: the API resolves the person from the ARN and ignores `person`. */
function signedAs(arn: string, person = 'unknown'): Caller {
  return { person, arn };
}

const PENDING_ID = 'grant-authz-pending';
const ACTIVE_ID = 'grant-authz-active';

/** Each kind of person the API meets, as AWS signs their calls. */
const CALLERS = {
  'sponsor (Identity Center user)': DANA,
  'second sponsor (IAM user)': FRANK,
  'approver (Identity Center user)': ALICE,
  'approver (IAM user)': BOB,
  'approver (pinned role session)': CAROL,
  'admin and break-glass person': ERIN,
} as const satisfies Record<string, Caller>;
type Kind = keyof typeof CALLERS;
const EVERYONE = Object.keys(CALLERS) as Kind[];
const APPROVERS: Kind[] = ['approver (Identity Center user)', 'approver (IAM user)', 'approver (pinned role session)'];

/** What each route is called with here: the grant it acts on and a body it accepts. */
const INPUT: Record<RouteName, ApiEventInput> = {
  whoami: {},
  listGrants: {},
  showGrant: { params: { grantId: PENDING_ID } },
  grantPlan: { params: { grantId: PENDING_ID } },
  listVendors: {},
  sessionLog: { params: { grantId: ACTIVE_ID } },
  createRequest: { body: requestBody() },
  extend: { params: { grantId: ACTIVE_ID }, body: { byMinutes: 30 } },
  approve: { params: { grantId: PENDING_ID }, body: { comment: 'plan hash checked' } },
  deny: { params: { grantId: PENDING_ID }, body: { reason: 'no change window today' } },
  revoke: { params: { grantId: ACTIVE_ID }, body: { reason: 'the vendor finished early' } },
  disableVendor: { params: { vendorId: 'acme' }, body: { reason: 'the contract ended' } },
  enableVendor: { params: { vendorId: 'acme' }, body: { reason: 'the contract was renewed' } },
  unlockVendor: { params: { vendorId: 'acme' }, body: { reason: 'the attempts were a misconfigured script' } },
  auditGrant: { params: { grantId: ACTIVE_ID } },
  auditReview: { query: { since: '2030-01-01', until: '2030-12-31' } },
  auditSigningKey: {},
};

type Rule =
  | { readonly allowed: 'any person' }
  | { readonly allowed: readonly Kind[]; readonly refusal: { readonly status: number; readonly code: string } };

/** Who may call each route (dana requested both grants; frank sponsors acme too but oversees nothing). */
const WHO_MAY: Record<RouteName, Rule> = {
  whoami: { allowed: 'any person' },
  listGrants: { allowed: 'any person' },
  showGrant: { allowed: 'any person' },
  grantPlan: { allowed: 'any person' },
  listVendors: { allowed: 'any person' },
  sessionLog: {
    allowed: ['sponsor (Identity Center user)', ...APPROVERS, 'admin and break-glass person'],
    refusal: { status: 403, code: 'NOT_ALLOWED_TO_WATCH' },
  },
  createRequest: {
    allowed: ['sponsor (Identity Center user)', 'second sponsor (IAM user)'],
    refusal: { status: 403, code: 'NOT_A_SPONSOR' },
  },
  extend: {
    allowed: ['sponsor (Identity Center user)', 'second sponsor (IAM user)'],
    refusal: { status: 403, code: 'NOT_A_SPONSOR' },
  },
  approve: { allowed: APPROVERS, refusal: { status: 403, code: 'NOT_AN_APPROVER' } },
  deny: { allowed: APPROVERS, refusal: { status: 403, code: 'NOT_AN_APPROVER' } },
  revoke: {
    allowed: ['sponsor (Identity Center user)', ...APPROVERS, 'admin and break-glass person'],
    refusal: { status: 403, code: 'NOT_ALLOWED_TO_REVOKE' },
  },
  disableVendor: { allowed: ['admin and break-glass person'], refusal: { status: 403, code: 'NOT_AN_ADMIN' } },
  enableVendor: { allowed: ['admin and break-glass person'], refusal: { status: 403, code: 'NOT_AN_ADMIN' } },
  unlockVendor: { allowed: ['admin and break-glass person'], refusal: { status: 403, code: 'NOT_AN_ADMIN' } },
  auditGrant: {
    allowed: ['approver (pinned role session)', 'admin and break-glass person'],
    refusal: { status: 403, code: 'NOT_AN_AUDITOR' },
  },
  auditReview: {
    allowed: ['approver (pinned role session)', 'admin and break-glass person'],
    refusal: { status: 403, code: 'NOT_AN_AUDITOR' },
  },
  auditSigningKey: { allowed: 'any person' },
};

const allowedKinds = (rule: Rule): readonly Kind[] => (rule.allowed === 'any person' ? EVERYONE : rule.allowed);

const ALLOWED = ROUTE_NAMES.flatMap((route) => allowedKinds(WHO_MAY[route]).map((kind) => [route, kind] as const));
const REFUSED = ROUTE_NAMES.flatMap((route) => {
  const rule = WHO_MAY[route];
  if (rule.allowed === 'any person') return [];
  return EVERYONE.filter((kind) => !rule.allowed.includes(kind)).map(
    (kind) => [route, kind, rule.refusal.status, rule.refusal.code] as const,
  );
});

let h: Harness;
afterEach(() => h.restore());

/** An ACTIVE grant and a PENDING one, both requested by dana for acme; frank is a second sponsor of acme. */
async function prepareGrants(config = configWithFrank()): Promise<void> {
  h = createHarness({ config });
  await seedActive(h, ACTIVE_ID);
  await seedPending(h, PENDING_ID, requestInput({ targets: [BILLING_2] }));
  h.aws.clearCallLog();
}

describe('the authorization matrix: each kind of person on each route', () => {
  it.each(ALLOWED)('%s is allowed for the %s', async (route, kind) => {
    // Prepare
    await prepareGrants();

    // Act
    const answer = await callApi(h, route, CALLERS[kind], INPUT[route]);

    // Assess
    expect(answer.status).toBe(ROUTES[route].status);
    expect(() => parsedResponse(route, answer.body)).not.toThrow();
  });

  it.each(REFUSED)('%s is refused to the %s with %i %s, and nothing is written', async (route, kind, status, code) => {
    // Prepare
    await prepareGrants();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, route, CALLERS[kind], INPUT[route]);

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(writeCounts(h)).toEqual(before);
  });
});

describe('a call that is not signed by a configured person', () => {
  it.each(ROUTE_NAMES)('%s without a signed identity is refused with 403 UNSIGNED_REQUEST', async (route) => {
    // Prepare
    await prepareGrants();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, route, undefined, INPUT[route]);

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('UNSIGNED_REQUEST');
    expect(writeCounts(h)).toEqual(before);
  });

  it.each(ROUTE_NAMES)(
    '%s signed by an ARN the config does not know is refused with 403 NOT_A_PERSON',
    async (route) => {
      // Prepare
      await prepareGrants();
      const before = writeCounts(h);

      // Act
      const answer = await callApi<ErrorBody>(h, route, signedAs(MALLORY_ARN), INPUT[route]);

      // Assess
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('NOT_A_PERSON');
      expect(writeCounts(h)).toEqual(before);
    },
  );

  it("refuses the pinned approvers role under a session name other than carol's: it is nobody", async () => {
    // Prepare
    await prepareGrants();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', signedAs(CAROL_UNDER_ANOTHER_SESSION_NAME_ARN, 'carol'), {
      params: { grantId: PENDING_ID },
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('NOT_A_PERSON');
    expect(writeCounts(h)).toEqual(before);
    expect(await h.ledger.listVotes(PENDING_ID)).toEqual([]);
  });

  it('refuses an Identity Center user name signed in an account the config does not trust', async () => {
    // Prepare
    await prepareGrants();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', signedAs(ALICE_FROM_UNTRUSTED_ACCOUNT_ARN, 'alice'), {
      params: { grantId: PENDING_ID },
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('NOT_A_PERSON');
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses an IAM user of a configured name in another account', async () => {
    // Prepare
    await prepareGrants();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', signedAs('arn:aws:iam::999988887777:user/bob', 'bob'), {
      params: { grantId: PENDING_ID },
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('NOT_A_PERSON');
    expect(writeCounts(h)).toEqual(before);
  });
});

describe('sponsors request access only for the vendors they sponsor', () => {
  /** Frank sponsors globex alone; dana sponsors acme alone. */
  const globexSponsoredByFrankOnly = () =>
    configWithFrank((raw) => {
      raw.vendors[1]!.sponsors = ['frank'];
    });
  const globexRequest = requestBody({ vendorId: 'globex', targets: [BILLING_2], ports: [] });

  it("refuses a sponsor's request for a vendor they do not sponsor with 403 NOT_A_SPONSOR naming vendorId", async () => {
    // Prepare
    await prepareGrants(globexSponsoredByFrankOnly());
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: globexRequest });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: 'NOT_A_SPONSOR', field: 'vendorId' });
    expect(writeCounts(h)).toEqual(before);
  });

  it("accepts the same request from that vendor's sponsor", async () => {
    // Prepare
    await prepareGrants(globexSponsoredByFrankOnly());

    // Act
    const answer = await callApi(h, 'createRequest', FRANK, { body: globexRequest });

    // Assess
    expect(answer.status).toBe(202);
    expect(h.aws.executions).toHaveLength(1);
  });
});

describe('break-glass requests', () => {
  it('are accepted from a break-glass person who sponsors no vendor', async () => {
    // Prepare
    await prepareGrants();

    // Act
    const answer = await callApi(h, 'createRequest', ERIN, { body: requestBody({ breakGlass: true }) });

    // Assess
    expect(answer.status).toBe(202);
    expect(parsedResponse('createRequest', answer.body).breakGlass).toBe(true);
  });

  it('are refused to a sponsor who is not a break-glass person with 403 NOT_BREAK_GLASS', async () => {
    // Prepare
    await prepareGrants();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'createRequest', DANA, { body: requestBody({ breakGlass: true }) });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: 'NOT_BREAK_GLASS', field: 'breakGlass' });
    expect(writeCounts(h)).toEqual(before);
  });
});

describe('the requester never votes on their own request, even as an approver who sponsors the vendor', () => {
  const OWN_ID = 'grant-authz-own-request';

  /** Alice approves and also sponsors acme; she requested OWN_ID herself. */
  async function prepareAliceRequest(): Promise<void> {
    h = createHarness({
      config: configWithFrank((raw) => {
        raw.vendors[0]?.sponsors.push('alice');
      }),
    });
    await seedPending(h, OWN_ID, requestInput({ requester: ALICE }));
    h.aws.clearCallLog();
  }

  it.each([
    ['approve', {}],
    ['deny', { reason: 'changed my mind about it' }],
  ] as const)('%s by the requester is refused with 403 SELF_APPROVAL, and no vote is kept', async (route, body) => {
    // Prepare
    await prepareAliceRequest();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, route, ALICE, { params: { grantId: OWN_ID }, body });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('SELF_APPROVAL');
    expect(writeCounts(h)).toEqual(before);
    expect(await statusOf(h, OWN_ID)).toBe('PENDING');
  });

  it('a vote by the requester under a second Identity Center role is refused with SELF_APPROVAL too', async () => {
    // Prepare
    await prepareAliceRequest();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', ALICE_VIA_SECOND_PERMISSION_SET, {
      params: { grantId: OWN_ID },
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('SELF_APPROVAL');
    expect(writeCounts(h)).toEqual(before);
  });

  it('two other approvers approve it', async () => {
    // Prepare
    await prepareAliceRequest();
    await callApi(h, 'approve', BOB, { params: { grantId: OWN_ID } });

    // Act
    const answer = await callApi(h, 'approve', CAROL, { params: { grantId: OWN_ID } });

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('approve', answer.body)).toMatchObject({ status: 'APPROVED', approvals: ['bob', 'carol'] });
  });
});

describe('one person under two session names is one person', () => {
  it('an Identity Center user voting again through a second permission-set role gets 409 DUPLICATE_VOTE', async () => {
    // Prepare
    await prepareGrants();
    await callApi(h, 'approve', ALICE, { params: { grantId: PENDING_ID } });
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'approve', ALICE_VIA_SECOND_PERMISSION_SET, {
      params: { grantId: PENDING_ID },
    });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('DUPLICATE_VOTE');
    expect(await h.ledger.listVotes(PENDING_ID)).toEqual([
      expect.objectContaining({ person: 'alice', arn: ALICE.arn }),
    ]);
    expect(await statusOf(h, PENDING_ID)).toBe('PENDING');
    expect(h.aws.taskCallbacks).toEqual([]);
    expect(writeCounts(h).awsMutatingCalls).toBe(before.awsMutatingCalls);
  });

  it('whoami resolves both of her roles to alice', async () => {
    // Prepare
    await prepareGrants();

    // Act
    const first = await callApi(h, 'whoami', ALICE);
    const second = await callApi(h, 'whoami', ALICE_VIA_SECOND_PERMISSION_SET);

    // Assess
    expect(parsedResponse('whoami', first.body).person).toBe('alice');
    expect(parsedResponse('whoami', second.body).person).toBe('alice');
  });
});

interface ForgedBody {
  readonly route: RouteName;
  readonly caller: Caller;
  readonly params: Readonly<Record<string, string>>;
  readonly field: string;
  readonly body: unknown;
}

describe('a body that names a person is refused, whoever it names', () => {
  it.each<ForgedBody>([
    {
      route: 'createRequest',
      caller: DANA,
      params: {},
      field: 'requester',
      body: { ...requestBody(), requester: DANA },
    },
    {
      route: 'extend',
      caller: DANA,
      params: { grantId: ACTIVE_ID },
      field: 'requester',
      body: { byMinutes: 30, requester: 'frank' },
    },
    { route: 'approve', caller: ALICE, params: { grantId: PENDING_ID }, field: 'approver', body: { approver: 'bob' } },
    {
      route: 'approve',
      caller: ALICE,
      params: { grantId: PENDING_ID },
      field: 'approvedBy',
      body: { approvedBy: ['alice', 'bob'] },
    },
    {
      route: 'deny',
      caller: BOB,
      params: { grantId: PENDING_ID },
      field: 'approver',
      body: { reason: 'no change window', approver: 'bob' },
    },
    {
      route: 'revoke',
      caller: ERIN,
      params: { grantId: ACTIVE_ID },
      field: 'actor',
      body: { reason: 'the vendor finished', actor: 'erin' },
    },
    {
      route: 'disableVendor',
      caller: ERIN,
      params: { vendorId: 'acme' },
      field: 'actor',
      body: { reason: 'the contract ended', actor: 'erin' },
    },
    {
      route: 'enableVendor',
      caller: ERIN,
      params: { vendorId: 'acme' },
      field: 'user',
      body: { reason: 'the contract was renewed', user: 'alice' },
    },
    {
      route: 'unlockVendor',
      caller: ERIN,
      params: { vendorId: 'acme' },
      field: 'person',
      body: { reason: 'the attempts were a misconfigured script', person: 'erin' },
    },
  ])(
    '$route by $caller.person with "$field" in the body is refused with 400 IDENTITY_IN_BODY, and nothing is written',
    async ({ route, caller, params, field, body }) => {
      // Prepare
      await prepareGrants();
      const before = writeCounts(h);

      // Act
      const answer = await callApi<ErrorBody>(h, route, caller, { params, body });

      // Assess
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'IDENTITY_IN_BODY', field });
      expect(writeCounts(h)).toEqual(before);
    },
  );
});
