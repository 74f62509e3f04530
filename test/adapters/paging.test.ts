/**
 * Every adapter that lists reads every page. The fakes answer one item a page here, so an adapter that reads only the
 * first page (or drops the continuation token) misses items and fails these tests.
 */
import { DescribeSecurityGroupRulesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { MANAGED_TAG } from '../../lambdas/domain/planner';
import {
  BILLING_SG,
  createHarness,
  REGION,
  rejectionOf,
  TARGET_GROUP_TAG,
  type Harness,
} from '../helpers/handler-deps';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  h.aws.pageSize = 1;
});
afterEach(() => h.restore());

const PATH = '/jit-access/';
const FIVE = [1, 2, 3, 4, 5];

describe('the fakes page like AWS', () => {
  it('answer one page of at most pageSize items with the token of the next, and IAM with IsTruncated and Marker', async () => {
    // Prepare
    for (const n of FIVE) h.aws.seedRole(`jit-paged-${n}`, PATH);
    for (const n of FIVE) h.aws.seedSchedule(`jit-paged-${n}`, 'jit-access-expiry');
    const iam = new IAMClient({ region: REGION });
    const scheduler = new SchedulerClient({ region: REGION });

    // Act
    const roles = await iam.send(new ListRolesCommand({ PathPrefix: PATH }));
    const schedules = await scheduler.send(new ListSchedulesCommand({ GroupName: 'jit-access-expiry' }));

    // Assess
    expect(roles.Roles).toHaveLength(1);
    expect(roles.IsTruncated).toBe(true);
    expect(roles.Marker).toEqual(expect.any(String));
    expect(schedules.Schedules).toHaveLength(1);
    expect(schedules.NextToken).toEqual(expect.any(String));
  });

  it('refuse a continuation token they did not issue, as the services do', async () => {
    // Prepare
    const ec2 = new EC2Client({ region: REGION });

    // Act
    const error = await rejectionOf(
      ec2.send(new DescribeSecurityGroupRulesCommand({ NextToken: 'made-up', Filters: [] })),
    );

    // Assess
    expect(error.name).toBe('InvalidNextToken');
  });
});

describe('the adapters read every page', () => {
  it('lists every role under the path (IAM ListRoles)', async () => {
    // Prepare
    for (const n of FIVE) h.aws.seedRole(`jit-paged-${n}`, PATH);

    // Act
    const roles = await h.deps.roles.listRoles(PATH);

    // Assess
    expect(roles.map((r) => r.roleName).sort()).toEqual(FIVE.map((n) => `jit-paged-${n}`));
    expect(h.aws.countOf('ListRoles')).toBe(5);
  });

  it('lists every inline and attached policy of a role, and deletes a role that holds more than one page', async () => {
    // Prepare
    const role = h.aws.seedRole('jit-many-policies', PATH);
    for (const n of FIVE) role.inlinePolicies.set(`inline-${n}`, { Version: '2012-10-17', Statement: [] });
    for (const n of FIVE) role.attachedPolicyArns.push(`arn:aws:iam::111122223333:policy/attached-${n}`);

    // Act
    const inline = await h.deps.roles.listInlinePolicies('jit-many-policies');
    const attached = await h.deps.roles.listAttachedPolicies('jit-many-policies');
    await h.deps.roles.deleteRole('jit-many-policies');

    // Assess
    expect(inline).toEqual(FIVE.map((n) => `inline-${n}`));
    expect(attached).toEqual(FIVE.map((n) => `arn:aws:iam::111122223333:policy/attached-${n}`));
    expect(h.aws.roles.has('jit-many-policies')).toBe(false);
  });

  it('lists every live instance of a target group (EC2 DescribeInstances)', async () => {
    // Prepare: the harness's two billing-db instances and three more
    for (const n of [3, 4, 5]) {
      h.aws.addInstance({
        instanceId: `i-0paged00000000000${n}`,
        state: 'running',
        tags: { [TARGET_GROUP_TAG]: 'billing-db' },
      });
    }

    // Act
    const members = await h.deps.network.describeInstancesTagged(TARGET_GROUP_TAG, 'billing-db');

    // Assess
    expect(members).toHaveLength(5);
    expect(h.aws.countOf('DescribeInstances')).toBe(5);
  });

  it('lists every inbound rule of the groups (EC2 DescribeSecurityGroupRules)', async () => {
    // Prepare
    for (const n of FIVE) {
      h.aws.seedIngressRule({
        groupId: BILLING_SG,
        protocol: 'tcp',
        fromPort: 5432,
        toPort: 5432,
        cidr: `198.51.100.${n}/32`,
        description: undefined,
        tags: { [MANAGED_TAG]: 'true' },
      });
    }

    // Act
    const rules = await h.deps.network.listIngressRulesIn([BILLING_SG]);

    // Assess
    expect(rules.map((r) => r.cidr)).toEqual(FIVE.map((n) => `198.51.100.${n}/32`));
  });

  it('lists every schedule of the group (Scheduler ListSchedules)', async () => {
    // Prepare
    for (const n of FIVE) h.aws.seedSchedule(`jit-paged-${n}`, 'jit-access-expiry');

    // Act
    const names = await h.deps.schedules.list('jit-access-expiry');

    // Assess
    expect(names).toEqual(FIVE.map((n) => `jit-paged-${n}`));
  });

  it('lists every live session, and every session since an instant, live or ended (SSM DescribeSessions)', async () => {
    // Prepare
    for (const n of FIVE) h.aws.startSession(`vendor-${n}`, `jit-grant-${n}`, 'i-0aaaaaaaaaaaaaaa1');
    await h.deps.sessions.terminateSession('vendor-1');
    await h.deps.sessions.terminateSession('vendor-2');

    // Act
    const live = await h.deps.sessions.listActiveSessions();
    const since = await h.deps.sessions.listSessionsSince('1999-01-01T00:00:00.000Z');

    // Assess
    expect(live.map((s) => s.sessionId)).toEqual(['vendor-3', 'vendor-4', 'vendor-5']);
    expect(since.map((s) => s.sessionId).sort()).toEqual(FIVE.map((n) => `vendor-${n}`));
  });

  it('reads how an OS-account command ended on every instance it reached (SSM ListCommandInvocations)', async () => {
    // Prepare: a tag group of five instances
    for (const n of [3, 4, 5]) {
      h.aws.addInstance({
        instanceId: `i-0paged00000000000${n}`,
        state: 'running',
        tags: { [TARGET_GROUP_TAG]: 'billing-db' },
      });
    }
    const sent = await h.deps.osAccounts.send({
      action: 'lock',
      grantId: 'g-paged-lock',
      osUser: 'acme-support',
      blockImds: true,
      targets: { instanceIds: [], groups: [{ tagKey: TARGET_GROUP_TAG, tagValue: 'billing-db' }] },
    });

    // Act
    const outcomes = await h.deps.osAccounts.outcomes(sent.commandIds);

    // Assess
    expect(outcomes).toHaveLength(5);
    expect(outcomes.every((o) => o.status === 'succeeded')).toBe(true);
  });
});
