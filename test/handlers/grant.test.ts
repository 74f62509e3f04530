import type { GrantUpdate } from '../../lambdas/adapters/ledger';
import { GrantFailedError } from '../../lambdas/domain/errors';
import { planHash } from '../../lambdas/domain/plan-hash';
import { EXPIRES_TAG, GRANT_TAG, ingressRuleKey, planGrant } from '../../lambdas/domain/planner';
import { planContext } from '../../lambdas/shared/dependencies';
import type { GrantRecord } from '../../lambdas/domain/types';
import { createGrantHandler } from '../../lambdas/handlers/grant';
import type { ValidatedWorkflowState } from '../../lambdas/handlers/validate-request';
import { exampleConfig } from '../helpers/config-fixture';
import type { FakeRole } from '../helpers/fake-aws';
import {
  ACCOUNT_ID,
  ALICE,
  callApi,
  BILLING_1,
  BILLING_2,
  BILLING_SG,
  createHarness,
  rejectionOf,
  requestInput,
  seedActive,
  seedApprovedExtension,
  seedApproved,
  seedPending,
  statusOf,
  testSettings,
  T0,
  WEB_SG,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-grant-0001';
const ROLE_NAME = `jit-${GRANT_ID}`;
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
const settings = testSettings();

let h: Harness;
let approved: ValidatedWorkflowState;
afterEach(() => h.restore());

/** A harness holding GRANT_ID APPROVED by alice and bob (dana's acme request by default). */
async function prepareApproved(input: Record<string, unknown> = requestInput()): Promise<void> {
  h = createHarness();
  approved = await seedApproved(h, GRANT_ID, input);
  h.aws.clearCallLog();
}

async function grantFailure(): Promise<GrantFailedError> {
  const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));
  if (error instanceof GrantFailedError) return error;
  throw error;
}

/**
 * Rewrites fields of the stored grant as anyone able to write the table could. The ledger's GrantUpdate names only
 * the fields the system itself changes; like DynamoDB, the in-memory ledger writes whatever it is given.
 */
async function tamperWith(change: (grant: GrantRecord) => Partial<GrantRecord>): Promise<void> {
  const grant = await h.ledger.getGrant(GRANT_ID);
  if (!grant) throw new Error(`no grant ${GRANT_ID} to tamper with`);
  const entry = { at: T0, actor: 'someone-with-table-access', event: 'edited the record' };
  await h.ledger.appendHistory(GRANT_ID, entry, change(grant) as GrantUpdate);
}

describe('grant', () => {
  it('creates the role under the stack path with the boundary, the run-as tag and the vendor trust policy', async () => {
    // Prepare
    await prepareApproved();

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    const role = h.aws.roles.get(ROLE_NAME);
    expect(role).toMatchObject({
      path: '/jit-access/',
      arn: `arn:aws:iam::${ACCOUNT_ID}:role/jit-access/${ROLE_NAME}`,
      permissionsBoundaryArn: settings.permissionsBoundaryArn,
      maxSessionDuration: 3600,
    });
    expect(role?.tags).toMatchObject({
      SSMSessionRunAs: 'acme-support',
      'jit-access:grant-id': GRANT_ID,
      'jit-access:expires-at': EXPIRES_AT,
    });
    expect(role?.trustPolicy).toEqual(approved.plan.role.trustPolicy);
  });

  it('puts the planned session policy inline on the role', async () => {
    // Prepare
    await prepareApproved();

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    const policies = h.aws.roles.get(ROLE_NAME)?.inlinePolicies;
    expect([...(policies?.keys() ?? [])]).toEqual(['jit-session-access']);
    expect(policies?.get('jit-session-access')).toEqual(approved.plan.role.inlinePolicy);
  });

  it('opens one ingress rule per vendor CIDR, tagged and described with the grant id', async () => {
    // Prepare
    await prepareApproved();

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    const rules = h.aws.rulesIn(BILLING_SG);
    expect(rules.map((r) => r.cidr)).toEqual(['203.0.113.0/24', '198.51.100.16/28']);
    for (const rule of rules) {
      expect(rule).toMatchObject({ protocol: 'tcp', fromPort: 5432, toPort: 5432 });
      expect(rule.description).toBe(`jit-access grant ${GRANT_ID}`);
      expect(rule.tags).toEqual({ 'jit-access:grant-id': GRANT_ID, 'jit-access:managed': 'true' });
    }
  });

  it('creates a one-time schedule at expiry that invokes revoke, with retries and a dead-letter queue', async () => {
    // Prepare
    await prepareApproved();

    // Act
    await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    const schedule = h.aws.schedules.get(`${settings.scheduleGroupName}/${ROLE_NAME}`);
    expect(schedule?.input).toMatchObject({
      ScheduleExpression: 'at(2030-03-01T10:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: settings.revokeFunctionArn,
        RoleArn: settings.schedulerRoleArn,
        DeadLetterConfig: { Arn: settings.schedulerDlqArn },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      },
    });
    expect(JSON.parse(schedule?.input.Target?.Input ?? '{}')).toEqual({ grantId: GRANT_ID, reason: 'expiry' });
  });

  it('records every created id in the ledger and leaves the grant ACTIVE until expiry', async () => {
    // Prepare
    await prepareApproved();

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('ACTIVE');
    expect(grant?.expiresAt).toBe(EXPIRES_AT);
    expect(grant?.created).toEqual({
      roleArn: result.roleArn,
      inlinePolicyName: 'jit-session-access',
      securityGroupRuleIds: h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId),
      scheduleArn: result.scheduleArn,
    });
    expect(result).toMatchObject({ status: 'ACTIVE', startAt: T0, expiresAt: EXPIRES_AT });
  });

  it('gives a late approval its full duration, from the moment it is granted', async () => {
    // Prepare
    await prepareApproved();
    h.clock.set('2030-03-01T11:30:00.000Z');

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(result).toMatchObject({ startAt: '2030-03-01T11:30:00.000Z', expiresAt: '2030-03-01T12:30:00.000Z' });
  });

  it('run twice makes no mutating call the second time and returns the same result', async () => {
    // Prepare
    await prepareApproved();
    const first = await h.handlers.grant({ grantId: GRANT_ID });
    h.aws.clearCallLog();

    // Act
    const second = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(second).toEqual(first);
  });

  it.each([
    ['CreateRole', 1],
    ['PutRolePolicy', 1],
    // Both of the grant's rules are in one group: they open in one call.
    ['AuthorizeSecurityGroupIngress', 1],
    ['CreateSchedule', 1],
  ])('a failure of %s (call %i) leaves no role, policy, rule or schedule and ends FAILED', async (command, nth) => {
    // Prepare
    await prepareApproved();
    h.aws.failOn(command, { nth });

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.name).toBe('jit.GrantFailed');
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.schedules.size).toBe(0);
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('FAILED');
    expect(grant?.residueCheck?.residue).toEqual({
      roles: [],
      policies: [],
      securityGroupRules: [],
      schedules: [],
      sessions: [],
      osAccounts: [],
    });
  });

  it('a failure of the final activation in the ledger removes everything and ends FAILED', async () => {
    // Prepare
    await prepareApproved();
    h.ledger.failNextTransitionTo('ACTIVE');

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('activate');
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.schedules.size).toBe(0);
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });

  it('a failed grant releases its claim on the ingress rules in the ledger', async () => {
    // Prepare
    await prepareApproved();
    h.aws.failOn('CreateSchedule');

    // Act
    await grantFailure();

    // Assess
    for (const rule of approved.plan.ingressRules) {
      expect(await h.ledger.getRule(ingressRuleKey(rule))).toBeUndefined();
    }
  });

  it('shares the rules another active grant already opened instead of opening them again', async () => {
    // Prepare
    await prepareApproved();
    const first = await h.handlers.grant({ grantId: GRANT_ID });
    h.aws.clearCallLog();

    // Act
    const second = await seedActive(h, 'grant-grant-0002', requestInput({ targets: [BILLING_2] }));

    // Assess
    expect(h.aws.countOf('AuthorizeSecurityGroupIngress')).toBe(0);
    expect(second.securityGroupRuleIds).toEqual(first.securityGroupRuleIds);
    expect(h.aws.rulesIn(BILLING_SG)).toHaveLength(2);
    const holding = await h.ledger.getRule(ingressRuleKey(approved.plan.ingressRules[0]!));
    expect(holding?.holders).toEqual([GRANT_ID, 'grant-grant-0002']);
  });

  it('names both holders beside a rule it shares, in one call per group, and nothing when it shares none', async () => {
    // Prepare
    await prepareApproved();
    await h.handlers.grant({ grantId: GRANT_ID });
    const alone = h.aws.countOf('UpdateSecurityGroupRuleDescriptionsIngress');
    h.aws.clearCallLog();

    // Act
    await seedActive(h, 'grant-grant-0002', requestInput({ targets: [BILLING_2] }));

    // Assess
    expect(alone).toBe(0);
    expect(h.aws.countOf('UpdateSecurityGroupRuleDescriptionsIngress')).toBe(1);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.description)).toEqual([
      `jit-access grants ${GRANT_ID}, grant-grant-0002`,
      `jit-access grants ${GRANT_ID}, grant-grant-0002`,
    ]);
  });

  it('a grant whose shared rules cannot be described is still granted', async () => {
    // Prepare
    await prepareApproved();
    await h.handlers.grant({ grantId: GRANT_ID });
    h.aws.failOn('UpdateSecurityGroupRuleDescriptionsIngress');

    // Act
    const second = await seedActive(h, 'grant-grant-0002', requestInput({ targets: [BILLING_2] }));

    // Assess
    expect(second.status).toBe('ACTIVE');
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.description)).toEqual([
      `jit-access grant ${GRANT_ID}`,
      `jit-access grant ${GRANT_ID}`,
    ]);
  });

  it('a failed grant keeps open the rules another active grant shares with it', async () => {
    // Prepare
    await prepareApproved();
    const first = await h.handlers.grant({ grantId: GRANT_ID });
    await seedApproved(h, 'grant-grant-0002', requestInput({ targets: [BILLING_2] }));
    h.aws.failOn('CreateSchedule');

    // Act
    const granting = h.handlers.grant({ grantId: 'grant-grant-0002' });

    // Assess
    await expect(granting).rejects.toMatchObject({ name: 'jit.GrantFailed' });
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual(first.securityGroupRuleIds);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.description)).toEqual(Array(2).fill(`jit-access grant ${GRANT_ID}`));
    const holding = await h.ledger.getRule(ingressRuleKey(approved.plan.ingressRules[0]!));
    expect(holding?.holders).toEqual([GRANT_ID]);
  });

  it('refuses to adopt a role of the same name that another party created: no session policy goes on it', async () => {
    // Prepare
    await prepareApproved();
    h.aws.seedRole(ROLE_NAME, '/jit-access/', { 'jit-access:grant-id': 'someone-else' });

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('create role');
    expect(error.message).toContain('is not the one this grant makes (permissions boundary): refusing to adopt it');
    expect(h.aws.mutatingCalls).not.toContainEqual({
      command: 'PutRolePolicy',
      target: `${ROLE_NAME}/jit-session-access`,
    });
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });

  describe('adopting a role of the grant role name on a retry', () => {
    /** Creates the planned role as a first attempt would have, then lets `plant` change it as an attacker could. */
    async function plantedRole(plant: (role: FakeRole) => FakeRole | void): Promise<string> {
      await prepareApproved();
      await h.deps.roles.createRole(approved.plan.role);
      const role = h.aws.roles.get(ROLE_NAME) as FakeRole;
      const changed = plant(role);
      if (changed) h.aws.roles.set(ROLE_NAME, changed);
      return h.deps.roles.createRole(approved.plan.role);
    }

    it('adopts the role a previous attempt made, exactly as planned, even with its session policy already on', async () => {
      // Act
      const arn = await plantedRole((role) => {
        role.inlinePolicies.set('jit-session-access', approved.plan.role.inlinePolicy);
      });

      // Assess
      expect(await arn).toBe(`arn:aws:iam::111122223333:role/jit-access/${ROLE_NAME}`);
    });

    it('a grant that adopts its role puts the planned session policy on it, whatever policy of that name was there', async () => {
      // Prepare: a first attempt made the role; its session policy was then changed under the same name.
      await prepareApproved();
      await h.deps.roles.createRole(approved.plan.role);
      h.aws.roles.get(ROLE_NAME)?.inlinePolicies.set('jit-session-access', {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      });

      // Act
      await h.handlers.grant({ grantId: GRANT_ID });

      // Assess
      expect(h.aws.roles.get(ROLE_NAME)?.inlinePolicies.get('jit-session-access')).toEqual(
        approved.plan.role.inlinePolicy,
      );
    });

    it.each<[string, (role: FakeRole) => FakeRole | void]>([
      ['path /elsewhere/', (role) => ({ ...role, path: '/elsewhere/' })],
      ['permissions boundary', (role) => ({ ...role, permissionsBoundaryArn: undefined })],
      [
        'permissions boundary',
        (role) => ({ ...role, permissionsBoundaryArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
      ],
      ['grant tag', (role) => ({ ...role, tags: { ...role.tags, [GRANT_TAG]: 'grant-someone-else' } })],
      [
        'tags',
        (role) => {
          const { [EXPIRES_TAG]: _expiry, ...tags } = role.tags;
          return { ...role, tags };
        },
      ],
      ['tags', (role) => ({ ...role, tags: { ...role.tags, extra: 'tag' } })],
      ['trust policy', (role) => ({ ...role, trustPolicy: { Version: '2012-10-17', Statement: [] } })],
      ['maximum session duration', (role) => ({ ...role, maxSessionDuration: 43_200 })],
      ['tags', (role) => ({ ...role, tags: { ...role.tags, SSMSessionRunAs: 'root' } })],
      [
        'attached policies arn:aws:iam::aws:policy/AdministratorAccess',
        (role) => {
          role.attachedPolicyArns.push('arn:aws:iam::aws:policy/AdministratorAccess');
        },
      ],
      [
        'inline policies backdoor',
        (role) => {
          role.inlinePolicies.set('backdoor', { Version: '2012-10-17', Statement: [] });
        },
      ],
    ])('refuses a planted role whose %s differs from the plan', async (difference, plant) => {
      // Act
      const adopting = plantedRole(plant);

      // Assess
      await expect(adopting).rejects.toThrow(
        `role ${ROLE_NAME} already exists but is not the one this grant makes (${difference}): refusing to adopt it`,
      );
    });
  });

  it('never adopts an identical ingress rule that jit-access did not open, and leaves it in place', async () => {
    // Prepare
    await prepareApproved();
    const theirs = h.aws.seedIngressRule({
      groupId: BILLING_SG,
      protocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      cidr: '203.0.113.0/24',
      description: 'placed by the platform team',
      tags: {},
    });

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('open ingress rules');
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual([theirs.ruleId]);
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });

  it('refuses a grant that is still waiting for approval and creates nothing', async () => {
    // Prepare
    await prepareApproved();
    const pendingId = 'grant-grant-0003';
    await seedPending(h, pendingId, requestInput({ targets: [BILLING_1] }));
    h.aws.clearCallLog();

    // Act
    const granting = h.handlers.grant({ grantId: pendingId });

    // Assess
    await expect(granting).rejects.toMatchObject({ name: 'jit.TransitionError' });
    expect(h.aws.mutatingCalls).toEqual([]);
  });
});

describe('grant re-checks the approved grant against the config as it is now', () => {
  it('refuses a grant whose vendor config changed since approval, and creates nothing', async () => {
    // Prepare
    await prepareApproved();
    const changed = exampleConfig((raw) => {
      raw.vendors[0]!.allowedCidrs = ['192.0.2.0/24'];
    });
    const grantWithNewConfig = createGrantHandler(() => ({
      ...h.deps,
      settings: { ...h.deps.settings, config: changed },
    }));

    // Act
    const granting = grantWithNewConfig({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toThrow(/config changed since/);
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('refuses a grant whose requester no longer sponsors the vendor, and creates nothing', async () => {
    // Prepare
    await prepareApproved();
    const danaNoLongerSponsors = exampleConfig((raw) => {
      raw.vendors[0]!.sponsors = ['alice'];
    });
    const grantWithNewConfig = createGrantHandler(() => ({
      ...h.deps,
      settings: { ...h.deps.settings, config: danaNoLongerSponsors },
    }));

    // Act
    const granting = grantWithNewConfig({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ field: 'requester', code: 'NOT_A_SPONSOR' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
  });

  it('refuses a grant whose approvers are no longer approvers, and creates nothing', async () => {
    // Prepare
    await prepareApproved();
    const bobNoLongerApproves = exampleConfig((raw) => {
      raw.approvers.people = ['alice', 'carol'];
    });
    const grantWithNewConfig = createGrantHandler(() => ({
      ...h.deps,
      settings: { ...h.deps.settings, config: bobNoLongerApproves },
    }));

    // Act
    const granting = grantWithNewConfig({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
    expect(h.aws.mutatingCalls).toEqual([]);
  });
});

interface Tampering {
  readonly what: string;
  readonly change: (grant: GrantRecord) => Partial<GrantRecord>;
  readonly field: string;
  readonly code: string;
  /** The error's name, when not jit.ValidationError (a start not reached is retried by the workflow). */
  readonly name?: string;
}

describe('grant refuses a ledger record changed after approval', () => {
  it.each<Tampering>([
    {
      what: 'a longer duration',
      change: (grant) => ({ request: { ...grant.request, durationMinutes: 480 } }),
      field: 'durationMinutes',
      code: 'DURATION_NOT_ALLOWED',
    },
    {
      what: 'a port the vendor may not open',
      change: (grant) => ({ request: { ...grant.request, ports: [{ protocol: 'tcp', fromPort: 22, toPort: 22 }] } }),
      field: 'ports',
      code: 'PORT_NOT_ALLOWED',
    },
    {
      what: 'a later start',
      change: (grant) => ({ request: { ...grant.request, startAt: '2030-03-01T15:00:00.000Z' } }),
      field: 'startAt',
      code: 'EARLY_START',
      name: 'jit.NotStarted',
    },
    {
      what: 'an ingress rule open to the internet in the plan',
      change: (grant) => ({
        plan: {
          ...grant.plan,
          ingressRules: [{ securityGroupId: WEB_SG, protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }],
        },
      }),
      field: 'plan',
      code: 'PLAN_CHANGED',
    },
    {
      what: 'a requester who does not sponsor the vendor',
      change: (grant) => ({ request: { ...grant.request, requester: ALICE } }),
      field: 'requester',
      code: 'NOT_A_SPONSOR',
    },
    {
      what: 'a requester whose ARN is not theirs',
      change: (grant) => ({ request: { ...grant.request, requester: { person: 'dana', arn: ALICE.arn } } }),
      field: 'requester',
      code: 'IDENTITY_MISMATCH',
    },
    {
      what: 'break-glass claimed for a grant that was approved by vote',
      change: (grant) => ({ request: { ...grant.request, breakGlass: true } }),
      field: 'breakGlass',
      code: 'BREAK_GLASS_MISMATCH',
    },
    {
      what: 'a target group the vendor is not eligible for',
      change: () => ({
        targets: [{ kind: 'group', targetGroup: 'web-frontend', tagKey: 'jit-access:target-group', tagValue: 'web' }],
      }),
      field: 'targets',
      code: 'TARGET_NOT_ELIGIBLE',
    },
    {
      what: 'a longer window with a hash to match, which nobody voted for',
      change: (grant) => {
        const plan = { ...grant.plan, window: { ...grant.plan.window, expiresAt: '2030-03-01T17:00:00.000Z' } };
        return { plan, planHash: planHash(plan), request: { ...grant.request, durationMinutes: 480 } };
      },
      field: 'approvals',
      code: 'NOT_ENOUGH_APPROVALS',
    },
  ])('refuses $what with $code naming $field, and creates nothing', async ({ change, field, code, name }) => {
    // Prepare
    await prepareApproved();
    await tamperWith(change);

    // Act
    const granting = h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ name: name ?? 'jit.ValidationError', field, code });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
  });

  it('refuses a pending grant marked APPROVED in the table without votes, and creates nothing', async () => {
    // Prepare
    h = createHarness();
    await seedPending(h, GRANT_ID);
    await tamperWith(() => ({ status: 'APPROVED' }));
    h.aws.clearCallLog();

    // Act
    const granting = h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('refuses a grant marked GRANTING in the table whose plan opens more than was approved', async () => {
    // Prepare
    await prepareApproved();
    await tamperWith((grant) => ({
      status: 'GRANTING',
      plan: {
        ...grant.plan,
        ingressRules: [{ securityGroupId: WEB_SG, protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }],
      },
    }));

    // Act
    const outcome = await h.handlers.grant({ grantId: GRANT_ID }).then(
      () => 'granted',
      () => 'refused',
    );

    // Assess
    expect(h.aws.rulesIn(WEB_SG)).toEqual([]);
    expect(outcome).toBe('refused');
  });
});

describe('grant waits for the requested start', () => {
  const START = '2030-03-01T12:00:00.000Z';

  it('refuses to grant before the requested start, and creates nothing', async () => {
    // Prepare
    await prepareApproved(requestInput({ startAt: START }));

    // Act
    const granting = h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ field: 'startAt', code: 'EARLY_START' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
  });

  it('refuses to grant a second before the requested start, with the error the workflow retries', async () => {
    // Prepare
    await prepareApproved(requestInput({ startAt: START }));
    h.clock.set('2030-03-01T11:59:59.000Z');

    // Act
    const granting = h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ name: 'jit.NotStarted', code: 'EARLY_START' });
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('grants at the requested start, for the window that was requested', async () => {
    // Prepare
    await prepareApproved(requestInput({ startAt: START }));
    h.clock.set(START);

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(result).toMatchObject({ status: 'ACTIVE', startAt: START, expiresAt: '2030-03-01T13:00:00.000Z' });
  });
});

describe('grant opens no rule before its window starts', () => {
  it('refuses a grant marked GRANTING in the table whose window was moved later, opening no rule', async () => {
    // Prepare: a coherent plan for a window that starts in 30 minutes, as anyone able to write the table could store.
    await prepareApproved();
    const later = { startAt: '2030-03-01T09:30:00.000Z', expiresAt: '2030-03-01T10:30:00.000Z' };
    await tamperWith((grant) => {
      const vendor = settings.config.vendors.find((v) => v.id === grant.request.vendorId);
      if (!vendor) throw new Error('the example vendor is missing');
      const plan = planGrant(grant.request, grant.targets, vendor, later, planContext(settings));
      return { status: 'GRANTING', plan, approvedPlan: grant.plan, expiresAt: later.expiresAt };
    });

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('open ingress rules');
    expect(error.message).toContain('ingress rules refused: the grant window starts at 2030-03-01T09:30:00.000Z');
    expect(h.aws.mutatingCalls.map((c) => c.command)).not.toContain('AuthorizeSecurityGroupIngress');
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });
});

describe('grant continuing a grant left GRANTING', () => {
  /** Stores GRANT_ID as GRANTING with a coherent plan for `window`, the approved plan kept beside it. */
  async function grantingIn(window: { readonly startAt: string; readonly expiresAt: string }): Promise<void> {
    await tamperWith((grant) => {
      const vendor = settings.config.vendors.find((v) => v.id === grant.request.vendorId);
      if (!vendor) throw new Error('the example vendor is missing');
      const plan = planGrant(grant.request, grant.targets, vendor, window, planContext(settings));
      return { status: 'GRANTING', plan, approvedPlan: grant.plan, expiresAt: window.expiresAt };
    });
  }

  it('refuses a recorded window longer than the requested duration with PLAN_CHANGED, and creates nothing', async () => {
    // Prepare
    await prepareApproved();
    await grantingIn({ startAt: T0, expiresAt: '2030-03-01T11:00:00.000Z' });

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.ValidationError', field: 'plan', code: 'PLAN_CHANGED' });
    expect(error.message).toBe(
      'plan: grant refused: the recorded plan is not the approved one in its granted window; request access again',
    );
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('GRANTING');
  });

  it('refuses a recorded window shorter than the requested duration with PLAN_CHANGED, and creates nothing', async () => {
    // Prepare: 30 minutes; the role's session length stays at IAM's one-hour minimum, so only the window differs.
    await prepareApproved();
    await grantingIn({ startAt: T0, expiresAt: '2030-03-01T09:30:00.000Z' });

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.ValidationError', field: 'plan', code: 'PLAN_CHANGED' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('GRANTING');
  });

  it('refuses a recorded plan that opens more than its own request plans, with PLAN_CHANGED, opening no rule', async () => {
    // Prepare
    await prepareApproved();
    await tamperWith((grant) => ({
      status: 'GRANTING',
      plan: {
        ...grant.plan,
        ingressRules: [
          ...grant.plan.ingressRules,
          { securityGroupId: WEB_SG, protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
        ],
      },
      approvedPlan: grant.plan,
    }));

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.ValidationError', field: 'plan', code: 'PLAN_CHANGED' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(h.aws.rulesIn(WEB_SG)).toEqual([]);
  });

  it('refuses a recorded window that starts before the approved one with PLAN_CHANGED, and creates nothing', async () => {
    // Prepare
    await prepareApproved();
    await grantingIn({ startAt: '2030-03-01T08:30:00.000Z', expiresAt: '2030-03-01T09:30:00.000Z' });

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.ValidationError', field: 'plan', code: 'PLAN_CHANGED' });
    expect(error.message).toBe(
      'plan: grant refused: the recorded plan is not the approved one in its granted window; request access again',
    );
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('continues with the recorded plan when a concurrent grant moved it to GRANTING first', async () => {
    // Prepare
    await prepareApproved();
    const entry = { at: T0, actor: 'grant', event: 'granting (the concurrent attempt)' };
    h.ledger.runBeforeNextTransition(() => h.ledger.transition(GRANT_ID, ['APPROVED'], 'GRANTING', entry));

    // Act
    const result = await h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    expect(result).toMatchObject({ grantId: GRANT_ID, status: 'ACTIVE', expiresAt: EXPIRES_AT });
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
    expect(h.aws.roles.has(ROLE_NAME)).toBe(true);
  });

  it('refuses with the status it lost to when a concurrent grant already finished it, and creates nothing', async () => {
    // Prepare
    await prepareApproved();
    h.ledger.runBeforeNextTransition(() =>
      h.ledger.transition(GRANT_ID, ['APPROVED'], 'REVOKED', { at: T0, actor: 'kill-switch', event: 'cancelled' }),
    );

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.TransitionError', from: 'REVOKED', to: 'GRANTING' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });

  it('fails at the activation, and removes what it made, when the grant left GRANTING while it was being created', async () => {
    // Prepare: a revoke wins the race, so the GRANTING → ACTIVE write finds the grant moved on.
    await prepareApproved();
    const transition = h.ledger.transition.bind(h.ledger);
    jest
      .spyOn(h.ledger, 'transition')
      .mockImplementation((grantId, from, to, entry, update) =>
        to === 'ACTIVE' ? Promise.resolve(false) : transition(grantId, from, to, entry, update),
      );

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('activate');
    expect(error.message).toBe(
      `grant ${GRANT_ID} failed at activate: the grant was revoked while it was being created`,
    );
    expect(h.aws.roles.size + h.aws.schedules.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
  });

  it('still fails with the step that failed when the compensating revoke itself fails', async () => {
    // Prepare
    await prepareApproved();
    h.aws.failOn('CreateSchedule');
    h.ledger.failNextTransitionTo('REVOKING');

    // Act
    const error = await grantFailure();

    // Assess
    expect(error.step).toBe('create expiry schedule');
    expect(await statusOf(h, GRANT_ID)).toBe('GRANTING');
    // The compensation stopped before the role: it stays for the sweeper.
    expect(h.aws.roles.has(ROLE_NAME)).toBe(true);
  });
});

describe('grant of an extension', () => {
  /** An extension of GRANT_ID, requested by dana through the API, re-checked and approved by alice and bob. */
  async function approvedExtension(): Promise<string> {
    h = createHarness();
    await seedActive(h, GRANT_ID);
    return seedApprovedExtension(h, GRANT_ID);
  }

  it('starts when the grant it extends ends at its expiry', async () => {
    // Prepare
    const extensionId = await approvedExtension();
    h.clock.set(EXPIRES_AT);
    await h.handlers.revoke({ grantId: GRANT_ID });

    // Act
    const result = await h.handlers.grant({ grantId: extensionId });

    // Assess
    expect(result).toMatchObject({ status: 'ACTIVE', startAt: EXPIRES_AT });
  });

  it('is refused when the grant it extends was ended by the kill switch, and creates nothing', async () => {
    // Prepare
    const extensionId = await approvedExtension();
    await callApi(h, 'revoke', ALICE, { params: { grantId: GRANT_ID }, body: { reason: 'vendor misbehaved' } });
    h.clock.set(EXPIRES_AT);
    h.aws.clearCallLog();

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: extensionId }));

    // Assess
    expect(error).toMatchObject({ code: 'EXTENDED_GRANT_REVOKED', field: 'extends' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, extensionId)).toBe('APPROVED');
  });
});
