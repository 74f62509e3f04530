import { ValidationError } from '../../lambdas/domain/errors';
import { checkExtension, extensionBody, extensionDelta } from '../../lambdas/domain/extension';
import type { Caller } from '../../lambdas/domain/identity';
import { planGrant, type PlanContext } from '../../lambdas/domain/planner';
import { planHash } from '../../lambdas/domain/plan-hash';
import type { AccessRequest, GrantRecord, GrantStatus, RequestBody } from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';
import { ACCOUNT_ID, BILLING_1, BILLING_2, DANA } from '../helpers/handler-deps';

const GRANT_ID = 'grant-20300301-0001';
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';

const CONTEXT: PlanContext = {
  env: { accountId: ACCOUNT_ID, region: 'eu-west-1', partition: 'aws' },
  iamPath: '/jit-access/',
  permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary',
  sessionDocumentName: 'JitAccess-VendorShell',
  sessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  scheduleGroupName: 'jit-access',
  securityGroups: { 'billing-db': 'sg-0123456789abcdef0' },
};

/** Dana's active hour of acme on two billing-db instances with Postgres open, ending at EXPIRES_AT. */
function activeGrant(options: { status?: GrantStatus; request?: Partial<AccessRequest> } = {}): GrantRecord {
  const request: AccessRequest = {
    grantId: GRANT_ID,
    vendorId: 'acme',
    requester: DANA,
    targets: [BILLING_1, BILLING_2],
    durationMinutes: 60,
    ticket: 'CHG-1234',
    reason: 'Investigate slow billing queries reported in the ticket',
    ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
    ...options.request,
  };
  const acme = exampleConfig().vendors[0]!;
  const targets = [{ kind: 'instances' as const, targetGroup: 'billing-db', instanceIds: [BILLING_1, BILLING_2] }];
  const plan = planGrant(
    request,
    targets,
    acme,
    { startAt: '2030-03-01T09:00:00.000Z', expiresAt: EXPIRES_AT },
    CONTEXT,
  );
  return {
    grantId: GRANT_ID,
    status: options.status ?? 'ACTIVE',
    request,
    targets,
    plan,
    planHash: planHash(plan),
    approvals: ['alice', 'bob'],
    created: {},
    history: [],
    expiresAt: EXPIRES_AT,
    createdAt: '2030-03-01T08:30:00.000Z',
    updatedAt: '2030-03-01T09:00:00.000Z',
  };
}

/** The extension request the API submits for `original`, by dana, with `change` applied. */
function extensionRequest(
  original: GrantRecord,
  change: Partial<RequestBody> = {},
): RequestBody & { readonly extends?: string; readonly requester: Caller } {
  return { ...extensionBody(original, 30), extends: original.grantId, requester: DANA, ...change };
}

/** The ValidationError `act` throws; any other outcome fails the test. */
function validationErrorOf(act: () => unknown): ValidationError {
  try {
    act();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

describe('extensionBody', () => {
  test('asks for the same vendor, targets and ports, from the expiry, for the extra minutes', () => {
    // Prepare
    const original = activeGrant();

    // Act
    const body = extensionBody(original, 30);

    // Assess
    expect(body).toEqual({
      vendorId: 'acme',
      targets: [BILLING_1, BILLING_2],
      ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
      durationMinutes: 30,
      startAt: EXPIRES_AT,
      ticket: 'CHG-1234',
      reason: `extends ${GRANT_ID}: Investigate slow billing queries reported in the ticket`,
    });
  });

  test('uses the reason and ticket given for the extension instead of the original ones', () => {
    // Prepare
    const original = activeGrant();

    // Act
    const body = extensionBody(original, 30, { reason: 'The migration runs longer than planned', ticket: 'CHG-1300' });

    // Assess
    expect(body).toMatchObject({ reason: 'The migration runs longer than planned', ticket: 'CHG-1300' });
  });

  test('names no ports when the original grant opened none', () => {
    // Prepare
    const original = activeGrant({ request: { ports: undefined } });

    // Act
    const body = extensionBody(original, 30);

    // Assess
    expect(body).not.toHaveProperty('ports');
  });

  test('keeps the derived reason within the 1000 characters a reason may hold', () => {
    // Prepare
    const original = activeGrant({ request: { reason: 'x'.repeat(1000) } });

    // Act
    const body = extensionBody(original, 30);

    // Assess
    expect(body.reason).toHaveLength(1000);
    expect(body.reason.startsWith(`extends ${GRANT_ID}: `)).toBe(true);
  });

  test.each<GrantStatus>(['PENDING', 'APPROVED', 'REVOKED', 'EXPIRED'])(
    'refuses to extend a grant that is %s',
    (status) => {
      // Prepare
      const original = activeGrant({ status });

      // Act
      const error = validationErrorOf(() => extensionBody(original, 30));

      // Assess
      expect(error).toMatchObject({ field: 'grantId', code: 'NOT_ACTIVE' });
      expect(error.message).toContain(`grant ${GRANT_ID} is ${status}: only an active grant can be extended`);
    },
  );
});

describe('checkExtension', () => {
  test('accepts a request that is no extension without looking for an original', () => {
    // Prepare
    const request = { ...extensionBody(activeGrant(), 30), requester: DANA };

    // Act
    const act = () => checkExtension(request, undefined);

    // Assess
    expect(act).not.toThrow();
  });

  test('accepts an extension asking for exactly the original access from its expiry', () => {
    // Prepare
    const original = activeGrant();
    const request = extensionRequest(original);

    // Act
    const act = () => checkExtension(request, original);

    // Assess
    expect(act).not.toThrow();
  });

  test('refuses an extension of a grant that does not exist', () => {
    // Prepare
    const request = extensionRequest(activeGrant());

    // Act
    const error = validationErrorOf(() => checkExtension(request, undefined));

    // Assess
    expect(error).toMatchObject({ field: 'extends', code: 'UNKNOWN_GRANT' });
    expect(error.message).toContain(`there is no grant ${GRANT_ID} to extend`);
  });

  test('refuses an extension of a grant that is no longer active', () => {
    // Prepare
    const request = extensionRequest(activeGrant());
    const revoked = activeGrant({ status: 'REVOKED' });

    // Act
    const error = validationErrorOf(() => checkExtension(request, revoked));

    // Assess
    expect(error).toMatchObject({ code: 'NOT_ACTIVE' });
  });

  test.each<[string, Partial<RequestBody>]>([
    ['another vendor', { vendorId: 'globex' }],
    ['another instance', { targets: [BILLING_1] }],
    ['the same instances in another order', { targets: [BILLING_2, BILLING_1] }],
    ['another port', { ports: [{ protocol: 'tcp', fromPort: 5433, toPort: 5433 }] }],
    ['no port at all', { ports: undefined }],
    ['a start before the expiry', { startAt: '2030-03-01T09:30:00.000Z' }],
    ['break-glass', { breakGlass: true }],
  ])('refuses an extension asking for %s', (_change, change) => {
    // Prepare
    const original = activeGrant();
    const request = extensionRequest(original, change);

    // Act
    const error = validationErrorOf(() => checkExtension(request, original));

    // Assess
    expect(error).toMatchObject({ field: 'extends', code: 'EXTENSION_MISMATCH' });
    expect(error.message).toContain(`use "jit-access extend ${GRANT_ID} --by <minutes>"`);
  });
});

describe('extensionDelta', () => {
  test('says what stays and until when the access continues', () => {
    // Prepare
    const original = activeGrant();

    // Act
    const delta = extensionDelta(original, '2030-03-01T10:30:00.000Z');

    // Assess
    expect(delta).toBe(
      `extends grant ${GRANT_ID}: same vendor, targets and ports; access that would end at ${EXPIRES_AT} continues until 2030-03-01T10:30:00.000Z (a new role the vendor assumes then)`,
    );
  });
});
