import { DescribeSecurityGroupRulesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { LocalJitAccess } from '../../scripts/local-aws/local-jit-access';
import { PEOPLE } from '../../scripts/local-aws/scenarios';
import { localClientConfig } from '../helpers/local-aws-clients';
import type { AwsCallName } from '../../scripts/local-aws/instrumented-http-handler';
import {
  callsOfLastStep,
  firstTarget,
  grantThroughWorkflow,
  ledgerRecord,
  localLifecycle,
  mutatingCalls,
  NO_RESIDUE,
} from '../helpers/local-lifecycle';

/** What EC2 shows beside each inbound rule of the JIT groups, read straight from moto. */
async function ruleDescriptions(local: LocalJitAccess): Promise<string[]> {
  const { SecurityGroupRules = [] } = await new EC2Client(localClientConfig()).send(
    new DescribeSecurityGroupRulesCommand({
      Filters: [{ Name: 'group-id', Values: Object.values(local.world.settings.securityGroups) }],
    }),
  );
  return SecurityGroupRules.filter((rule) => !rule.IsEgress).map((rule) => rule.Description ?? '');
}

// One world for the file: every test ends proving that nothing of its grants is left in it.
const lifecycle = localLifecycle({ sharedWorld: true });

describe('scenario 7: two overlapping grants for the same vendor share their ingress rules', () => {
  it('the first revoke keeps the shared rules open for the second grant, and the second revoke removes them', async () => {
    // Prepare
    const local = await lifecycle.start();
    const first = await grantThroughWorkflow(local, { durationMinutes: 60 });
    await local.advanceBy(20);
    const second = await grantThroughWorkflow(local, { durationMinutes: 120 });
    const sharedRuleIds = [...(first.grant.created.securityGroupRuleIds ?? [])].sort();
    const whileBoth = await ruleDescriptions(local);

    // Act
    await local.advanceTo(first.grant.expiresAt ?? '');
    const afterFirstRevoke = await local.residue();
    const afterFirstDescriptions = await ruleDescriptions(local);
    await local.advanceTo(second.grant.expiresAt ?? '');

    // Assess
    const both = [first.grantId, second.grantId].sort().join(', ');
    expect(whileBoth).toEqual(Array(2).fill(`jit-access grants ${both}`));
    expect(afterFirstDescriptions).toEqual(Array(2).fill(`jit-access grant ${second.grantId}`));
    expect(sharedRuleIds).toHaveLength(2);
    expect([...(second.grant.created.securityGroupRuleIds ?? [])].sort()).toEqual(sharedRuleIds);
    expect(callsOfLastStep(local, /^Grant access$/)).not.toContain('ec2:AuthorizeSecurityGroupIngress');
    expect([...afterFirstRevoke.securityGroupRules].sort()).toEqual(sharedRuleIds);
    expect(afterFirstRevoke.roles).toEqual([second.grant.created.roleArn]);
    expect(await ledgerRecord(local, first.grantId)).toMatchObject({
      status: 'REVOKED',
      residueCheck: { checkedAt: '2026-03-02T09:00:00.000Z', residue: NO_RESIDUE },
    });
    expect(await ledgerRecord(local, second.grantId)).toMatchObject({
      status: 'REVOKED',
      residueCheck: { checkedAt: '2026-03-02T10:20:00.000Z', residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 7b: the later of two overlapping grants ends first', () => {
  it('the shared rules stay open naming the first grant alone, and its revoke removes them', async () => {
    // Prepare
    const local = await lifecycle.start();
    const first = await grantThroughWorkflow(local, { durationMinutes: 120 });
    await local.advanceBy(20);
    const second = await grantThroughWorkflow(local, { durationMinutes: 30 });
    const sharedRuleIds = [...(first.grant.created.securityGroupRuleIds ?? [])].sort();

    // Act
    await local.advanceTo(second.grant.expiresAt ?? '');
    const afterSecondRevoke = await local.residue();
    const afterSecondDescriptions = await ruleDescriptions(local);
    await local.advanceTo(first.grant.expiresAt ?? '');

    // Assess
    expect(sharedRuleIds).toHaveLength(2);
    expect([...afterSecondRevoke.securityGroupRules].sort()).toEqual(sharedRuleIds);
    expect(afterSecondDescriptions).toEqual(Array(2).fill(`jit-access grant ${first.grantId}`));
    expect(await ledgerRecord(local, second.grantId)).toMatchObject({ status: 'REVOKED' });
    expect(await ledgerRecord(local, first.grantId)).toMatchObject({
      status: 'REVOKED',
      residueCheck: { residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 8: revoke is idempotent and wins over a grant still being created', () => {
  it('a second revoke of the same grant touches no AWS resource and reports changed=false', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request } = await grantThroughWorkflow(local);
    await local.vendorStartsSession(grantId, firstTarget(request));
    await local.revoke(grantId, 'suspicious activity in the session', PEOPLE.admin);
    const afterFirstRevoke = await ledgerRecord(local, grantId);

    // Act
    const second = await local.revoke(grantId, 'making sure', PEOPLE.admin);

    // Assess
    expect(second).toMatchObject({ grantId, status: 'REVOKED', changed: false, residue: NO_RESIDUE });
    const secondRunCalls = callsOfLastStep(local, new RegExp(`^revoke ${grantId}$`));
    expect(mutatingCalls(secondRunCalls)).toEqual([]);
    expect(await ledgerRecord(local, grantId)).toEqual(afterFirstRevoke);
    expect(afterFirstRevoke).toMatchObject({ status: 'REVOKED', residueCheck: { residue: NO_RESIDUE } });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  const grantCallsToInterrupt: AwsCallName[] = [
    'iam:CreateRole',
    'iam:PutRolePolicy',
    'ec2:AuthorizeSecurityGroupIngress',
    'scheduler:CreateSchedule',
  ];

  test.each(grantCallsToInterrupt)(
    'a kill switch just before the grant calls %s wins: the grant fails, removes what it made after, nothing remains',
    async (call) => {
      // Prepare
      const local = await lifecycle.start();
      let killSwitch: unknown;
      local.http.beforeNext(call, async () => {
        // The only execution of this test is the grant being created.
        const [grantId = ''] = local.executions.keys();
        killSwitch = await local.revoke(grantId, 'kill switch during the grant', PEOPLE.admin);
      });

      // Act
      const { grantId, outcome } = await grantThroughWorkflow(local);

      // Assess
      expect(killSwitch).toMatchObject({ status: 'REVOKED', changed: true, residue: NO_RESIDUE });
      expect(outcome).toEqual({ status: 'FAILED', error: 'jit.GrantFailed' });
      expect(await ledgerRecord(local, grantId)).toMatchObject({
        status: 'REVOKED',
        revokeReason: 'kill-switch',
        residueCheck: { residue: NO_RESIDUE },
      });
      expect(await local.residue()).toEqual(NO_RESIDUE);
    },
  );
});
