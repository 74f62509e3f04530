import type { GrantRecord, Residue } from '../../lambdas/domain/types';
import { UNCHECKED } from '../../lambdas/lifecycle/teardown';
import type { AwsCallName } from '../../scripts/local-aws/instrumented-http-handler';
import {
  callsOfLastStep,
  distinctCalls,
  errorOf,
  firstTarget,
  grantThroughWorkflow,
  isClean,
  ledgerRecord,
  localLifecycle,
  NO_RESIDUE,
  PAST_STUCK_THRESHOLD_MINUTES,
} from '../helpers/local-lifecycle';

/** Every distinct AWS call the grant handler makes on a clean run (checked against a clean run below). */
const GRANT_CALLS: readonly AwsCallName[] = [
  'dynamodb:Query',
  'dynamodb:UpdateItem',
  'dynamodb:TransactWriteItems',
  'dynamodb:BatchGetItem',
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'ssm:SendCommand',
  'ec2:AuthorizeSecurityGroupIngress',
  'scheduler:CreateSchedule',
  'ssm:ListCommandInvocations',
];

/** Every distinct AWS call the revoke handler makes on a clean expiry with a live vendor session. */
const REVOKE_CALLS: readonly AwsCallName[] = [
  'dynamodb:Query',
  'iam:GetRole',
  'iam:AttachRolePolicy',
  'ssm:DescribeSessions',
  'ssm:TerminateSession',
  'ssm:SendCommand',
  'dynamodb:TransactWriteItems',
  'ec2:RevokeSecurityGroupIngress',
  'scheduler:DeleteSchedule',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:DeleteRole',
  'sns:Publish',
];

const GRANT_STEP = /^Grant access$/;
const EXPIRY_STEP = /^expiry schedule jit-.+ fired$/;

/**
 * The ledger's calls made before the grant creates anything (its reads, and the GRANTING transition with its history
 * entry, one transaction): when they fail, the grant cannot record what it makes, so it must not make anything. Its
 * UpdateItem records the role once created: failing, it fails the grant like any AWS call, and compensation removes
 * the role.
 */
const isLedgerCall = (call: AwsCallName) => call.startsWith('dynamodb:') && call !== 'dynamodb:UpdateItem';
/**
 * Calls the grant's compensation needs too (it lets go of the OS user's hold with UpdateItem when another grant shares
 * it, and locks the OS user again): failing for good, they fail it as well.
 */
const COMPENSATION_CALLS: readonly AwsCallName[] = ['ssm:SendCommand', 'dynamodb:UpdateItem'];
const isCompensationCall = (call: AwsCallName) => COMPENSATION_CALLS.includes(call);

/** How many times each call was made. */
function countsOf(calls: readonly AwsCallName[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call] = (counts[call] ?? 0) + 1;
  return counts;
}

/**
 * A clean step's counts with one more attempt of every distinct call: what the step makes when each of its calls fails
 * once (a transient fault fails a call's first attempt only). The SDK retries the failed call alone, so with every
 * call faulted in the same run, a call made any other number of times was retried some other way (the whole step
 * again, say) or was skipped after another call's failure.
 */
function onceMoreEach(clean: readonly AwsCallName[]): Record<string, number> {
  return Object.fromEntries(Object.entries(countsOf(clean)).map(([call, count]) => [call, count + 1]));
}

/**
 * How the ledger accounts for what a failed revoke left: it must never say REVOKED while something remains, and a
 * residue check it wrote must list everything that is left. A revoke that could not write to the ledger at all
 * leaves the grant as it was (ACTIVE and expired, or REVOKING) for the sweeper.
 */
function ledgerAccountOf(record: GrantRecord, left: Residue): string {
  if (isClean(left)) return 'nothing left';
  if (record.status === 'REVOKED') return `claims REVOKED while ${JSON.stringify(left)} remains`;
  const recorded = record.residueCheck?.residue;
  if (!recorded) return `left for the sweeper as ${record.status}`;
  // A kind the check could not read is recorded as such ("... could not be checked"): honest, not silent.
  const unread = (kind: keyof Residue) => recorded[kind].some((item) => item.endsWith(UNCHECKED));
  const unrecorded = (Object.keys(left) as (keyof Residue)[]).flatMap((kind) =>
    unread(kind) ? [] : left[kind].filter((item) => !recorded[kind].includes(item)),
  );
  return unrecorded.length === 0 ? 'residue recorded' : `residue check misses ${unrecorded.join(', ')}`;
}

describe('fault injection: every AWS call of the grant and of the revoke, failing transiently and permanently', () => {
  // Every test ends proving that nothing of its grant is left in the world, so they can share one.
  const lifecycle = localLifecycle({ sharedWorld: true });
  let cleanGrantCalls: readonly AwsCallName[] = [];
  let cleanRevokeCalls: readonly AwsCallName[] = [];

  beforeAll(async () => {
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    await local.vendorStartsSession(grantId, firstTarget(request));
    await local.advanceTo(grant.expiresAt ?? '');
    cleanGrantCalls = callsOfLastStep(local, GRANT_STEP);
    cleanRevokeCalls = callsOfLastStep(local, EXPIRY_STEP);
  });

  it('the fault tables list exactly the distinct AWS calls a clean grant and a clean revoke make', () => {
    // Assess
    expect(distinctCalls(cleanGrantCalls).sort()).toEqual([...GRANT_CALLS].sort());
    expect(distinctCalls(cleanRevokeCalls).sort()).toEqual([...REVOKE_CALLS].sort());
  });

  describe('grant', () => {
    it('every one of its calls failing once (all in the same grant) is retried, once each, and the grant succeeds', async () => {
      // Prepare
      const local = await lifecycle.start();
      for (const call of GRANT_CALLS) local.faultDuring('grant', call, 'transient');

      // Act
      const { grantId, outcome, grant } = await grantThroughWorkflow(local);

      // Assess
      expect(outcome.status).toBe('SUCCEEDED');
      expect(grant.status).toBe('ACTIVE');
      expect(countsOf(callsOfLastStep(local, GRANT_STEP))).toEqual(onceMoreEach(cleanGrantCalls));
      await local.advanceTo(grant.expiresAt ?? '');
      expect(await ledgerRecord(local, grantId)).toMatchObject({
        status: 'REVOKED',
        residueCheck: { residue: NO_RESIDUE },
      });
      expect(await local.residue()).toEqual(NO_RESIDUE);
    });

    test.each(GRANT_CALLS.filter((call) => !isLedgerCall(call) && !isCompensationCall(call)))(
      'a permanent %s failure ends the workflow GrantFailed, and compensation removes all it created',
      async (call) => {
        // Prepare
        const local = await lifecycle.start();
        local.faultDuring('grant', call, 'permanent');

        // Act
        const { grantId, outcome } = await grantThroughWorkflow(local);

        // Assess
        expect(outcome).toEqual({ status: 'FAILED', error: 'jit.GrantFailed' });
        expect(callsOfLastStep(local, GRANT_STEP)).toContain(call);
        expect(await ledgerRecord(local, grantId)).toMatchObject({
          status: 'FAILED',
          residueCheck: { residue: NO_RESIDUE },
        });
        expect(await local.residue()).toEqual(NO_RESIDUE);
      },
    );

    test.each(COMPENSATION_CALLS)(
      'a permanent %s failure ends the workflow GrantFailed, records the lock it could not prove, and the sweeper proves it once the fault clears',
      async (call) => {
        // Prepare
        const local = await lifecycle.start();
        local.faultDuring('grant', call, 'permanent');
        const { grantId, outcome } = await grantThroughWorkflow(local);
        const afterGrant = await ledgerRecord(local, grantId);
        local.clearHandlerFaults();

        // Act
        await local.advanceBy(PAST_STUCK_THRESHOLD_MINUTES);
        await local.sweep();

        // Assess
        expect(outcome).toEqual({ status: 'FAILED', error: 'jit.GrantFailed' });
        expect(afterGrant.status).toBe('REVOKING');
        expect(afterGrant.residueCheck?.residue).toEqual({
          ...NO_RESIDUE,
          osAccounts: [expect.stringMatching(/could not be checked$/)],
        });
        expect(await ledgerRecord(local, grantId)).toMatchObject({
          status: 'REVOKED',
          residueCheck: { residue: NO_RESIDUE },
        });
        expect(await local.residue()).toEqual(NO_RESIDUE);
      },
    );

    test.each(GRANT_CALLS.filter(isLedgerCall))(
      'a permanent %s failure ends the workflow GrantFailed before the grant creates anything',
      async (call) => {
        // Prepare
        const local = await lifecycle.start();
        local.faultDuring('grant', call, 'permanent');

        // Act
        const { grantId, outcome } = await grantThroughWorkflow(local);

        // Assess
        expect(outcome).toEqual({ status: 'FAILED', error: 'jit.GrantFailed' });
        const grantCalls = callsOfLastStep(local, GRANT_STEP);
        expect(grantCalls).toContain(call);
        expect(grantCalls.filter((c) => !isLedgerCall(c))).toEqual([]);
        expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'FAILED', created: {} });
        expect(await local.residue()).toEqual(NO_RESIDUE);
      },
    );

    it('when compensation cannot delete the role either, the sweeper removes what it left', async () => {
      // Prepare
      const local = await lifecycle.start();
      local.faultDuring('grant', 'scheduler:CreateSchedule', 'permanent');
      local.faultDuring('grant', 'iam:DeleteRole', 'permanent');
      const { grantId, outcome } = await grantThroughWorkflow(local);
      local.clearHandlerFaults();
      const afterCompensation = await local.residue();

      // Act
      await local.advanceBy(PAST_STUCK_THRESHOLD_MINUTES);
      const report = await local.sweep();

      // Assess
      expect(outcome).toEqual({ status: 'FAILED', error: 'jit.GrantFailed' });
      expect(afterCompensation.roles).toHaveLength(1);
      expect(report).toMatchObject({ stuckGrants: [grantId] });
      expect(await ledgerRecord(local, grantId)).toMatchObject({
        status: 'REVOKED',
        residueCheck: { residue: NO_RESIDUE },
      });
      expect(await local.residue()).toEqual(NO_RESIDUE);
    });
  });

  describe('revoke at expiry, with a live vendor session', () => {
    it('every one of its calls failing once (all in the same revoke) is retried, once each, and the revoke still ends the session and removes everything', async () => {
      // Prepare
      const local = await lifecycle.start();
      const { grantId, request, grant } = await grantThroughWorkflow(local);
      const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
      for (const call of REVOKE_CALLS) local.faultDuring('revoke', call, 'transient');

      // Act
      await local.advanceTo(grant.expiresAt ?? '');

      // Assess
      expect(countsOf(callsOfLastStep(local, EXPIRY_STEP))).toEqual(onceMoreEach(cleanRevokeCalls));
      expect(local.sessions.isActive(sessionId)).toBe(false);
      expect(await ledgerRecord(local, grantId)).toMatchObject({
        status: 'REVOKED',
        residueCheck: { residue: NO_RESIDUE },
      });
      expect(await local.residue()).toEqual(NO_RESIDUE);
    });

    test.each(REVOKE_CALLS)(
      'a permanent %s failure leaves an honest ledger, and the sweeper finishes the revoke once the fault clears',
      async (call) => {
        // Prepare
        const local = await lifecycle.start();
        const { grantId, request, grant } = await grantThroughWorkflow(local);
        const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
        local.faultDuring('revoke', call, 'permanent');
        await errorOf(local.advanceTo(grant.expiresAt ?? ''));
        local.clearHandlerFaults();
        const account = ledgerAccountOf(await ledgerRecord(local, grantId), await local.residue());

        // Act
        await local.advanceBy(PAST_STUCK_THRESHOLD_MINUTES);
        await local.sweep();

        // Assess
        expect(callsOfLastStep(local, EXPIRY_STEP)).toContain(call);
        expect(account).toMatch(/^(nothing left|residue recorded|left for the sweeper as (ACTIVE|REVOKING))$/);
        expect(local.sessions.isActive(sessionId)).toBe(false);
        expect(await ledgerRecord(local, grantId)).toMatchObject({
          status: 'REVOKED',
          residueCheck: { residue: NO_RESIDUE },
        });
        expect(await local.residue()).toEqual(NO_RESIDUE);
      },
    );
  });
});
