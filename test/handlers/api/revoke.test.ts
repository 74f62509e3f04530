import type { Caller } from '../../../lambdas/domain/identity';
import {
  BILLING_1,
  BILLING_2,
  BILLING_SG,
  callApi,
  createHarness,
  DANA,
  ERIN,
  requestInput,
  seedActive,
  seedApproved,
  seedPending,
  statusOf,
  taskTokenFor,
  type Harness,
} from '../../helpers/handler-deps';
import { configWithFrank, FRANK, parsedResponse, writeCounts, type ErrorBody } from './support';

const GRANT_ID = 'grant-kill-0001';
const ROLE_NAME = `jit-${GRANT_ID}`;
const NO_RESIDUE = {
  roles: [],
  policies: [],
  securityGroupRules: [],
  schedules: [],
  sessions: [],
  osAccounts: [],
};
const REASON = 'the vendor ran an unexpected command';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => {
  h.restore();
  jest.restoreAllMocks();
});

const killSwitch = (grantId = GRANT_ID, caller: Caller = ERIN) =>
  callApi(h, 'revoke', caller, { params: { grantId }, body: { reason: REASON } });

describe('POST /grants/{grantId}/revoke on an active grant (the kill switch)', () => {
  it('ends the live session, removes everything the grant made and answers REVOKED with a clean residue', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.aws.startSession('session-of-grant', ROLE_NAME, BILLING_1);

    // Act
    const answer = await killSwitch();

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('revoke', answer.body)).toEqual({
      grantId: GRANT_ID,
      status: 'REVOKED',
      changed: true,
      residue: NO_RESIDUE,
      sharedRulesKept: [],
    });
    expect(h.aws.sessions.map((s) => s.status)).toEqual(['Terminated']);
    expect(h.aws.roles.size + h.aws.ingressRules.length + h.aws.schedules.size).toBe(0);
  });

  it('works before the expiry, and records the kill switch as the reason', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.clock.advanceMinutes(5);

    // Act
    await killSwitch();

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant).toMatchObject({ status: 'REVOKED', revokeReason: 'kill-switch' });
  });

  it('records who pulled the switch, with the ARN they signed with, and why', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);

    // Act
    await killSwitch(GRANT_ID, DANA);

    // Assess
    const history = (await h.ledger.getGrant(GRANT_ID))?.history ?? [];
    expect(history.slice(-3)).toEqual([
      expect.objectContaining({ actor: 'dana', actorArn: DANA.arn, event: `revoke requested: "${REASON}"` }),
      expect.objectContaining({ actor: 'dana', event: 'revoke started (kill-switch)' }),
      expect.objectContaining({ actor: 'dana', event: 'revoked (kill-switch); residue: none' }),
    ]);
  });

  it('run twice makes no mutating AWS call the second time and answers changed=false', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await killSwitch();
    h.aws.clearCallLog();

    // Act
    const second = await killSwitch();

    // Assess
    expect(second.status).toBe(200);
    expect(parsedResponse('revoke', second.body)).toMatchObject({ status: 'REVOKED', changed: false });
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it("run twice leaves the grant's history as the first run wrote it", async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    await killSwitch();
    const history = (await h.ledger.getGrant(GRANT_ID))?.history;

    // Act
    await killSwitch(GRANT_ID, DANA);

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toEqual(history);
  });

  it('answers no workflow, which is past its approval step, even when a task token of it lingers', async () => {
    // Prepare: the approval reached the workflow, but removing its token from the ledger failed.
    jest.spyOn(h.ledger, 'forgetTaskToken').mockRejectedValueOnce(new Error('the ledger is throttling'));
    await expect(seedApproved(h, GRANT_ID)).rejects.toThrow('the ledger is throttling');
    await h.handlers.grant({ grantId: GRANT_ID });
    h.aws.clearCallLog();

    // Act
    const answer = await killSwitch();

    // Assess
    expect(parsedResponse('revoke', answer.body).status).toBe('REVOKED');
    expect(h.aws.countOf('SendTaskFailure')).toBe(0);
  });

  it('refuses someone who neither requested the grant, approves nor administers with 403 saying who may', async () => {
    // Prepare
    h.restore();
    h = createHarness({ config: configWithFrank() });
    await seedActive(h, GRANT_ID);
    const before = writeCounts(h);

    // Act
    const answer = await killSwitch(GRANT_ID, FRANK);

    // Assess
    expect(answer).toEqual({
      status: 403,
      body: {
        error: {
          code: 'NOT_ALLOWED_TO_REVOKE',
          message: `frank may not revoke ${GRANT_ID}: its requester (dana), approvers and admins may`,
        },
      },
    });
    expect(writeCounts(h)).toEqual(before);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });

  it('keeps the ingress rules another active grant still holds', async () => {
    // Prepare
    const active = await seedActive(h, GRANT_ID);
    await seedActive(h, 'grant-kill-0002', requestInput({ targets: [BILLING_2] }));

    // Act
    const answer = await killSwitch();

    // Assess
    expect(parsedResponse('revoke', answer.body).sharedRulesKept).toHaveLength(2);
    expect(h.aws.rulesIn(BILLING_SG).map((r) => r.ruleId)).toEqual(active.securityGroupRuleIds);
    expect(await statusOf(h, 'grant-kill-0002')).toBe('ACTIVE');
  });

  it('answers 404 for a grant that does not exist, and writes nothing', async () => {
    // Prepare
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'revoke', ERIN, {
      params: { grantId: 'grant-never-made' },
      body: { reason: REASON },
    });

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'NOT_FOUND', field: 'grantId' });
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses a revoke without a reason, naming the field, and removes nothing', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.aws.clearCallLog();
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'revoke', ERIN, { params: { grantId: GRANT_ID }, body: {} });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'MISSING_FIELD', field: 'reason' });
    expect(writeCounts(h)).toEqual(before);
    expect(await statusOf(h, GRANT_ID)).toBe('ACTIVE');
  });
});

describe('POST /grants/{grantId}/revoke on a request that has not been granted', () => {
  it('cancels a pending request and answers its workflow with jit.Cancelled', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    h.aws.clearCallLog();

    // Act
    const answer = await killSwitch(GRANT_ID, DANA);

    // Assess
    expect(parsedResponse('revoke', answer.body)).toMatchObject({ status: 'REVOKED', residue: NO_RESIDUE });
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: taskTokenFor(GRANT_ID), error: 'jit.Cancelled', cause: 'cancelled by dana' },
    ]);
  });

  it('removes the task token of the cancelled request from the ledger', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);

    // Act
    await killSwitch(GRANT_ID, DANA);

    // Assess
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('cancels a pending request whose workflow step has already ended, and forgets its token', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    h.aws.failNext('SendTaskFailure', 'TaskTimedOut');

    // Act
    const answer = await killSwitch(GRANT_ID, DANA);

    // Assess
    expect(answer.status).toBe(200);
    expect(parsedResponse('revoke', answer.body).status).toBe('REVOKED');
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('run twice on a pending request answers its workflow once', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await killSwitch(GRANT_ID, DANA);
    h.aws.clearCallLog();

    // Act
    const second = await killSwitch(GRANT_ID, DANA);

    // Assess
    expect(parsedResponse('revoke', second.body)).toMatchObject({ status: 'REVOKED', changed: false });
    expect(h.aws.mutatingCalls).toEqual([]);
  });

  it('cancels an approved grant waiting for its start, and the grant step then creates nothing', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ startAt: '2030-03-01T12:00:00.000Z' }));
    await killSwitch();
    h.clock.set('2030-03-01T12:00:00.000Z');
    h.aws.clearCallLog();

    // Act
    const granting = h.handlers.grant({ grantId: GRANT_ID });

    // Assess
    await expect(granting).rejects.toMatchObject({ name: 'jit.TransitionError' });
    expect(h.aws.mutatingCalls).toEqual([]);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });

  it('still ends the access when the grant starts between reading and cancelling it', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID, requestInput({ targets: [BILLING_2], ports: [] }));
    h.ledger.runBeforeNextTransition(() => h.handlers.grant({ grantId: GRANT_ID }));

    // Act
    const answer = await killSwitch();

    // Assess
    expect(parsedResponse('revoke', answer.body).status).toBe('REVOKED');
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(h.aws.roles.has(ROLE_NAME)).toBe(false);
    expect(h.aws.schedules.has(`jit-access-expiry/${ROLE_NAME}`)).toBe(false);
  });
});
