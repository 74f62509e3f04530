import { ValidationError } from '../../lambdas/domain/errors';
import { recheckApprovedGrant, type GrantCheckContext } from '../../lambdas/domain/grant-checks';
import type { Caller } from '../../lambdas/domain/identity';
import { planGrant, type PlanContext } from '../../lambdas/domain/planner';
import { planHash } from '../../lambdas/domain/plan-hash';
import type { AccessRequest, GrantRecord, GrantWindow, ResolvedTarget, Vote } from '../../lambdas/domain/types';
import type { JitAccessConfig } from '../../lib/config/schema';
import { exampleConfig } from '../helpers/config-fixture';
import { ACCOUNT_ID, ALICE, BILLING_1, BILLING_2, BOB, CAROL, DANA, ERIN, WEB_1 } from '../helpers/handler-deps';

const GRANT_ID = 'grant-20300301-0001';
const NOW = new Date('2030-03-01T09:00:00.000Z');
const ONE_HOUR: GrantWindow = { startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T10:00:00.000Z' };

const CONTEXT: PlanContext = {
  env: { accountId: ACCOUNT_ID, region: 'eu-west-1', partition: 'aws' },
  iamPath: '/jit-access/',
  permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary',
  sessionDocumentName: 'JitAccess-VendorShell',
  sessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  scheduleGroupName: 'jit-access',
  securityGroups: { 'billing-db': 'sg-0123456789abcdef0', 'web-frontend': 'sg-0fedcba9876543210' },
};

const BILLING_INSTANCE: ResolvedTarget = { kind: 'instances', targetGroup: 'billing-db', instanceIds: [BILLING_1] };

interface GrantOptions {
  readonly request?: Partial<AccessRequest>;
  readonly window?: GrantWindow;
  readonly config?: JitAccessConfig;
  readonly targets?: readonly ResolvedTarget[];
}

/**
 * An APPROVED grant as the request-approval step records it: dana's hour on one billing-db instance of acme with
 * Postgres open, planned from the request, with the hash of that plan.
 */
function approvedGrant(options: GrantOptions = {}): GrantRecord {
  const config = options.config ?? exampleConfig();
  const request: AccessRequest = {
    grantId: GRANT_ID,
    vendorId: 'acme',
    requester: DANA,
    targets: [BILLING_1],
    durationMinutes: 60,
    ticket: 'CHG-1234',
    reason: 'Investigate slow billing queries reported in the ticket',
    ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
    ...options.request,
  };
  const vendor = config.vendors.find((v) => v.id === request.vendorId);
  if (!vendor) throw new Error(`the config has no vendor "${request.vendorId}"`);
  const targets = options.targets ?? [BILLING_INSTANCE];
  const plan = planGrant(request, targets, vendor, options.window ?? ONE_HOUR, CONTEXT);
  return {
    grantId: GRANT_ID,
    status: 'APPROVED',
    request,
    targets,
    plan,
    planHash: planHash(plan),
    approvals: ['alice', 'bob'],
    created: {},
    history: [],
    createdAt: '2030-03-01T08:30:00.000Z',
    updatedAt: '2030-03-01T08:45:00.000Z',
  };
}

/** A break-glass grant by erin: approved at once, its review still pending, no votes yet. */
function breakGlassGrant(options: GrantOptions = {}): GrantRecord {
  const grant = approvedGrant({
    ...options,
    request: { requester: ERIN, breakGlass: true, ...options.request },
  });
  return { ...grant, approvals: [], breakGlass: { reviewBy: '2030-03-02T09:00:00.000Z', review: 'PENDING' } };
}

function approvalsOf(grant: GrantRecord, ...voters: Caller[]): Vote[] {
  return voters.map((voter) => ({
    person: voter.person,
    arn: voter.arn,
    decision: 'approve',
    at: '2030-03-01T08:40:00.000Z',
    planHash: grant.planHash,
  }));
}

/** What the grant step passes: the example config, nothing disabled, alice and bob having approved the grant. */
function contextFor(grant: GrantRecord, overrides: Partial<GrantCheckContext> = {}): GrantCheckContext {
  return {
    config: exampleConfig(),
    now: NOW,
    stackAccountId: ACCOUNT_ID,
    disabledVendors: new Set(),
    votes: approvalsOf(grant, ALICE, BOB),
    ...overrides,
  };
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

describe('recheckApprovedGrant', () => {
  describe('accepts', () => {
    test('an untampered grant approved by enough approvers, at its start', () => {
      // Prepare
      const grant = approvedGrant();

      // Act
      const act = () => recheckApprovedGrant(grant, contextFor(grant));

      // Assess
      expect(act).not.toThrow();
    });

    test('a grant at its start', () => {
      // Prepare
      const window = { startAt: NOW.toISOString(), expiresAt: '2030-03-01T10:00:00.000Z' };
      const grant = approvedGrant({ request: { startAt: NOW.toISOString() }, window });

      // Act
      const act = () => recheckApprovedGrant(grant, contextFor(grant));

      // Assess
      expect(act).not.toThrow();
    });

    test('a break-glass grant by a break-glass person without any approval yet', () => {
      // Prepare
      const grant = breakGlassGrant();

      // Act
      const act = () => recheckApprovedGrant(grant, contextFor(grant, { votes: [] }));

      // Assess
      expect(act).not.toThrow();
    });

    test('a grant whose request opens no port', () => {
      // Prepare
      const grant = approvedGrant({ request: { ports: undefined } });

      // Act
      const act = () => recheckApprovedGrant(grant, contextFor(grant));

      // Assess
      expect(act).not.toThrow();
    });

    test('a grant of the shortest duration, 15 minutes', () => {
      // Prepare
      const window = { startAt: ONE_HOUR.startAt, expiresAt: '2030-03-01T09:15:00.000Z' };
      const grant = approvedGrant({ request: { durationMinutes: 15 }, window });

      // Act
      const act = () => recheckApprovedGrant(grant, contextFor(grant));

      // Assess
      expect(act).not.toThrow();
    });

    test('a port within one of several ranges the vendor may have', () => {
      // Prepare
      const config = exampleConfig((raw) => {
        raw.vendors[0]!.ports = [
          { protocol: 'tcp', fromPort: 22, toPort: 22 },
          { protocol: 'tcp', fromPort: 5432, toPort: 5432 },
        ];
      });
      const grant = approvedGrant({ config });

      // Act
      const act = () => recheckApprovedGrant(grant, contextFor(grant, { config }));

      // Assess
      expect(act).not.toThrow();
    });

    test('a whole target group the request named as a group', () => {
      // Prepare
      const billingGroup: ResolvedTarget = {
        kind: 'group',
        targetGroup: 'billing-db',
        tagKey: 'jit-access:target-group',
        tagValue: 'billing-db',
      };
      const grant = approvedGrant({ request: { targets: ['group:billing-db'] }, targets: [billingGroup] });

      // Act
      const act = () => recheckApprovedGrant(grant, contextFor(grant));

      // Assess
      expect(act).not.toThrow();
    });
  });

  describe('refuses', () => {
    test('a grant of a vendor an admin disabled since it was approved', () => {
      // Prepare
      const grant = approvedGrant();

      // Act
      const error = validationErrorOf(() =>
        recheckApprovedGrant(grant, contextFor(grant, { disabledVendors: new Set(['acme']) })),
      );

      // Assess
      expect(error).toMatchObject({ field: 'vendorId', code: 'VENDOR_DISABLED' });
    });

    test('a grant of a vendor the config disables since it was approved', () => {
      // Prepare
      const grant = approvedGrant();
      const config = exampleConfig((raw) => {
        raw.vendors[0]!.enabled = false;
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config })));

      // Assess
      expect(error).toMatchObject({ field: 'vendorId', code: 'VENDOR_DISABLED' });
    });

    test('a plan changed after approvers were shown it', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = {
        ...grant,
        plan: { ...grant.plan, ingressRules: grant.plan.ingressRules.map((r) => ({ ...r, cidr: '0.0.0.0/1' })) },
      };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'plan', code: 'PLAN_CHANGED' });
      expect(error.message).toContain('not the one approvers were shown');
    });

    test('a plan, with its hash, changed after the votes were cast', () => {
      // Prepare
      const grant = approvedGrant();
      const plan = { ...grant.plan, ingressRules: grant.plan.ingressRules.map((r) => ({ ...r, cidr: '0.0.0.0/1' })) };
      const tampered: GrantRecord = { ...grant, plan, planHash: planHash(plan) };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
      expect(error.message).toContain('0 of 2 approvals count');
    });

    test('the plan of another grant', () => {
      // Prepare
      const grant = approvedGrant();
      const plan = { ...grant.plan, grantId: 'grant-20300301-0002' };
      const tampered: GrantRecord = { ...grant, plan, planHash: planHash(plan) };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(tampered)));

      // Assess
      expect(error).toMatchObject({ field: 'plan', code: 'PLAN_CHANGED' });
      expect(error.message).toContain('not this grant of this vendor');
    });

    test('the plan of another vendor', () => {
      // Prepare
      const grant = approvedGrant();
      const plan = { ...grant.plan, vendorId: 'globex' };
      const tampered: GrantRecord = { ...grant, plan, planHash: planHash(plan) };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(tampered)));

      // Assess
      expect(error).toMatchObject({ field: 'plan', code: 'PLAN_CHANGED' });
      expect(error.message).toBe(
        'plan: grant refused: the recorded plan is not this grant of this vendor; request access again',
      );
    });

    test('a recorded request of another grant', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = { ...grant, request: { ...grant.request, grantId: 'grant-20300301-0002' } };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'plan', code: 'PLAN_CHANGED' });
      expect(error.message).toBe(
        'plan: grant refused: the recorded plan is not this grant of this vendor; request access again',
      );
    });

    test('a requester whose ARN is not the person recorded', () => {
      // Prepare
      const grant = approvedGrant({ request: { requester: { person: 'dana', arn: BOB.arn } } });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'requester', code: 'IDENTITY_MISMATCH' });
      expect(error.message).toBe(
        `requester: grant refused: ${BOB.arn} is not dana under the current config; request access again`,
      );
    });

    test('a requester whose identity the config no longer gives that person', () => {
      // Prepare
      const grant = approvedGrant();
      const config = exampleConfig((raw) => {
        raw.people.dana = [{ identityCenterUser: 'dana.smith@example.com' }];
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config })));

      // Assess
      expect(error).toMatchObject({ field: 'requester', code: 'IDENTITY_MISMATCH' });
    });

    test('a requester who no longer sponsors the vendor', () => {
      // Prepare
      const grant = approvedGrant();
      const config = exampleConfig((raw) => {
        raw.vendors[0]!.sponsors = ['erin'];
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config })));

      // Assess
      expect(error).toMatchObject({ field: 'requester', code: 'NOT_A_SPONSOR' });
      expect(error.message).toBe(
        'requester: grant refused: dana may no longer request access for acme; request access again',
      );
    });

    test('a break-glass grant of a person no longer allowed break-glass', () => {
      // Prepare
      const grant = breakGlassGrant();
      const config = exampleConfig((raw) => {
        raw.breakGlass!.people = [];
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config, votes: [] })));

      // Assess
      expect(error).toMatchObject({ field: 'requester', code: 'NOT_A_SPONSOR' });
    });

    test('a request marked break-glass on a grant that was not recorded as break-glass', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = { ...grant, request: { ...grant.request, breakGlass: true } };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'breakGlass', code: 'BREAK_GLASS_MISMATCH' });
      expect(error.message).toBe(
        'breakGlass: grant refused: the request and the grant disagree about break-glass; request access again',
      );
    });

    test('a duration changed from the approved window', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = { ...grant, request: { ...grant.request, durationMinutes: 480 } };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'durationMinutes', code: 'DURATION_NOT_ALLOWED' });
      expect(error.message).toContain('480 minutes (approved window 60)');
    });

    test('a duration shorter than 15 minutes, though the window matches it', () => {
      // Prepare
      const window = { startAt: ONE_HOUR.startAt, expiresAt: '2030-03-01T09:14:00.000Z' };
      const grant = approvedGrant({ request: { durationMinutes: 14 }, window });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'durationMinutes', code: 'DURATION_NOT_ALLOWED' });
      expect(error.message).toBe(
        'durationMinutes: grant refused: 14 minutes (approved window 14) is not within 15-480; request access again',
      );
    });

    test('a duration longer than the vendor allows under the current config', () => {
      // Prepare
      const window = { startAt: ONE_HOUR.startAt, expiresAt: '2030-03-01T11:00:00.000Z' };
      const grant = approvedGrant({ request: { durationMinutes: 120 }, window });
      const config = exampleConfig((raw) => {
        raw.vendors[0]!.maxGrantHours = 1;
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config })));

      // Assess
      expect(error).toMatchObject({ field: 'durationMinutes', code: 'DURATION_NOT_ALLOWED' });
      expect(error.message).toContain('not within 15-60');
    });

    test('a break-glass grant longer than break-glass allows', () => {
      // Prepare
      const window = { startAt: ONE_HOUR.startAt, expiresAt: '2030-03-01T11:00:00.000Z' };
      const grant = breakGlassGrant({ request: { durationMinutes: 120 }, window });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { votes: [] })));

      // Assess
      expect(error).toMatchObject({ field: 'durationMinutes', code: 'DURATION_NOT_ALLOWED' });
      expect(error.message).toContain('not within 15-60');
    });

    test('a break-glass grant longer than the vendor allows, though break-glass would allow it', () => {
      // Prepare
      const config = exampleConfig((raw) => {
        raw.vendors[0]!.maxGrantHours = 1;
        raw.breakGlass!.maxMinutes = 120;
      });
      const window = { startAt: ONE_HOUR.startAt, expiresAt: '2030-03-01T10:30:00.000Z' };
      const grant = breakGlassGrant({ request: { durationMinutes: 90 }, window, config });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config, votes: [] })));

      // Assess
      expect(error).toMatchObject({ field: 'durationMinutes', code: 'DURATION_NOT_ALLOWED' });
    });

    test('a port the vendor may not have', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = {
        ...grant,
        request: { ...grant.request, ports: [{ protocol: 'tcp', fromPort: 22, toPort: 22 }] },
      };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'ports', code: 'PORT_NOT_ALLOWED' });
      expect(error.message).toContain('tcp/22-22 is not allowed for acme');
    });

    test('the port the vendor may have, over another protocol', () => {
      // Prepare
      const grant = approvedGrant({ request: { ports: [{ protocol: 'udp', fromPort: 5432, toPort: 5432 }] } });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'ports', code: 'PORT_NOT_ALLOWED' });
      expect(error.message).toBe('ports: grant refused: udp/5432-5432 is not allowed for acme; request access again');
    });

    test('a port range that starts at the allowed port but reaches past it', () => {
      // Prepare
      const grant = approvedGrant({ request: { ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5433 }] } });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'ports', code: 'PORT_NOT_ALLOWED' });
      expect(error.message).toBe('ports: grant refused: tcp/5432-5433 is not allowed for acme; request access again');
    });

    test('a port the vendor was allowed when approved but no longer is', () => {
      // Prepare
      const grant = approvedGrant();
      const config = exampleConfig((raw) => {
        raw.vendors[0]!.ports = [{ protocol: 'tcp', fromPort: 6432, toPort: 6432 }];
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config })));

      // Assess
      expect(error).toMatchObject({ field: 'ports', code: 'PORT_NOT_ALLOWED' });
    });

    test('a target group the vendor is not eligible for', () => {
      // Prepare
      const grant = approvedGrant();
      const web: ResolvedTarget = { kind: 'instances', targetGroup: 'web-frontend', instanceIds: [WEB_1] };
      const tampered: GrantRecord = {
        ...grant,
        request: { ...grant.request, targets: [BILLING_1, WEB_1] },
        targets: [...grant.targets, web],
      };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'targets', code: 'TARGET_NOT_ELIGIBLE' });
      expect(error.message).toContain('acme is not eligible for target group web-frontend');
    });

    test('an instance the request did not name', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = {
        ...grant,
        targets: [{ kind: 'instances', targetGroup: 'billing-db', instanceIds: [BILLING_1, BILLING_2] }],
      };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'targets', code: 'TARGETS_CHANGED' });
      expect(error.message).toBe(
        'targets: grant refused: the resolved targets are not the ones requested; request access again',
      );
    });

    test('a whole target group when the request named one instance of it', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = {
        ...grant,
        targets: [
          { kind: 'group', targetGroup: 'billing-db', tagKey: 'jit-access:target-group', tagValue: 'billing-db' },
        ],
      };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'targets', code: 'TARGETS_CHANGED' });
    });

    test('too few approvals once the config asks for more', () => {
      // Prepare
      const grant = approvedGrant();
      const config = exampleConfig((raw) => {
        raw.approvers.minApprovals = 3;
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config })));

      // Assess
      expect(error).toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
      expect(error.message).toContain('2 of 3 approvals count under the current config (alice, bob)');
    });

    test('an approval by a person who is no longer an approver', () => {
      // Prepare
      const grant = approvedGrant();
      const config = exampleConfig((raw) => {
        raw.approvers.people = ['alice', 'carol'];
      });

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { config })));

      // Assess
      expect(error).toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
      expect(error.message).toContain('(alice)');
    });

    test("the requester's own approval as one of those needed", () => {
      // Prepare
      const config = exampleConfig((raw) => {
        raw.vendors[0]!.sponsors = ['alice'];
      });
      const grant = approvedGrant({ request: { requester: ALICE }, config });

      // Act
      const error = validationErrorOf(() =>
        recheckApprovedGrant(grant, contextFor(grant, { config, votes: approvalsOf(grant, ALICE, BOB) })),
      );

      // Assess
      expect(error).toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
      expect(error.message).toContain('(bob)');
    });

    test('approvals given for another plan', () => {
      // Prepare
      const grant = approvedGrant();
      const votes = approvalsOf(grant, ALICE, BOB).map((vote) => ({ ...vote, planHash: 'f'.repeat(64) }));

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { votes })));

      // Assess
      expect(error).toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
      expect(error.message).toContain('(none)');
    });

    test('an approval whose signed ARN is not the approver under the current config', () => {
      // Prepare
      const grant = approvedGrant();
      const votes = [...approvalsOf(grant, ALICE), { ...approvalsOf(grant, CAROL)[0]!, arn: ERIN.arn }];

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { votes })));

      // Assess
      expect(error).toMatchObject({ field: 'approvals', code: 'NOT_ENOUGH_APPROVALS' });
    });

    test('a grant a second before its start', () => {
      // Prepare
      const window = { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' };
      const grant = approvedGrant({ request: { startAt: '2030-03-01T10:00:00Z' }, window });
      const now = new Date('2030-03-01T09:59:59.000Z');

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(grant, contextFor(grant, { now })));

      // Assess
      expect(error).toMatchObject({ field: 'startAt', code: 'EARLY_START' });
      expect(error.message).toBe('startAt: grant refused: the grant starts at 2030-03-01T10:00:00.000Z, not before');
    });

    test('an early grant whose recorded request start was moved earlier than the approved window', () => {
      // Prepare
      const window = { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' };
      const grant = approvedGrant({ request: { startAt: '2030-03-01T10:00:00Z' }, window });
      const tampered: GrantRecord = { ...grant, request: { ...grant.request, startAt: '2030-03-01T08:00:00Z' } };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'startAt', code: 'EARLY_START' });
    });

    test('a grant whose recorded request start was moved later than now', () => {
      // Prepare
      const grant = approvedGrant();
      const tampered: GrantRecord = { ...grant, request: { ...grant.request, startAt: '2030-03-01T12:00:00Z' } };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'startAt', code: 'EARLY_START' });
    });

    test('an early grant whose recorded request start is not a date', () => {
      // Prepare
      const window = { startAt: '2030-03-01T10:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' };
      const grant = approvedGrant({ request: { startAt: '2030-03-01T10:00:00Z' }, window });
      const tampered: GrantRecord = { ...grant, request: { ...grant.request, startAt: 'soon' } };

      // Act
      const error = validationErrorOf(() => recheckApprovedGrant(tampered, contextFor(grant)));

      // Assess
      expect(error).toMatchObject({ field: 'startAt', code: 'INVALID_START' });
      expect(error.message).toBe('startAt: grant refused: the recorded start is not a date; request access again');
    });
  });
});
