import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { JitAccessConfig } from '../../lib/config/schema';
import { acmeRequest, newGrantId, PEOPLE, requestAccess } from '../../scripts/local-aws/scenarios';
import { localClientConfig } from '../helpers/local-aws-clients';
import {
  approveByTwo,
  errorOf,
  firstTarget,
  grantThroughWorkflow,
  ledgerRecord,
  localLifecycle,
  NO_RESIDUE,
  RUN_STARTS_AT,
} from '../helpers/local-lifecycle';

const HOUR_MS = 3_600_000;

describe('scenario 1: two of three approvals grant access, and the expiry takes it all away', () => {
  const lifecycle = localLifecycle();

  it('two approvals create the role, its session policy, the ingress rules and an expiry schedule at the window end', async () => {
    // Prepare
    const local = await lifecycle.start();
    const grantId = newGrantId();
    const request = acmeRequest(local);
    const { done } = await requestAccess(local, grantId, request);
    await local.advanceBy(12);

    // Act
    await approveByTwo(local, grantId);
    const outcome = await done;

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    const grant = await ledgerRecord(local, grantId);
    expect(grant).toMatchObject({
      status: 'ACTIVE',
      expiresAt: '2026-03-02T16:12:00.000Z',
      approvals: [PEOPLE.approvers[0], PEOPLE.approvers[1]],
    });
    const ruleIds = grant.created.securityGroupRuleIds ?? [];
    expect(ruleIds).toHaveLength(2);
    const inMoto = await local.residue();
    expect({ ...inMoto, securityGroupRules: [...inMoto.securityGroupRules].sort() }).toEqual({
      roles: [grant.created.roleArn],
      policies: [`jit-${grantId}/jit-session-access`],
      securityGroupRules: [...ruleIds].sort(),
      schedules: [grant.created.scheduleArn],
      sessions: [],
    });
    const schedule = await new SchedulerClient(localClientConfig()).send(
      new GetScheduleCommand({ Name: `jit-${grantId}`, GroupName: local.world.settings.scheduleGroupName }),
    );
    expect(schedule.ScheduleExpression).toBe('at(2026-03-02T16:12:00)');
  });

  it('at expiry the schedule revokes the grant: the vendor session ends, nothing remains, the ledger says REVOKED', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    await local.advanceBy(5);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    const activeBeforeExpiry = local.sessions.isActive(sessionId);

    // Act
    await local.advanceTo(grant.expiresAt ?? '');

    // Assess
    expect(activeBeforeExpiry).toBe(true);
    expect(local.sessions.isActive(sessionId)).toBe(false);
    expect(local.timeline.at(-1)?.step).toBe(`expiry schedule jit-${grantId} fired`);
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'expiry',
      residueCheck: { checkedAt: grant.expiresAt, residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 2: an approver denies the request', () => {
  const lifecycle = localLifecycle();

  it('one denial ends the workflow Denied, the ledger DENIED, and nothing is created', async () => {
    // Prepare
    const local = await lifecycle.start();
    const grantId = newGrantId();
    const { done } = await requestAccess(local, grantId, acmeRequest(local));

    // Act
    await local.decide(grantId, PEOPLE.approvers[2], 'deny', 'no change window today');
    const outcome = await done;

    // Assess
    expect(outcome).toEqual({ status: 'FAILED', error: 'jit.Denied' });
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'DENIED', created: {} });
    expect(local.http.calls).not.toContain('iam:CreateRole');
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 3: nobody decides before the approval timeout', () => {
  const lifecycle = localLifecycle();

  it('the request times out: the workflow ends ApprovalTimedOut, the ledger EXPIRED, and nothing is created', async () => {
    // Prepare
    const local = await lifecycle.start();
    const grantId = newGrantId();
    const { done } = await requestAccess(local, grantId, acmeRequest(local));

    // Act
    await local.timeOutApproval(grantId);
    const outcome = await done;

    // Assess
    expect(outcome).toEqual({ status: 'FAILED', error: 'jit.ApprovalTimedOut' });
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'EXPIRED', created: {} });
    expect(local.http.calls).not.toContain('iam:CreateRole');
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 4: the requester tries to approve their own request', () => {
  const lifecycle = localLifecycle();
  const [alice, bob, carol] = PEOPLE.approvers;
  /** A world where alice, an approver, may also sponsor acme: the only way a requester can be an approver. */
  const aliceAlsoSponsorsAcme = {
    configure: (config: JitAccessConfig) => ({
      ...config,
      vendors: config.vendors.map((v) => (v.id === 'acme' ? { ...v, sponsors: [...v.sponsors, alice] } : v)),
    }),
  };

  it('a self-approval is refused with SELF_APPROVAL, counts no vote, and leaves the request PENDING', async () => {
    // Prepare
    const local = await lifecycle.start(aliceAlsoSponsorsAcme);
    const grantId = newGrantId();
    const { done } = await requestAccess(local, grantId, acmeRequest(local, { requester: alice }));

    // Act
    const refusal = await errorOf(local.decide(grantId, alice, 'approve'));

    // Assess
    expect(refusal).toMatchObject({ name: 'jit.ApprovalError', code: 'SELF_APPROVAL' });
    expect(await local.deps.ledger.listVotes(grantId)).toEqual([]);
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'PENDING', created: {} });
    await local.timeOutApproval(grantId);
    expect(await done).toMatchObject({ status: 'FAILED', error: 'jit.ApprovalTimedOut' });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('after a refused self-approval, two other approvers still grant the request', async () => {
    // Prepare
    const local = await lifecycle.start(aliceAlsoSponsorsAcme);
    const grantId = newGrantId();
    const { done } = await requestAccess(local, grantId, acmeRequest(local, { requester: alice }));
    await errorOf(local.decide(grantId, alice, 'approve'));

    // Act
    await local.decide(grantId, bob, 'approve');
    await local.decide(grantId, carol, 'approve');
    const outcome = await done;

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    const grant = await ledgerRecord(local, grantId);
    expect(grant).toMatchObject({ status: 'ACTIVE', approvals: [bob, carol] });
    await local.advanceTo(grant.expiresAt ?? '');
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      residueCheck: { residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 5: the kill switch during an active session', () => {
  const lifecycle = localLifecycle();

  it('the kill switch ends the live session at once, removes everything and records REVOKED for kill-switch', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    await local.advanceBy(40);

    // Act
    const result = await local.revoke(grantId, 'kill-switch', PEOPLE.onCall);

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED', changed: true, residue: NO_RESIDUE });
    expect(local.sessions.isActive(sessionId)).toBe(false);
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'kill-switch',
      residueCheck: { checkedAt: '2026-03-02T08:40:00.000Z', residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('after the kill switch, the expiry changes nothing: no schedule fires and a late revoke reports no change', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    await local.vendorStartsSession(grantId, firstTarget(request));
    await local.revoke(grantId, 'kill-switch', PEOPLE.onCall);
    const afterKill = await ledgerRecord(local, grantId);
    const stepsAfterKill = local.timeline.length;

    // Act
    await local.advanceTo(grant.expiresAt ?? '');
    const lateExpiry = await local.revoke(grantId, 'expiry', 'scheduler');

    // Assess
    expect(local.timeline.slice(stepsAfterKill).map((e) => e.step)).toEqual([`revoke ${grantId} (expiry)`]);
    expect(lateExpiry).toMatchObject({ status: 'REVOKED', changed: false });
    expect(await ledgerRecord(local, grantId)).toEqual(afterKill);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 6: a grant scheduled to start in the future', () => {
  const lifecycle = localLifecycle();

  it('nothing exists until the requested start; the window runs from the start for the duration; expiry clears it', async () => {
    // Prepare
    const local = await lifecycle.start();
    const grantId = newGrantId();
    const startAt = new Date(RUN_STARTS_AT.getTime() + 2 * HOUR_MS).toISOString();
    const { done } = await requestAccess(local, grantId, acmeRequest(local, { startAt, durationMinutes: 120 }));
    let atFirstCreate: { clock: string; residue: unknown } | undefined;
    local.http.beforeNext('iam:CreateRole', async () => {
      atFirstCreate = { clock: local.clock().toISOString(), residue: await local.residue() };
    });

    // Act
    await approveByTwo(local, grantId);
    const outcome = await done;
    const grant = await ledgerRecord(local, grantId);
    await local.advanceTo(grant.expiresAt ?? '');

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(atFirstCreate).toEqual({ clock: '2026-03-02T10:00:00.000Z', residue: NO_RESIDUE });
    expect(grant.plan.window).toEqual({ startAt: '2026-03-02T10:00:00.000Z', expiresAt: '2026-03-02T12:00:00.000Z' });
    expect(grant.expiresAt).toBe('2026-03-02T12:00:00.000Z');
    expect(local.timeline.find((e) => e.step === 'Grant access')?.at).toBe('2026-03-02T10:00:00.000Z');
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'expiry',
      residueCheck: { checkedAt: '2026-03-02T12:00:00.000Z', residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});
