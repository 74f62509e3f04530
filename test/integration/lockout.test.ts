import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import type { LockoutOutcome } from '../../lambdas/lifecycle/lockout';
import { deniedCallEvent } from '../../scripts/local-aws/cloudtrail-events';
import type { CliRun } from '../../scripts/local-aws/local-jit-access';
import { acmeRequest, PEOPLE, requestAccess, requestArgs } from '../../scripts/local-aws/scenarios';
import {
  firstTarget,
  grantThroughWorkflow,
  ledgerRecord,
  localLifecycle,
  NO_RESIDUE,
  subscribeToNotifications,
} from '../helpers/local-lifecycle';

const { sponsor: dana, admin: erin } = PEOPLE;

/** The refusal a CLI run printed with --json. */
function errorOf(run: CliRun): { code?: string; field?: string; message?: string } | undefined {
  return (run.json as { error?: { code?: string; field?: string; message?: string } } | undefined)?.error;
}

describe('scenario 12: five denied calls lock the vendor out, and an admin unlocks it', () => {
  // Both tests end proving that nothing of their grants is left in the world, so they can share one.
  const lifecycle = localLifecycle({ sharedWorld: true });

  it('revokes the active grant with nothing left, locks the vendor, refuses its requests until erin unlocks it', async () => {
    // Prepare
    const local = await lifecycle.start();
    const notifications = await subscribeToNotifications(local);
    const { grantId, request } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    await local.advanceBy(5);

    // Act
    const outcomes = await local.vendorDenied(grantId, 5);

    // Assess: the fifth record crosses the threshold; the grant is revoked by the revoke path and nothing remains.
    expect(outcomes.map((o) => o.outcome)).toEqual(['counted', 'counted', 'counted', 'counted', 'locked-out']);
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'lockout',
      residueCheck: { residue: NO_RESIDUE },
      lockout: { attempts: 5, windowMinutes: 15, completedAt: expect.any(String) },
    });
    expect(local.sessions.isActive(sessionId)).toBe(false);
    expect(await local.residue()).toEqual(NO_RESIDUE);
    const { vendors } = await local.cliOk<ResponseOf<'listVendors'>>(dana, ['vendor', 'list']);
    expect(vendors.find((v) => v.vendorId === 'acme')).toMatchObject({
      enabled: false,
      disabledReason: expect.stringContaining('lockout: 5 denied attempts within 15 minutes'),
    });
    const lockoutNotice = (await notifications.messages()).find((m) => m.subject.includes('LOCKOUT'));
    notifications.close();
    expect(lockoutNotice?.message).toContain(`jit-access vendor unlock acme`);

    // Assess: a later record of the grant changes nothing.
    const before = await ledgerRecord(local, grantId);
    expect((await local.vendorDenied(grantId, 1)).map((o) => o.outcome)).toEqual(['already-locked-out']);
    expect(await ledgerRecord(local, grantId)).toEqual(before);

    // Assess: a new request is refused while the vendor is locked.
    const refused = await local.cli(dana, ['request', ...requestArgs(acmeRequest(local))]);
    expect(refused.code).toBe(1);
    expect(errorOf(refused)).toMatchObject({ code: 'VENDOR_DISABLED', field: 'vendorId' });

    // Assess: unlocking needs a reason, and `vendor enable` does not unlock.
    const noReason = await local.cli(erin, ['vendor', 'unlock', 'acme', '--reason', '']);
    expect(noReason.code).toBe(2);
    expect(errorOf(noReason)).toMatchObject({ code: 'BAD_INPUT', field: '--reason' });
    const enable = await local.cli(erin, ['vendor', 'enable', 'acme', '--reason', 'contract renewed']);
    expect(errorOf(enable)).toMatchObject({ code: 'LOCKED_OUT', field: 'vendorId' });

    // Assess: erin unlocks it; the unlock is in the vendor's history with her name and reason; requests are accepted.
    const unlocked = await local.cli(erin, ['vendor', 'unlock', 'acme', '--reason', 'a misconfigured vendor script']);
    expect(unlocked.code).toBe(0);
    expect(unlocked.json).toEqual({ vendorId: 'acme', enabled: true, revokedGrants: [] });
    expect((await local.deps.ledger.vendorHistory('acme')).at(-1)).toMatchObject({
      disabled: false,
      actor: erin,
      reason: 'unlocked: a misconfigured vendor script',
    });
    const accepted = await requestAccess(local, acmeRequest(local));
    await local.revoke(accepted.grantId, 'done with the example', dana);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('counts one CloudTrail event once in the DynamoDB ledger, however often it is delivered', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, grant } = await grantThroughWorkflow(local);
    const { accountId, region } = local.deps.settings.env;
    const record = deniedCallEvent({ accountId, region, roleArn: grant.created.roleArn ?? '', at: local.clock() });

    // Act
    const outcomes: LockoutOutcome[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(await local.invoke<LockoutOutcome>('lockout', record, 'cloudtrail', 'the same record again'));
    }

    // Assess
    expect(outcomes.map((o) => (o.outcome === 'counted' ? [o.firstTime, o.attempts] : o.outcome))).toEqual([
      [true, 1],
      ...Array(5).fill([false, 1]),
    ]);
    expect((await ledgerRecord(local, grantId)).status).toBe('ACTIVE');
    await local.revoke(grantId, 'done with the example', dana);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});
