import { ValidationError } from '../../lambdas/domain/errors';
import { INBOUND_RULES_PER_SECURITY_GROUP } from '../../lambdas/domain/quotas';
import {
  BILLING_1,
  BILLING_SG,
  createHarness,
  rejectionOf,
  requestInput,
  seedPending,
  T0,
  TARGET_GROUP_TAG,
  UNTAGGED,
  WEB_1,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-validate-0001';
const WINDOWS_IN_BILLING = 'i-0ddddddddddddddd4';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

/** Runs validate-request and returns the ValidationError it must throw. */
async function validationErrorOf(input: Record<string, unknown>, grantId = GRANT_ID): Promise<ValidationError> {
  const error = await rejectionOf(h.handlers.validateRequest({ input, grantId }));
  if (error instanceof ValidationError) return error;
  throw error;
}

describe('validate-request', () => {
  it('returns the grant id, start, request, resolved targets and plan of a valid request', async () => {
    // Act
    const result = await h.handlers.validateRequest({ input: requestInput(), grantId: GRANT_ID });

    // Assess
    expect(result.grantId).toBe(GRANT_ID);
    expect(result.startAt).toBe(T0);
    expect(result.request).toMatchObject({ grantId: GRANT_ID, vendorId: 'acme', targets: [BILLING_1] });
    expect(result.targets).toEqual([{ kind: 'instances', targetGroup: 'billing-db', instanceIds: [BILLING_1] }]);
    expect(result.plan.role.name).toBe(`jit-${GRANT_ID}`);
    expect(result.plan.ingressRules).toEqual([
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '203.0.113.0/24' },
      { securityGroupId: BILLING_SG, protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '198.51.100.16/28' },
    ]);
  });

  it('makes no mutating AWS call and writes nothing to the ledger for a valid request', async () => {
    // Act
    await h.handlers.validateRequest({ input: requestInput(), grantId: GRANT_ID });

    // Assess
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toEqual([]);
  });

  it('rejects an unknown vendor naming the vendorId field, and writes nothing', async () => {
    // Act
    const error = await validationErrorOf(requestInput({ vendorId: 'initech' }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.ValidationError', field: 'vendorId', code: 'UNKNOWN_VENDOR' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toEqual([]);
  });

  it('rejects an instance in none of the vendor eligible groups naming the target, and writes nothing', async () => {
    // Act
    const error = await validationErrorOf(requestInput({ targets: [BILLING_1, WEB_1] }));

    // Assess
    expect(error).toMatchObject({ field: 'targets[1]', code: 'TARGET_NOT_ELIGIBLE' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toEqual([]);
  });

  it('rejects a whole target group that holds a Windows instance, naming the group target, and writes nothing', async () => {
    // Prepare
    h.aws.addInstance({
      instanceId: WINDOWS_IN_BILLING,
      state: 'running',
      tags: { [TARGET_GROUP_TAG]: 'billing-db' },
      platform: 'windows',
    });

    // Act
    const error = await validationErrorOf(requestInput({ targets: ['group:billing-db'] }));

    // Assess
    expect(error).toMatchObject({ field: 'targets[0]', code: 'WINDOWS_NOT_SUPPORTED' });
    expect(error.message).toContain(WINDOWS_IN_BILLING);
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toEqual([]);
  });

  it('accepts a whole target group whose members all run Linux, reading its members once', async () => {
    // Act
    const result = await h.handlers.validateRequest({
      input: requestInput({ targets: ['group:billing-db'] }),
      grantId: GRANT_ID,
    });

    // Assess
    expect(result.targets).toEqual([expect.objectContaining({ kind: 'group', targetGroup: 'billing-db' })]);
    expect(h.aws.countOf('DescribeInstances')).toBe(1);
  });

  it('rejects an instance that carries no target-group tag', async () => {
    // Act
    const error = await validationErrorOf(requestInput({ targets: [UNTAGGED] }));

    // Assess
    expect(error).toMatchObject({ field: 'targets[0]', code: 'TARGET_NOT_ELIGIBLE' });
  });

  it('rejects more rules than the security group has room for, naming the ports field', async () => {
    // Prepare
    for (let i = 0; i < INBOUND_RULES_PER_SECURITY_GROUP - 1; i++) {
      h.aws.seedIngressRule({
        groupId: BILLING_SG,
        protocol: 'tcp',
        fromPort: 1000 + i,
        toPort: 1000 + i,
        cidr: '192.0.2.0/24',
        description: undefined,
        tags: {},
      });
    }

    // Act
    const error = await validationErrorOf(requestInput());

    // Assess
    expect(error).toMatchObject({ field: 'ports', code: 'SECURITY_GROUP_FULL' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.ledger.writes).toEqual([]);
  });

  it('accepts the request when the security group has exactly enough room left', async () => {
    // Prepare
    for (let i = 0; i < INBOUND_RULES_PER_SECURITY_GROUP - 2; i++) {
      h.aws.seedIngressRule({
        groupId: BILLING_SG,
        protocol: 'tcp',
        fromPort: 1000 + i,
        toPort: 1000 + i,
        cidr: '192.0.2.0/24',
        description: undefined,
        tags: {},
      });
    }

    // Act
    const result = await h.handlers.validateRequest({ input: requestInput(), grantId: GRANT_ID });

    // Assess
    expect(result.plan.ingressRules).toHaveLength(2);
  });

  it('rejects a grant id that is already in the ledger, and writes nothing more', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    const writesBefore = h.ledger.writes.length;
    h.aws.clearCallLog();

    // Act
    const error = await validationErrorOf(requestInput(), GRANT_ID);

    // Assess
    expect(error).toMatchObject({
      field: 'grantId',
      code: 'DUPLICATE_GRANT',
      message: `grantId: grant ${GRANT_ID} already exists: use a new grant id`,
    });
    expect(h.ledger.writes).toHaveLength(writesBefore);
    expect(h.aws.mutatingCalls).toEqual([]);
  });
});
