import { DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SweepReport } from '../lambdas/lifecycle/reconcile';
import { isClean } from '../lambdas/lifecycle/teardown';
import { localClientConfig } from '../scripts/local-aws/local-world';
import { acmeRequest, PEOPLE, requestAccess } from '../scripts/local-aws/scenarios';
import { yesterdayMorning, type LocalAwsSession } from './local-aws-session';
import { timed } from './timing';

/**
 * The backstop path: an approved acme grant with a live vendor session whose expiry schedule someone deleted by hand.
 * At expiry nothing fires; the next sweep must revoke it. Returns that sweep's wall time, from invoke to report
 * (the grant torn down and its residue check recorded).
 */
export async function runExpiryBySweeper(session: LocalAwsSession): Promise<number> {
  const local = await session.newLocal(yesterdayMorning());
  const request = acmeRequest(local);
  const { grantId, done } = await requestAccess(local, request);
  await local.decide(grantId, PEOPLE.approvers[0], 'approve');
  await local.decide(grantId, PEOPLE.approvers[1], 'approve');
  const outcome = await done;
  const grant = await local.deps.ledger.getGrant(grantId);
  if (outcome.status !== 'SUCCEEDED' || grant?.status !== 'ACTIVE' || !grant.expiresAt) {
    throw new Error(`grant ${grantId} did not become ACTIVE (${outcome.status} ${outcome.error ?? ''})`);
  }
  await local.vendorStartsSession(grantId, request.targets[0] as string);
  await new SchedulerClient(localClientConfig(session.endpoint)).send(
    new DeleteScheduleCommand({ Name: grant.plan.schedule.name, GroupName: grant.plan.schedule.groupName }),
  );
  await local.advanceTo(grant.expiresAt);

  const sweep = await timed(() => local.sweep() as Promise<SweepReport>);

  const after = await local.deps.ledger.getGrant(grantId);
  const residue = await local.residue();
  if (!sweep.value.expiredGrants.includes(grantId) || after?.status !== 'REVOKED' || !isClean(residue)) {
    throw new Error(
      `the sweep did not revoke the expired grant cleanly: ${JSON.stringify({ report: sweep.value, status: after?.status, residue })}`,
    );
  }
  return sweep.seconds;
}
