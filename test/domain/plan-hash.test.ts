import { planGrant, type PlanContext } from '../../lambdas/domain/planner';
import { canonicalJson, planHash } from '../../lambdas/domain/plan-hash';
import type { GrantPlan } from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';

const CONTEXT: PlanContext = {
  env: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws' },
  iamPath: '/jit-access/',
  permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary',
  sessionDocumentName: 'JitAccess-VendorShell',
  sessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  scheduleGroupName: 'jit-access',
  securityGroups: { 'billing-db': 'sg-0123456789abcdef0' },
};

function acmePlan(): GrantPlan {
  const acme = exampleConfig().vendors.find((v) => v.id === 'acme');
  if (!acme) throw new Error('the example config has no vendor "acme"');
  return planGrant(
    { grantId: 'grant-20300301-0001', ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }] },
    [{ kind: 'instances', targetGroup: 'billing-db', instanceIds: ['i-0aaaaaaaaaaaaaaa1'] }],
    acme,
    { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' },
    CONTEXT,
  );
}

/** `value` rebuilt with the keys of every object in reverse order: the same data, written differently. */
function withKeysReversed<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withKeysReversed) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, withKeysReversed(v)]),
    ) as T;
  }
  return value;
}

describe('canonicalJson', () => {
  test('writes the keys of every object in sorted order, at every level', () => {
    // Prepare
    const value = { b: 1, a: { d: [{ f: 1, e: 2 }], c: 'x' } };

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('{"a":{"c":"x","d":[{"e":2,"f":1}]},"b":1}');
  });

  test('orders keys by UTF-16 code unit, digits before capitals before lower case, whatever order they came in', () => {
    // Prepare
    const value = { b: 1, B: 2, a: 3, _: 4, '10': 5, '9': 6 };

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('{"10":5,"9":6,"B":2,"_":4,"a":3,"b":1}');
  });

  test('writes null as JSON null, as a value and as a list item', () => {
    // Prepare
    const value = { a: null, b: [null, 1] };

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('{"a":null,"b":[null,1]}');
  });

  test('writes a value that is not an object or a list as JSON does', () => {
    // Prepare
    const values = [null, 7, 'text', true];

    // Act
    const json = values.map(canonicalJson);

    // Assess
    expect(json).toEqual(['null', '7', '"text"', 'true']);
  });

  test('keeps the order of list items', () => {
    // Prepare
    const value = ['b', 'a'];

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('["b","a"]');
  });

  test('leaves out keys whose value is undefined, as JSON does', () => {
    // Prepare
    const value = { a: 1, b: undefined };

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('{"a":1}');
  });

  test('escapes keys and strings as JSON', () => {
    // Prepare
    const value = { 'say "hi"': 'line\nbreak' };

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('{"say \\"hi\\"":"line\\nbreak"}');
  });
});

describe('planHash', () => {
  test('is 64 lower-case hex digits, a SHA-256', () => {
    // Prepare
    const plan = acmePlan();

    // Act
    const hash = planHash(plan);

    // Assess
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('is the same for the same plan planned twice', () => {
    // Prepare
    const first = acmePlan();
    const second = acmePlan();

    // Act
    const hashes = [planHash(first), planHash(second)];

    // Assess
    expect(hashes[0]).toBe(hashes[1]);
  });

  test('does not depend on the order in which the plan was written', () => {
    // Prepare
    const plan = acmePlan();
    const reordered = withKeysReversed(plan);

    // Act
    const hash = planHash(reordered);

    // Assess
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(plan));
    expect(hash).toBe(planHash(plan));
  });

  test.each<[string, (plan: GrantPlan) => GrantPlan]>([
    ['a later expiry', (p) => ({ ...p, window: { ...p.window, expiresAt: '2030-03-01T11:00:01.000Z' } })],
    ['another grant id', (p) => ({ ...p, grantId: 'grant-20300301-0002' })],
    ['another vendor', (p) => ({ ...p, vendorId: 'globex' })],
    ['another role name', (p) => ({ ...p, role: { ...p.role, name: 'jit-other' } })],
    [
      'another OS user',
      (p) => ({ ...p, role: { ...p.role, tags: { ...p.role.tags, SSMSessionRunAs: 'acme-admin' } } }),
    ],
    [
      'one more vendor principal in the trust policy',
      (p) => {
        const [statement] = p.role.trustPolicy.Statement;
        const principal = { AWS: [...(statement?.Principal?.AWS ?? []), 'arn:aws:iam::444455556666:root'] };
        return {
          ...p,
          role: {
            ...p.role,
            trustPolicy: { ...p.role.trustPolicy, Statement: [{ ...statement!, Principal: principal }] },
          },
        };
      },
    ],
    [
      'one more session policy statement',
      (p) => ({
        ...p,
        role: {
          ...p.role,
          inlinePolicy: {
            ...p.role.inlinePolicy,
            Statement: [...p.role.inlinePolicy.Statement, { Sid: 'More', Effect: 'Allow', Action: 'ssm:*' }],
          },
        },
      }),
    ],
    ['a wider ingress port', (p) => ({ ...p, ingressRules: p.ingressRules.map((r) => ({ ...r, toPort: 5433 })) })],
    ['another ingress CIDR', (p) => ({ ...p, ingressRules: p.ingressRules.map((r) => ({ ...r, cidr: '0.0.0.0/1' })) })],
    ['ingress rules in another order', (p) => ({ ...p, ingressRules: [...p.ingressRules].reverse() })],
    ['another revoke schedule', (p) => ({ ...p, schedule: { ...p.schedule, expression: 'at(2030-03-02T11:00:00)' } })],
  ])('changes when the plan has %s', (_change, change) => {
    // Prepare
    const plan = acmePlan();
    const changed = change(plan);

    // Act
    const hash = planHash(changed);

    // Assess
    expect(hash).not.toBe(planHash(plan));
  });
});
