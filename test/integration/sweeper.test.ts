import { AuthorizeSecurityGroupIngressCommand, CreateManagedPrefixListCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { LocalJitAccess } from '../../scripts/local-aws/local-jit-access';
import { LOCAL_ACCOUNT } from '../../scripts/local-aws/local-aws';
import { acmeRequest, newGrantId, PEOPLE, requestAccess } from '../../scripts/local-aws/scenarios';
import { createSweeperHandler } from '../../lambdas/handlers/sweeper';
import { localClientConfig } from '../helpers/local-aws-clients';
import {
  firstTarget,
  grantThroughWorkflow,
  ledgerRecord,
  localLifecycle,
  NO_RESIDUE,
} from '../helpers/local-lifecycle';

const NO_FINDINGS = {
  expiredGrants: [],
  disabledVendorGrants: [],
  overdueReviews: [],
  stuckGrants: [],
  orphanedRoles: [],
  orphanedSchedules: [],
  orphanedRules: [],
  unheldRules: [],
  orphanedSessions: [],
  staleOsUserHolds: [],
  strandedGrants: [],
  undeliveredDecisions: [],
  failures: [],
};

const policy = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

/** A `jit-<id>` role under the world's IAM path, with an inline policy, made straight in moto (no grant, no ledger). */
async function createOrphanedRole(local: LocalJitAccess, grantId: string): Promise<string> {
  const iam = new IAMClient(localClientConfig());
  const roleName = `jit-${grantId}`;
  // As the grant function makes them: the stack's path and boundary, tagged managed and with the grant id.
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      Path: local.world.settings.config.iamPath,
      PermissionsBoundary: local.world.settings.permissionsBoundaryArn,
      Tags: [
        { Key: 'jit-access:managed', Value: 'true' },
        { Key: 'jit-access:grant-id', Value: grantId },
      ],
      AssumeRolePolicyDocument: policy({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::444455556666:role/AcmeSupportEngineers' },
        Action: 'sts:AssumeRole',
      }),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'jit-session-access',
      PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:StartSession', Resource: '*' }),
    }),
  );
  return created.Role?.Arn as string;
}

/**
 * An ingress rule in the billing-db JIT security group with the tags jit-access puts on the rules it opens, naming a
 * grant the ledger has never heard of. Without `managed`, the rule is one jit-access did not open.
 */
async function authorizeRule(local: LocalJitAccess, grantId: string, managed = true): Promise<string> {
  const opened = await new EC2Client(localClientConfig()).send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: local.world.settings.securityGroups['billing-db'],
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }],
      TagSpecifications: [
        {
          ResourceType: 'security-group-rule',
          Tags: [
            { Key: 'jit-access:grant-id', Value: grantId },
            ...(managed ? [{ Key: 'jit-access:managed', Value: 'true' }] : []),
          ],
        },
      ],
    }),
  );
  return opened.SecurityGroupRules?.[0]?.SecurityGroupRuleId as string;
}

/** A `jit-<id>` expiry schedule in the world's group, due long after the test ends. */
async function createOrphanedSchedule(local: LocalJitAccess, grantId: string): Promise<void> {
  const { settings } = local.world;
  await new SchedulerClient(localClientConfig()).send(
    new CreateScheduleCommand({
      Name: `jit-${grantId}`,
      GroupName: settings.scheduleGroupName,
      ScheduleExpression: 'at(2026-03-09T08:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: settings.revokeFunctionArn,
        RoleArn: settings.schedulerRoleArn,
        Input: JSON.stringify({ grantId, reason: 'expiry' }),
      },
    }),
  );
}

// One world for the file's tests that end proving nothing is left in it.
const lifecycle = localLifecycle({ sharedWorld: true });

describe('scenario 10: the sweeper reconciles AWS against the ledger', () => {
  // A rule the sweeper must leave open would be in every later sweep's report: such a test has a world of its own.
  const ownWorld = localLifecycle();

  it('finds and removes an orphaned role, ingress rule, schedule and session that no grant holds', async () => {
    // Prepare
    const local = await lifecycle.start();
    const roleOwner = newGrantId('role');
    const ruleOwner = newGrantId('rule');
    const scheduleOwner = newGrantId('schedule');
    const roleArn = await createOrphanedRole(local, roleOwner);
    const ruleId = await authorizeRule(local, ruleOwner);
    await createOrphanedSchedule(local, scheduleOwner);
    const session = local.sessions.startSession(
      local.world.instances['billing-db']?.[0] ?? '',
      `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/jit-${newGrantId('session')}/vendor-engineer`,
    );
    const before = await local.residue();

    // Act
    const report = await local.sweep();

    // Assess
    expect(before).toMatchObject({
      roles: [roleArn],
      securityGroupRules: [ruleId],
      sessions: [session.sessionId],
    });
    expect(before.schedules).toHaveLength(1);
    expect(report).toEqual({
      ...NO_FINDINGS,
      orphanedRoles: [`jit-${roleOwner}`],
      orphanedSchedules: [`jit-${scheduleOwner}`],
      orphanedRules: [ruleId],
      unheldRules: [ruleId],
      orphanedSessions: [session.sessionId],
    });
    expect(local.sessions.isActive(session.sessionId)).toBe(false);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('reports and leaves open an ingress rule in a JIT security group that jit-access did not open', async () => {
    // Prepare
    const local = await ownWorld.start();
    const ruleId = await authorizeRule(local, newGrantId('foreign'), false);

    // Act
    const report = await local.sweep();

    // Assess
    expect(report).toEqual({ ...NO_FINDINGS, unheldRules: [ruleId] });
    expect(await local.residue()).toEqual({ ...NO_RESIDUE, securityGroupRules: [ruleId] });
  });

  it('reports IPv6, prefix-list and group-reference rules in a JIT security group, and leaves them open', async () => {
    // Prepare
    const local = await ownWorld.start();
    const ec2 = new EC2Client(localClientConfig());
    const { securityGroups } = local.world.settings;
    const groupId = securityGroups['billing-db'];
    const ports = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22 };
    const prefixList = await ec2.send(
      new CreateManagedPrefixListCommand({ PrefixListName: 'vendor-support', AddressFamily: 'IPv4', MaxEntries: 5 }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { ...ports, Ipv6Ranges: [{ CidrIpv6: '2001:db8::/56', Description: 'emergency, by a person' }] },
          { ...ports, PrefixListIds: [{ PrefixListId: prefixList.PrefixList?.PrefixListId }] },
          { ...ports, UserIdGroupPairs: [{ GroupId: securityGroups['web-frontend'] }] },
        ],
      }),
    );
    const seeded = (await local.residue()).securityGroupRules;

    // Act
    const report = await local.sweep();

    // Assess
    expect(seeded).toHaveLength(3);
    expect(report).toEqual({ ...NO_FINDINGS, unheldRules: seeded });
    expect((await local.residue()).securityGroupRules).toEqual(seeded);
  });

  it("leaves a live grant's role, rules, schedule and session alone", async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    await local.advanceBy(30);
    const before = await local.residue();

    // Act
    const report = await local.sweep();

    // Assess
    expect(report).toEqual(NO_FINDINGS);
    expect(await local.residue()).toEqual(before);
    expect(before).toMatchObject({ roles: [grant.created.roleArn], sessions: [sessionId] });
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'ACTIVE' });
    await local.advanceTo(grant.expiresAt ?? '');
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'expiry',
      residueCheck: { residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('revokes a grant whose expiry schedule was deleted by hand once it has expired', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    await new SchedulerClient(localClientConfig()).send(
      new DeleteScheduleCommand({ Name: `jit-${grantId}`, GroupName: local.world.settings.scheduleGroupName }),
    );
    const stepsBeforeExpiry = local.timeline.length;
    await local.advanceTo(grant.expiresAt ?? '');
    await local.advanceBy(5);
    const afterExpiry = await local.residue();

    // Act
    const report = await local.sweep();

    // Assess
    // Only the sweep ran (no schedule fired); SSM's result of the lock it sent followed it.
    const after = local.timeline.slice(stepsBeforeExpiry);
    expect(after.filter((e) => e.actor !== 'eventbridge').map((e) => e.step)).toEqual(['sweep']);
    expect(after.filter((e) => e.actor === 'eventbridge').map((e) => e.step)).toEqual([
      expect.stringMatching(/^SSM: command \S+ Success on i-/),
    ]);
    expect(afterExpiry).toMatchObject({ roles: [grant.created.roleArn], schedules: [], sessions: [sessionId] });
    expect(report).toEqual({ ...NO_FINDINGS, expiredGrants: [grantId] });
    expect(local.sessions.isActive(sessionId)).toBe(false);
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'sweeper',
      residueCheck: { checkedAt: '2026-03-02T16:05:00.000Z', residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('fails an approved grant whose workflow execution was stopped before the grant, with nothing created', async () => {
    // Prepare: the execution is stopped by hand while it waits; the last approval is recorded, but its answer
    // reaches no workflow.
    const local = await lifecycle.start();
    const { grantId } = await requestAccess(local, acmeRequest(local));
    await local.decide(grantId, PEOPLE.approvers[0], 'approve');
    local.abortExecution(grantId);
    await local.decide(grantId, PEOPLE.approvers[1], 'approve').catch(() => undefined);
    const stranded = await ledgerRecord(local, grantId);
    await local.advanceBy(11);

    // Act
    const report = await local.sweep();

    // Assess
    expect(stranded.status).toBe('APPROVED');
    expect(report).toEqual({ ...NO_FINDINGS, strandedGrants: [grantId] });
    const grant = await ledgerRecord(local, grantId);
    expect(grant.status).toBe('FAILED');
    expect(grant.history.at(-1)).toMatchObject({
      actor: 'sweeper',
      event: 'failed: the workflow execution is ABORTED while the grant was APPROVED',
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 13: offboarding, a vendor removed from the config', () => {
  it('the sweeper revokes its active grant with nothing left, and records why', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    const { config } = local.deps.settings;
    const offboarded = { ...config, vendors: config.vendors.filter((v) => v.id !== 'acme') };
    const sweepAfterDeploy = createSweeperHandler(() => ({
      ...local.deps,
      settings: { ...local.deps.settings, config: offboarded },
    }));

    // Act
    const report = await sweepAfterDeploy();

    // Assess
    expect(report).toEqual({ ...NO_FINDINGS, disabledVendorGrants: [grantId] });
    expect(local.sessions.isActive(sessionId)).toBe(false);
    const record = await ledgerRecord(local, grantId);
    expect(record).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'vendor-offboarded',
      residueCheck: { residue: NO_RESIDUE },
    });
    expect(record.history.map((e) => `${e.actor}: ${e.event}`)).toContain(
      'sweeper: revoked (vendor-offboarded); residue: none',
    );
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});
