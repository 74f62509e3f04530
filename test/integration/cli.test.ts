import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DescribeImagesCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { PlanView } from '../../lib/cli/plan-view';
import { runCli } from '../../lib/cli/program';
import { OUTPUTS, securityGroupOutput } from '../../lib/stack-outputs';
import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import type { CliRun, LocalJitAccess } from '../../scripts/local-aws/local-jit-access';
import { acmeRequest, PEOPLE, requestAccess, requestArgs } from '../../scripts/local-aws/scenarios';
import { localClientConfig } from '../helpers/local-aws-clients';
import {
  alsoSponsorsAcme,
  firstTarget,
  grantThroughWorkflow,
  ledgerRecord,
  localLifecycle,
  NO_RESIDUE,
  requestBreakGlass,
  subscribeToNotifications,
} from '../helpers/local-lifecycle';

const REPO_CDK_JSON = path.resolve(__dirname, '..', '..', 'cdk.json');
const [alice, bob, carol] = PEOPLE.approvers;
const { sponsor: dana, admin: erin } = PEOPLE;
const HOUR_MS = 3_600_000;
const A_STACK_TRACE = /\n\s+at /;

type Shown = ResponseOf<'showGrant'>;

/** The error a refused command printed under --json. */
function errorOf(run: CliRun): { code?: string; field?: string; message?: string } | undefined {
  return (run.json as { error?: { code?: string; field?: string; message?: string } } | undefined)?.error;
}

/** The CLI as a person types it, without --json: what it prints for people (stderr lines on a refusal). */
async function cliText(local: LocalJitAccess, person: string, args: readonly string[]): Promise<CliRun> {
  const { url } = await local.startApi();
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    ['--api-url', url, '--region', local.world.settings.env.region, '--profile', `local-${person}`, ...args],
    {
      out: (text) => (stdout += text),
      err: (text) => (stderr += text),
      fetch: (input, init) => fetch(input, init),
      sleep: async () => undefined,
      now: () => new Date(),
    },
  );
  return { code, stdout, stderr, json: undefined };
}

describe('jit-access, command by command, against the API on local AWS', () => {
  const lifecycle = localLifecycle({ sharedWorld: true });

  it('request (dana): exits 0 with the grant id the API made, and the workflow waits for approval', async () => {
    // Prepare
    const local = await lifecycle.start();
    const request = acmeRequest(local);

    // Act
    const run = await local.cli(dana, ['request', ...requestArgs(request)]);

    // Assess
    expect(run.code).toBe(0);
    const requested = run.json as ResponseOf<'createRequest'>;
    expect(requested).toMatchObject({
      grantId: expect.stringMatching(/^g-[0-9a-f]{12}$/),
      status: 'REQUESTED',
      vendorId: 'acme',
      breakGlass: false,
      window: { startAt: '2026-03-02T08:00:00.000Z', expiresAt: '2026-03-02T16:00:00.000Z' },
      executionArn: expect.stringMatching(/:execution:.*:g-[0-9a-f]{12}$/),
    });
    await local.untilAwaitingApproval(requested.grantId);
    expect(await ledgerRecord(local, requested.grantId)).toMatchObject({
      status: 'PENDING',
      request: {
        requester: {
          person: dana,
          arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_JitAccessUsers_0123456789abcdef/dana@example.com',
        },
      },
    });
    await local.revoke(requested.grantId, 'done with the example', dana);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('request (dana) of a Windows instance is refused naming targets[0], and nothing starts', async () => {
    // Prepare: untagged, because moto is shared by the suites running at once, and a Windows member of billing-db
    // would make their group:billing-db requests refused too (the platform is checked before the group).
    const local = await lifecycle.start();
    const ec2 = new EC2Client(localClientConfig());
    const windows = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'platform', Values: ['windows'] }] }));
    const launched = await ec2.send(
      new RunInstancesCommand({ ImageId: windows.Images?.[0]?.ImageId, MinCount: 1, MaxCount: 1 }),
    );
    ec2.destroy();
    const instanceId = launched.Instances?.[0]?.InstanceId ?? '';

    // Act
    const run = await local.cli(dana, ['request', ...requestArgs(acmeRequest(local, { targets: [instanceId] }))]);

    // Assess
    expect(instanceId).toMatch(/^i-/);
    expect(run.code).toBe(2);
    expect(errorOf(run)).toMatchObject({ code: 'WINDOWS_NOT_SUPPORTED', field: 'targets[0]' });
    expect(local.executions.size).toBe(0);
  });

  it('approve (alice, then bob): the first vote waits for one more, the second approves and the grant is made', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, done } = await requestAccess(local, acmeRequest(local));

    // Act
    const first = await local.cli(alice, ['approve', grantId, '--comment', 'ticket checked']);
    const second = await local.cli(bob, ['approve', grantId]);
    const outcome = await done;

    // Assess
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(first.json).toEqual({ grantId, status: 'PENDING', approvals: [alice], needed: 2 });
    expect(second.json).toEqual({ grantId, status: 'APPROVED', approvals: [alice, bob], needed: 2 });
    expect(outcome.status).toBe('SUCCEEDED');
    const grant = await ledgerRecord(local, grantId);
    expect(grant.status).toBe('ACTIVE');
    await local.advanceTo(grant.expiresAt ?? '');
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('show: the grant and its votes carry the plan hash the approval message gave approvers', async () => {
    // Prepare
    const local = await lifecycle.start();
    const notifications = await subscribeToNotifications(local);
    const { grantId } = await grantThroughWorkflow(local);
    const approvalMessage = (await notifications.messages()).find((m) => m.subject.includes('approval needed'));
    notifications.close();

    // Act
    const run = await local.cli(carol, ['show', grantId]);

    // Assess
    expect(run.code).toBe(0);
    const { grant, votes } = run.json as Shown;
    const hashInMessage = /^Plan hash: ([0-9a-f]{64})$/m.exec(approvalMessage?.message ?? '')?.[1];
    expect(hashInMessage).toBeDefined();
    expect(grant.planHash).toBe(hashInMessage);
    expect(votes.map((v) => [v.person, v.decision, v.planHash])).toEqual([
      [alice, 'approve', hashInMessage],
      [bob, 'approve', hashInMessage],
    ]);
    expect(grant).toMatchObject({ grantId, status: 'ACTIVE', approvals: [alice, bob] });
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('plan <grant-id>: the plan of the grant from the API, with the hash approvers were sent', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, grant } = await grantThroughWorkflow(local);

    // Act
    const run = await local.cli(bob, ['plan', grantId]);

    // Assess
    expect(run.code).toBe(0);
    const view = run.json as PlanView;
    expect(view.hash).toBe(grant.planHash);
    expect(view).toMatchObject({
      role: { name: `jit-${grantId}`, path: local.world.settings.config.iamPath },
      startsAt: grant.plan.window.startAt,
      expiresAt: grant.plan.window.expiresAt,
      schedule: { name: `jit-${grantId}`, expression: grant.plan.schedule.expression },
    });
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it("connect: the vendor's role, external id, source CIDRs, session document and exact commands", async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request, grant } = await grantThroughWorkflow(local);
    const instanceId = firstTarget(request);
    const { sessionDocumentName } = local.world.settings;

    // Act
    const run = await local.cli(dana, ['connect', grantId, '--source-profile', 'acme']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.json).toEqual({
      grantId,
      roleArn: grant.created.roleArn,
      externalId: 'acme-7f3c9a1e5b2d',
      requiresMfa: true,
      sourceCidrs: ['203.0.113.0/24', '198.51.100.16/28'],
      region: 'eu-west-1',
      documentName: sessionDocumentName,
      targets: [instanceId],
      expiresAt: grant.expiresAt,
      commands: {
        assumeRole: `aws sts assume-role --role-arn ${grant.created.roleArn} --role-session-name <your-name> --external-id acme-7f3c9a1e5b2d --serial-number <your MFA device ARN> --token-code <code> --profile acme`,
        startSession: [
          `aws ssm start-session --target ${instanceId} --document-name ${sessionDocumentName} --region eu-west-1 --profile jit-${grantId}`,
        ],
      },
      profile: expect.stringContaining(`[profile jit-${grantId}]\nrole_arn = ${grant.created.roleArn}\n`),
    });
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  /** The vendor opens a session on an active grant and types two lines; returns the grant, session and lines. */
  async function vendorSessionWithTyping(local: LocalJitAccess) {
    const { grantId, request } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));
    const typed = ['whoami', 'psql -c "select count(*) from invoices where status = \'stuck\'"'];
    await local.vendorTypes(sessionId, typed);
    return { grantId, sessionId, typed };
  }

  /** `watch --json` prints one JSON event per line. */
  const watchedEvents = (run: CliRun) =>
    run.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { sessionId: string; message: string });

  it('watch --once (alice): the lines the vendor typed in the live session, in order', async () => {
    // Prepare
    const local = await lifecycle.start();
    // CloudWatch Logs (and moto) take only events of the last 14 days, so this session runs on today's clock.
    await local.advanceTo(new Date());
    const { grantId, sessionId, typed } = await vendorSessionWithTyping(local);

    // Act
    const run = await local.cli(alice, ['watch', grantId, '--once']);

    // Assess
    expect(run.code).toBe(0);
    expect(watchedEvents(run).map((e) => [e.sessionId, e.message])).toEqual(typed.map((line) => [sessionId, line]));
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  // BUG (scripts/local-aws/local-jit-access.ts, vendorTypes): a local run's warped clock starts on 2026-03-02, so the
  // lines are stamped months before the real clock; moto (like CloudWatch Logs) rejects events older than 14 days and
  // vendorTypes ignores rejectedLogEventsInfo, so the transcript is silently lost and watch shows nothing.
  it('watch --once shows the lines typed on the warped clock a local run starts with', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, sessionId, typed } = await vendorSessionWithTyping(local);

    // Act
    const run = await local.cli(alice, ['watch', grantId, '--once']);

    // Assess
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
    expect(run.code).toBe(0);
    expect(watchedEvents(run).map((e) => [e.sessionId, e.message])).toEqual(typed.map((line) => [sessionId, line]));
  });

  it("extend --by 2h (dana): a new request for the same access from the grant's expiry, waiting for approval", async () => {
    // Prepare
    const local = await lifecycle.start();
    const original = await grantThroughWorkflow(local);

    // Act
    const run = await local.cli(dana, ['extend', original.grantId, '--by', '2h']);

    // Assess
    expect(run.code).toBe(0);
    const requested = run.json as ResponseOf<'extend'>;
    expect(requested).toMatchObject({
      status: 'REQUESTED',
      vendorId: 'acme',
      extends: original.grantId,
      window: { startAt: original.grant.expiresAt, expiresAt: '2026-03-02T18:00:00.000Z' },
    });
    await local.untilAwaitingApproval(requested.grantId);
    expect(await ledgerRecord(local, requested.grantId)).toMatchObject({
      status: 'PENDING',
      request: { extends: original.grantId, targets: original.request.targets, durationMinutes: 120 },
    });
    await local.revoke(requested.grantId, 'not needed after all', dana);
    await local.revoke(original.grantId, 'done with the example', dana);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  describe('list', () => {
    /** dana's request waiting for votes, and erin's break-glass grant, active at once. */
    async function twoGrants(local: LocalJitAccess) {
      const pending = await requestAccess(local, acmeRequest(local));
      const breakGlass = await requestBreakGlass(local, { durationMinutes: 30 });
      await breakGlass.done;
      return { pending: pending.grantId, active: breakGlass.grantId };
    }

    async function revokeBoth(local: LocalJitAccess, grants: { pending: string; active: string }) {
      await local.revoke(grants.pending, 'done with the example', erin);
      await local.revoke(grants.active, 'done with the example', erin);
    }

    it('--mine shows only the grants the caller requested', async () => {
      // Prepare
      const local = await lifecycle.start();
      const grants = await twoGrants(local);

      // Act
      const danas = await local.cli(dana, ['list', '--mine']);
      const erins = await local.cli(erin, ['list', '--mine']);

      // Assess
      expect([danas.code, erins.code]).toEqual([0, 0]);
      expect((danas.json as ResponseOf<'listGrants'>).grants).toEqual([
        expect.objectContaining({ grantId: grants.pending, requester: dana, status: 'PENDING' }),
      ]);
      expect((erins.json as ResponseOf<'listGrants'>).grants).toEqual([
        expect.objectContaining({ grantId: grants.active, requester: erin, breakGlassReview: 'PENDING' }),
      ]);
      await revokeBoth(local, grants);
      expect(await local.residue()).toEqual(NO_RESIDUE);
    });

    it('--status shows only the grants in that status', async () => {
      // Prepare
      const local = await lifecycle.start();
      const grants = await twoGrants(local);

      // Act
      const active = await local.cli(bob, ['list', '--status', 'active']);
      const pending = await local.cli(bob, ['list', '--status', 'PENDING']);

      // Assess
      expect([active.code, pending.code]).toEqual([0, 0]);
      expect(active.json).toEqual({
        grants: [expect.objectContaining({ grantId: grants.active, status: 'ACTIVE' })],
        truncated: false,
      });
      expect(pending.json).toEqual({
        grants: [expect.objectContaining({ grantId: grants.pending, status: 'PENDING' })],
        truncated: false,
      });
      await revokeBoth(local, grants);
      expect(await local.residue()).toEqual(NO_RESIDUE);
    });
  });

  it('revoke (dana, the requester): the kill switch removes everything and exits 0', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId, request } = await grantThroughWorkflow(local);
    const sessionId = await local.vendorStartsSession(grantId, firstTarget(request));

    // Act
    const run = await local.cli(dana, ['revoke', grantId, '--reason', 'the vendor finished early']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ grantId, status: 'REVOKED', changed: true, residue: NO_RESIDUE, sharedRulesKept: [] });
    expect(local.sessions.isActive(sessionId)).toBe(false);
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'REVOKED', revokeReason: 'kill-switch' });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it("vendor disable (erin): revokes the vendor's live grants, and a new request is refused with exit 1", async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId } = await grantThroughWorkflow(local);

    // Act
    const run = await local.cli(erin, ['vendor', 'disable', 'acme', '--reason', 'contract ended']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ vendorId: 'acme', enabled: false, revokedGrants: [grantId] });
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'REVOKED', revokeReason: 'vendor-disabled' });
    const refused = await local.cli(dana, ['request', ...requestArgs(acmeRequest(local))]);
    expect(refused.code).toBe(1);
    expect(errorOf(refused)).toMatchObject({ code: 'VENDOR_DISABLED', field: 'vendorId' });
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('vendor enable (erin): the vendor is listed enabled again and a new request is accepted', async () => {
    // Prepare
    const local = await lifecycle.start();
    await local.cliOk(erin, ['vendor', 'disable', 'acme', '--reason', 'contract ended']);

    // Act
    const run = await local.cli(erin, ['vendor', 'enable', 'acme', '--reason', 'contract renewed']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ vendorId: 'acme', enabled: true, revokedGrants: [] });
    const { vendors } = await local.cliOk<ResponseOf<'listVendors'>>(dana, ['vendor', 'list']);
    expect(vendors.find((v) => v.vendorId === 'acme')).toMatchObject({ enabled: true });
    expect(vendors.find((v) => v.vendorId === 'acme')?.disabledReason).toBeUndefined();
    const { grantId } = await requestAccess(local, acmeRequest(local));
    await local.revoke(grantId, 'done with the example', dana);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it("whoami: each person's signed identity resolves to that person and what they may do", async () => {
    // Prepare
    const local = await lifecycle.start();
    const identityCenter = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_JitAccessUsers_0123456789abcdef';
    const expected = [
      { person: dana, arn: `${identityCenter}/dana@example.com`, sponsorOf: ['acme', 'globex'] },
      { person: alice, arn: `${identityCenter}/alice@example.com`, approver: true },
      { person: bob, arn: 'arn:aws:iam::111122223333:user/bob', approver: true },
      {
        person: carol,
        arn: 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/carol',
        approver: true,
        auditor: true,
      },
      { person: erin, arn: `${identityCenter}/erin@example.com`, admin: true, breakGlass: true, auditor: true },
    ].map((p) => ({ approver: false, admin: false, breakGlass: false, auditor: false, sponsorOf: [], ...p }));

    // Act
    const runs = [];
    for (const { person } of expected) runs.push(await local.cli(person, ['whoami']));

    // Assess
    expect(runs.map((r) => r.code)).toEqual(expected.map(() => 0));
    expect(runs.map((r) => r.json)).toEqual(expected);
  });
});

describe('jit-access refusals exit 1 with the rule that refused', () => {
  const lifecycle = localLifecycle({ sharedWorld: true });

  it('a vote on your own request is refused with SELF_APPROVAL and counts nothing', async () => {
    // Prepare
    const local = await lifecycle.start(alsoSponsorsAcme(alice));
    const { grantId } = await requestAccess(local, acmeRequest(local), alice);

    // Act
    const run = await local.cli(alice, ['approve', grantId]);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)).toMatchObject({ code: 'SELF_APPROVAL' });
    expect(await local.deps.ledger.listVotes(grantId)).toEqual([]);
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('a vote by someone who is not an approver is refused with NOT_AN_APPROVER and counts nothing', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId } = await requestAccess(local, acmeRequest(local));

    // Act
    const run = await local.cli(erin, ['approve', grantId]);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)).toMatchObject({ code: 'NOT_AN_APPROVER' });
    expect(await local.deps.ledger.listVotes(grantId)).toEqual([]);
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('a second vote by the same approver is refused with DUPLICATE_VOTE, and the first counts once', async () => {
    // Prepare
    const local = await lifecycle.start();
    const { grantId } = await requestAccess(local, acmeRequest(local));
    await local.decide(grantId, alice, 'approve');

    // Act
    const run = await local.cli(alice, ['approve', grantId, '--comment', 'approving again']);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)).toMatchObject({ code: 'DUPLICATE_VOTE' });
    expect(await ledgerRecord(local, grantId)).toMatchObject({ status: 'PENDING' });
    expect((await local.deps.ledger.listVotes(grantId)).map((v) => v.person)).toEqual([alice]);
    await local.revoke(grantId, 'done with the example', erin);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('a request by someone who does not sponsor the vendor is refused with NOT_A_SPONSOR, and no workflow starts', async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const run = await local.cli(bob, ['request', ...requestArgs(acmeRequest(local))]);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)).toMatchObject({ code: 'NOT_A_SPONSOR', field: 'vendorId' });
    expect(local.executions.size).toBe(0);
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  it('vendor disable by someone who is not an admin is refused with NOT_AN_ADMIN, and the vendor stays enabled', async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const run = await local.cli(dana, ['vendor', 'disable', 'acme', '--reason', 'trying my luck']);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)).toMatchObject({ code: 'NOT_AN_ADMIN' });
    expect(await local.deps.ledger.vendorStates()).toEqual([]);
  });
});

describe('jit-access bad input exits 2, one line per problem, without a stack trace', () => {
  const lifecycle = localLifecycle({ sharedWorld: true });

  it("an unknown option is refused in the parser's one line (and one JSON error under --json), and nothing is sent", async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const run = await local.cli(dana, ['request', ...requestArgs(acmeRequest(local)), '--colour', 'red']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("error: unknown option '--colour'\n");
    expect(run.json).toEqual({ error: { code: 'BAD_INPUT', message: "unknown option '--colour'" } });
    expect(local.executions.size).toBe(0);
  });

  it('a bad --duration and a bad --ports are both reported, one line each, and nothing is sent', async () => {
    // Prepare
    const local = await lifecycle.start();
    const args = requestArgs(acmeRequest(local));
    args[args.indexOf('--duration') + 1] = 'forever';

    // Act
    const run = await cliText(local, dana, ['request', ...args, '--ports', 'ssh']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      '--duration: "forever" is not a duration: use minutes (90), or 2h, 1h30m, 45m',
      '--ports: "ssh" is not a port or range: use 5432, udp:514 or tcp:8000-8010',
    ]);
    expect(run.stderr).not.toMatch(A_STACK_TRACE);
    expect(run.stdout).toBe('');
    expect(local.timeline).toEqual([]);
  });

  it('under --json, a bad --ports is reported as a BAD_INPUT error naming the option', async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const run = await local.cli(dana, ['request', ...requestArgs(acmeRequest(local)), '--ports', '5432-22x']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.json).toEqual({
      error: {
        code: 'BAD_INPUT',
        field: '--ports',
        message: '"5432-22x" is not a port or range: use 5432, udp:514 or tcp:8000-8010',
      },
    });
    expect(run.stderr).not.toMatch(A_STACK_TRACE);
    expect(local.timeline).toEqual([]);
  });

  it('a request the API finds invalid (longer than the vendor allows) is reported in one line naming the field', async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const run = await cliText(local, dana, ['request', ...requestArgs(acmeRequest(local, { durationMinutes: 540 }))]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      'durationMinutes: 540 minutes is longer than vendor "acme" allows: request at most 480 minutes (8 h)',
    ]);
    expect(run.stderr).not.toMatch(A_STACK_TRACE);
    expect(local.executions.size).toBe(0);
  });
});

describe('jit-access plan --json (offline) shows exactly what the grant creates', () => {
  const lifecycle = localLifecycle({ sharedWorld: true });
  const iam = new IAMClient(localClientConfig());
  const ec2 = new EC2Client(localClientConfig());
  const scheduler = new SchedulerClient(localClientConfig());
  const directories: string[] = [];

  afterAll(() => {
    iam.destroy();
    ec2.destroy();
    scheduler.destroy();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  /**
   * What `npm run local` writes for `plan --outputs`, and a copy of cdk.json with this world's IAM path, in a
   * temporary directory.
   */
  function stackFiles(local: LocalJitAccess): { outputs: string; worldConfig: string } {
    const { settings } = local.world;
    const directory = mkdtempSync(path.join(tmpdir(), 'jit-plan-'));
    directories.push(directory);
    const outputs = path.join(directory, 'outputs.json');
    writeFileSync(
      outputs,
      JSON.stringify({
        JitAccess: {
          [OUTPUTS.sessionDocumentName]: settings.sessionDocumentName,
          [OUTPUTS.sessionKeyArn]: settings.sessionKeyArn,
          [OUTPUTS.permissionsBoundaryArn]: settings.permissionsBoundaryArn,
          [OUTPUTS.scheduleGroupName]: settings.scheduleGroupName,
          [OUTPUTS.grantRolePath]: settings.config.iamPath,
          ...Object.fromEntries(Object.entries(settings.securityGroups).map(([g, id]) => [securityGroupOutput(g), id])),
        },
      }),
    );
    const cdkJson = JSON.parse(readFileSync(REPO_CDK_JSON, 'utf8')) as {
      context: { jitAccess: Record<string, unknown> };
    };
    cdkJson.context.jitAccess.iamPath = settings.config.iamPath;
    const worldConfig = path.join(directory, 'cdk.json');
    writeFileSync(worldConfig, JSON.stringify(cdkJson));
    return { outputs, worldConfig };
  }

  /**
   * dana's grant for the whole billing-db group from a minute-aligned start an hour ahead, made through the workflow,
   * and `plan` run offline for the same request and grant id with `config`.
   */
  async function grantAndOfflinePlan(local: LocalJitAccess, config: (files: ReturnType<typeof stackFiles>) => string) {
    // Both sides check the start against their own clock: the CLI's is real time, so the world's moves there too.
    await local.advanceTo(new Date());
    const startAt = new Date(Math.ceil((Date.now() + HOUR_MS) / 60_000) * 60_000).toISOString();
    const request = acmeRequest(local, { targets: ['group:billing-db'], durationMinutes: 120, startAt });
    const { grantId, grant } = await grantThroughWorkflow(local, request);
    const files = stackFiles(local);
    const run = await local.cli(dana, [
      'plan',
      '--vendor',
      'acme',
      '--targets',
      'group:billing-db',
      '--duration',
      '2h',
      '--ports',
      '5432',
      '--start',
      startAt,
      '--config',
      config(files),
      '--outputs',
      files.outputs,
      '--grant-id',
      grantId,
    ]);
    return { grant, run };
  }

  const decoded = (document: string | undefined) => JSON.parse(decodeURIComponent(document ?? '{}')) as unknown;

  it('the role, its trust and session policies, the ingress rules and the schedule match, and so does the hash', async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const { grant, run } = await grantAndOfflinePlan(local, (files) => files.worldConfig);

    // Assess
    expect(run.code).toBe(0);
    const plan = run.json as PlanView;
    expect(grant.status).toBe('ACTIVE');
    expect(plan.hash).toBe(grant.planHash);
    expect([plan.startsAt, plan.expiresAt]).toEqual([grant.plan.window.startAt, grant.expiresAt]);

    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: plan.role.name }));
    expect({
      name: role?.RoleName,
      path: role?.Path,
      trustPolicy: decoded(role?.AssumeRolePolicyDocument),
      maxSessionDuration: role?.MaxSessionDuration,
      permissionsBoundary: role?.PermissionsBoundary?.PermissionsBoundaryArn,
      tags: Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key, t.Value])),
    }).toEqual(plan.role);

    const [policy] = plan.policies;
    const stored = await iam.send(new GetRolePolicyCommand({ RoleName: plan.role.name, PolicyName: policy?.name }));
    expect(decoded(stored.PolicyDocument)).toEqual(policy?.document);

    const groupId = local.world.settings.securityGroups['billing-db'] ?? '';
    const { SecurityGroupRules: rules = [] } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    const inEc2 = rules
      .filter((r) => !r.IsEgress)
      .map((r) => ({
        groupId: r.GroupId,
        ipProtocol: r.IpProtocol,
        fromPort: r.FromPort,
        toPort: r.ToPort,
        cidr: r.CidrIpv4,
        description: r.Description,
      }));
    const byCidr = (a: { cidr?: string }, b: { cidr?: string }) => (a.cidr ?? '').localeCompare(b.cidr ?? '');
    expect(inEc2.sort(byCidr)).toEqual([...plan.securityGroupRules].sort(byCidr));

    const schedule = await scheduler.send(
      new GetScheduleCommand({ Name: plan.schedule.name, GroupName: plan.schedule.groupName }),
    );
    expect(schedule.ScheduleExpression).toBe(plan.schedule.expression);

    await local.advanceTo(grant.expiresAt ?? '');
    expect(await local.residue()).toEqual(NO_RESIDUE);
  });

  // The local world makes grant roles under /jit-access-<suffix>/: the outputs' GrantRolePath wins over the path in
  // the repository's cdk.json, as a deployed stack's outputs win over a cdk.json that moved on.
  it('with the cdk.json that npm run local suggests, the plan names the role path and hash of the local grant', async () => {
    // Prepare
    const local = await lifecycle.start();

    // Act
    const { grant, run } = await grantAndOfflinePlan(local, () => REPO_CDK_JSON);

    // Assess
    await local.advanceTo(grant.expiresAt ?? '');
    expect(await local.residue()).toEqual(NO_RESIDUE);
    expect(run.code).toBe(0);
    const plan = run.json as PlanView;
    expect(plan.role.path).toBe(grant.plan.role.path);
    expect(plan.hash).toBe(grant.planHash);
  });
});
