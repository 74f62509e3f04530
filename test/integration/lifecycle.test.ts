import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { JitAccessConfig } from '../../lib/config/schema';
import type { CliRun } from '../../scripts/local-aws/local-jit-access';
import { acmeRequest, PEOPLE, requestAccess } from '../../scripts/local-aws/scenarios';
import { localClientConfig } from '../helpers/local-aws-clients';
import {
  alsoSponsorsAcme,
  approveByTwo,
  grantThroughWorkflow,
  firstTarget,
  ledgerRecord,
  localLifecycle,
  mutatingCalls,
  PAST_STUCK_THRESHOLD_MINUTES,
  NO_RESIDUE,
  requestBreakGlass,
  RUN_STARTS_AT,
  subscribeToNotifications,
} from '../helpers/local-lifecycle';

const HOUR_MS = 3_600_000;
const [alice, bob, carol] = PEOPLE.approvers;

// One world for the file: every test ends proving that nothing of its grants is left in it.
const lifecycle = localLifecycle({ sharedWorld: true });

/** The error code a refused CLI run printed under --json. */
const errorCodeOf = (run: CliRun) => (run.json as { error?: { code?: string } } | undefined)?.error?.code;

describe('scenario 1: two of three approvals grant access, and the expiry takes it all away', () => {
  it('two approvals create the role, its session policy, the ingress rules and an expiry schedule at the window end', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, done } = await requestAccess(local, acmeRequest(local));
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
      approvals: [alice, bob],
      request: { requester: { person: PEOPLE.sponsor } },
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
      osAccounts: [],
    });
    const unlocked = local.osAccounts.unlocked();
    expect(unlocked.map((a) => a.osUser)).toEqual(['acme-support']);
    const schedule = await new SchedulerClient(localClientConfig()).send(
      new GetScheduleCommand({ Name: `jit-${grantId}`, GroupName: local.world.settings.scheduleGroupName }),
    );
    expect(schedule.ScheduleExpression).toBe('at(2026-03-02T16:12:00)');
    await local.advanceTo(grant.expiresAt ?? '');
    expect(await local.residue()).toEqual(NO_RESIDUE);
    expect(local.osAccounts.account(unlocked[0]?.instanceId ?? '', 'acme-support')?.state).toBe('locked');
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
    // The revoke, then SSM's result of its lock on the instance, which EventBridge delivers after it.
    expect(local.timeline.slice(-2).map((e) => e.step)).toEqual([
      `expiry schedule jit-${grantId} fired`,
      expect.stringMatching(/^SSM: command \S+ Success on i-/),
    ]);
    const record = await ledgerRecord(local, grantId);
    expect(record).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'expiry',
      residueCheck: { checkedAt: grant.expiresAt, residue: NO_RESIDUE },
    });
    expect(Object.values(record.osAccount ?? {})).toEqual([
      { action: 'lock', status: 'succeeded', at: grant.expiresAt, commandId: record.lockCommandIds?.[0] },
    ]);
    expect(local.eventErrors).toEqual([]);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('a lock SSM reports failed reopens the grant REVOKING with the instance as residue; the sweeper locks it again', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    const instanceId = firstTarget(request);
    local.osAccounts.lockFailsOn.add(instanceId);
    await local.advanceTo(grant.expiresAt ?? '');
    const afterFailure = await ledgerRecord(local, grantId);
    local.osAccounts.lockFailsOn.clear();

    // Act
    await local.advanceBy(PAST_STUCK_THRESHOLD_MINUTES);
    const report = await local.sweep();

    // Assess
    expect(afterFailure.status).toBe('REVOKING');
    expect(afterFailure.residueCheck?.residue.osAccounts).toEqual([
      `${instanceId}: lock failed (command ${afterFailure.lockCommandIds?.[0]})`,
    ]);
    expect(report).toMatchObject({ stuckGrants: [grantId] });
    const record = await ledgerRecord(local, grantId);
    expect(record).toMatchObject({ status: 'REVOKED', residueCheck: { residue: NO_RESIDUE } });
    expect(record.osAccount?.[instanceId]).toMatchObject({ action: 'lock', status: 'succeeded' });
    expect(local.osAccounts.account(instanceId, 'acme-support')?.state).toBe('locked');
    expect(local.eventErrors).toEqual([]);
  });
});

describe('scenario 2: an approver denies the request', () => {
  it('one denial ends the workflow Denied, the ledger DENIED, and nothing is created', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, done } = await requestAccess(local, acmeRequest(local));

    // Act
    await local.decide(grantId, carol, 'deny', 'no change window today');
    const outcome = await done;

    // Assess
    expect(outcome).toEqual({ status: 'FAILED', error: 'jit.Denied' });
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'DENIED', created: {} });
    expect(local.http.calls).not.toContain('iam:CreateRole');
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 3: nobody decides before the approval timeout', () => {
  it('the request times out: the workflow ends ApprovalTimedOut, the ledger EXPIRED, and nothing is created', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, done } = await requestAccess(local, acmeRequest(local));

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

describe('scenario 4: a requester who is also an approver votes on their own request', () => {
  it('her vote is refused with SELF_APPROVAL (exit 1), counts nothing, and leaves the request PENDING', async () => {
    // Prepare
    const local = await lifecycle.start(alsoSponsorsAcme(alice));
    const { grantId, done } = await requestAccess(local, acmeRequest(local), alice);

    // Act
    const refusal = await local.cli(alice, ['approve', grantId]);

    // Assess
    expect(refusal.code).toBe(1);
    expect(errorCodeOf(refusal)).toBe('SELF_APPROVAL');
    expect(await local.deps.ledger.listVotes(grantId)).toEqual([]);
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'PENDING',
      request: { requester: { person: alice } },
      created: {},
    });
    await local.timeOutApproval(grantId);
    expect(await done).toMatchObject({ status: 'FAILED', error: 'jit.ApprovalTimedOut' });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('after her refused vote, two other approvers still grant the request', async () => {
    // Prepare
    const local = await lifecycle.start(alsoSponsorsAcme(alice));
    const { grantId, done } = await requestAccess(local, acmeRequest(local), alice);
    await local.cli(alice, ['approve', grantId]);

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
  it('jit-access revoke ends the live session at once, removes everything and records REVOKED for kill-switch', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    await local.advanceBy(40);

    // Act
    const result = await local.revoke(grantId, 'suspicious activity in the session', PEOPLE.admin);

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED', changed: true, residue: NO_RESIDUE });
    expect(local.sessions.isActive(sessionId)).toBe(false);
    const revoked = await ledgerRecord(local, grantId);
    expect(revoked).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'kill-switch',
      residueCheck: { checkedAt: '2026-03-02T08:40:00.000Z', residue: NO_RESIDUE },
    });
    expect(revoked.history).toContainEqual(
      expect.objectContaining({ actor: PEOPLE.admin, event: 'revoke requested: "suspicious activity in the session"' }),
    );
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('after the kill switch, the expiry changes nothing: no schedule fires and a late expiry reports no change', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    await local.vendorStartsSession(grantId, firstTarget(request));
    await local.revoke(grantId, 'kill switch drill', PEOPLE.admin);
    const afterKill = await ledgerRecord(local, grantId);
    const stepsAfterKill = local.timeline.length;

    // Act
    await local.advanceTo(grant.expiresAt ?? '');
    const lateExpiry = await local.invoke('revoke', { grantId, reason: 'expiry' }, 'scheduler', 'late expiry');

    // Assess
    expect(local.timeline.slice(stepsAfterKill).map((e) => e.step)).toEqual(['late expiry']);
    expect(mutatingCalls(local.timeline.at(-1)?.awsCalls ?? [])).toEqual([]);
    expect(lateExpiry).toMatchObject({ status: 'REVOKED', changed: false });
    expect(await ledgerRecord(local, grantId)).toEqual(afterKill);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('scenario 6: a grant scheduled to start in the future', () => {
  it('nothing exists until the requested start; the window runs from the start for the duration; expiry clears it', async () => {
    // Prepare
    const local = await lifecycle.start();
    const startAt = new Date(RUN_STARTS_AT.getTime() + 2 * HOUR_MS).toISOString();
    const { grantId, done } = await requestAccess(local, acmeRequest(local, { startAt, durationMinutes: 120 }));
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

describe('break-glass: access at once, reviewed afterwards', () => {
  /** Break-glass grants of up to 3 hours, reviewed within 1 hour: a review can fall due while the grant is live. */
  const reviewWithinAnHour = {
    configure: (config: JitAccessConfig) => ({
      ...config,
      breakGlass: { ...config.breakGlass, maxMinutes: 180, reviewWithinHours: 1 },
    }),
  };

  it('erin gets access at once, with no vote, her review open for 24 hours, and every approver alerted', async () => {
    // Prepare
    const local = await lifecycle.start();
    const notifications = await subscribeToNotifications(local);

    // Act
    const { grantId, done } = await requestBreakGlass(local, { durationMinutes: 45 });
    const outcome = await done;

    // Assess
    const published = await notifications.messages();
    notifications.close();
    expect(published.map((n) => n.subject)).toEqual([
      `jit-access: ALERT break-glass grant ${grantId} for acme`,
      `jit-access: grant ${grantId} granted`,
    ]);
    expect(published[0]?.message).toMatch(
      /^BREAK-GLASS: erin granted vendor acme access WITHOUT waiting for approval\.\n[^]*2 approvers must review it by 2026-03-03T08:00:00\.000Z/,
    );
    expect(outcome.status).toBe('SUCCEEDED');
    const grant = await ledgerRecord(local, grantId);
    expect(grant).toMatchObject({
      status: 'ACTIVE',
      approvals: [],
      request: { requester: { person: PEOPLE.breakGlass }, breakGlass: true },
      plan: { window: { startAt: RUN_STARTS_AT.toISOString(), expiresAt: '2026-03-02T08:45:00.000Z' } },
      breakGlass: { review: 'PENDING', reviewBy: '2026-03-03T08:00:00.000Z' },
    });
    expect(await local.deps.ledger.listVotes(grantId)).toEqual([]);
    expect(local.timeline.find((e) => e.step === 'Grant access')?.at).toBe(RUN_STARTS_AT.toISOString());
    await local.advanceTo(grant.expiresAt ?? '');
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('two approvals afterwards close the review, and the expiry removes everything', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, done } = await requestBreakGlass(local, { durationMinutes: 45 });
    await done;
    await local.advanceBy(30);

    // Act
    const first = await local.decide(grantId, alice, 'approve', 'outage ticket confirms the emergency');
    const second = await local.decide(grantId, bob, 'approve');
    const reviewed = await ledgerRecord(local, grantId);
    await local.advanceTo(reviewed.expiresAt ?? '');

    // Assess
    expect(first).toMatchObject({ status: 'ACTIVE', review: 'PENDING', approvals: [alice] });
    expect(second).toMatchObject({ status: 'ACTIVE', review: 'APPROVED', approvals: [alice, bob] });
    expect(reviewed).toMatchObject({ breakGlass: { review: 'APPROVED' }, approvals: [alice, bob] });
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'expiry',
      breakGlass: { review: 'APPROVED' },
      residueCheck: { checkedAt: '2026-03-02T08:45:00.000Z', residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('a review still open past its deadline makes the sweeper flag it, disable the vendor and revoke the grant', async () => {
    // Prepare
    const local = await lifecycle.start(reviewWithinAnHour);
    const { grantId, done } = await requestBreakGlass(local, { durationMinutes: 120 });
    await done;
    await local.decide(grantId, alice, 'approve');
    await local.advanceBy(65);

    // Act
    const report = await local.sweep();

    // Assess
    expect(report).toMatchObject({ overdueReviews: [grantId], failures: [] });
    expect(await ledgerRecord(local, grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'vendor-disabled',
      breakGlass: { review: 'OVERDUE', reviewBy: '2026-03-02T09:00:00.000Z' },
      residueCheck: { checkedAt: '2026-03-02T09:05:00.000Z', residue: NO_RESIDUE },
    });
    const { vendors } = await local.cliOk<{ vendors: { vendorId: string; enabled: boolean }[] }>(PEOPLE.sponsor, [
      'vendor',
      'list',
    ]);
    expect(vendors.find((v) => v.vendorId === 'acme')).toMatchObject({ enabled: false });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('extension: more time on an active grant is a new grant from its expiry', () => {
  it('an approved extension takes over at the original expiry, and both end with nothing left', async () => {
    // Prepare
    const local = await lifecycle.start();
    const original = await grantThroughWorkflow(local, { durationMinutes: 60 });
    const requested = await local.cliOk<{ grantId: string; window: unknown }>(PEOPLE.sponsor, [
      'extend',
      original.grantId,
      '--by',
      '2h',
    ]);
    const done = local.executions.get(requested.grantId);
    await local.untilAwaitingApproval(requested.grantId);

    // Act
    await approveByTwo(local, requested.grantId);
    const outcome = await done;
    const extension = await ledgerRecord(local, requested.grantId);
    await local.advanceTo(extension.expiresAt ?? '');

    // Assess
    expect(outcome?.status).toBe('SUCCEEDED');
    expect(requested.window).toEqual({ startAt: '2026-03-02T09:00:00.000Z', expiresAt: '2026-03-02T11:00:00.000Z' });
    expect(extension).toMatchObject({
      status: 'ACTIVE',
      request: { extends: original.grantId, targets: original.request.targets, ports: original.request.ports },
      plan: { window: { startAt: '2026-03-02T09:00:00.000Z', expiresAt: '2026-03-02T11:00:00.000Z' } },
    });
    expect(await ledgerRecord(local, original.grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'expiry',
      residueCheck: { checkedAt: '2026-03-02T09:00:00.000Z', residue: NO_RESIDUE },
    });
    expect(await ledgerRecord(local, requested.grantId)).toMatchObject({
      status: 'REVOKED',
      revokeReason: 'expiry',
      residueCheck: { checkedAt: '2026-03-02T11:00:00.000Z', residue: NO_RESIDUE },
    });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});

describe('the grant step trusts no ledger record', () => {
  const ledgerTable = DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig()));

  afterAll(() => ledgerTable.destroy());

  it('a request tampered in the ledger after approval (SSH added) is refused by the grant step, and nothing is created', async () => {
    // Prepare
    const local = await lifecycle.start();
    const startAt = new Date(RUN_STARTS_AT.getTime() + HOUR_MS).toISOString();
    const { grantId, done } = await requestAccess(local, acmeRequest(local, { startAt }));
    await local.decide(grantId, alice, 'approve');
    // Once approved, the workflow waits for the start (moving the clock fires due schedules first): the ledger is
    // tampered with right then, after the last vote and before the grant step reads it.
    local.http.beforeNext('scheduler:ListSchedules', async () => {
      await ledgerTable.send(
        new UpdateCommand({
          TableName: local.world.settings.ledgerTableName,
          Key: { pk: `GRANT#${grantId}`, sk: 'GRANT' },
          UpdateExpression: 'SET #request.#ports = :ports',
          ExpressionAttributeNames: { '#request': 'request', '#ports': 'ports' },
          ExpressionAttributeValues: { ':ports': [{ protocol: 'tcp', fromPort: 22, toPort: 22 }] },
        }),
      );
    });

    // Act
    await local.decide(grantId, bob, 'approve');
    const outcome = await done;

    // Assess
    expect(outcome).toEqual({ status: 'FAILED', error: 'jit.GrantFailed' });
    const grant = await ledgerRecord(local, grantId);
    expect(grant).toMatchObject({
      status: 'FAILED',
      approvals: [alice, bob],
      created: {},
      request: { ports: [{ fromPort: 22 }] },
    });
    expect(grant.history.find((e) => e.event === 'grant-failed')?.detail).toContain(
      'grant refused: tcp/22-22 is not allowed for acme',
    );
    expect(local.http.calls).not.toContain('iam:CreateRole');
    expect(local.http.calls).not.toContain('ec2:AuthorizeSecurityGroupIngress');
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });
});
