/**
 * What the system answers when one AWS call of a step fails: the callbacks that answer the approval step
 * (SendTaskSuccess, SendTaskFailure), the scheduler's create and delete, and EC2 refusing a rule the group has no
 * room for. Each failure leaves the grant in a state the next retry (or the sweeper) finishes, never a stranded one.
 */
import { INBOUND_RULES_PER_GROUP, awsError } from '../helpers/fake-aws';
import {
  ALICE,
  BILLING_SG,
  BOB,
  CAROL,
  callApi,
  createHarness,
  rejectionOf,
  DANA,
  seedActive,
  seedApproved,
  seedPending,
  statusOf,
  taskTokenFor,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-fails-0001';
const TOKEN = taskTokenFor(GRANT_ID);
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
const SCHEDULE = `jit-${GRANT_ID}`;
const onGrant = { params: { grantId: GRANT_ID } };

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

const approve = (caller = ALICE) => callApi(h, 'approve', caller, { ...onGrant, body: {} });
const deny = (caller = BOB) => callApi(h, 'deny', caller, { ...onGrant, body: { reason: 'no change window' } });

describe('the approval callbacks failing', () => {
  it('an approval whose SendTaskSuccess failed, retried by nobody, is reported by the sweeper; a retry then sends it', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    h.aws.executions.push({
      stateMachineArn: h.deps.settings.stateMachineArn ?? '',
      name: GRANT_ID,
      input: {},
      status: 'RUNNING',
    });
    await approve(ALICE);
    h.aws.failNext('SendTaskSuccess', 'ServiceUnavailable');
    await approve(BOB);
    h.clock.advanceMinutes(11);

    // Act
    const report = await h.handlers.sweeper();
    const retried = await approve(CAROL);

    // Assess
    expect(report.undeliveredDecisions).toEqual([GRANT_ID]);
    expect(retried.status).toBe(200);
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'success', taskToken: TOKEN, output: { approvedBy: ['alice', 'bob'] } },
    ]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('a deny whose SendTaskFailure failed is sent again by the next approver who acts, once', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    h.aws.failNext('SendTaskFailure', 'ThrottlingException');
    const failed = await deny(BOB);

    // Act
    const retried = await deny(CAROL);

    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(await statusOf(h, GRANT_ID)).toBe('DENIED');
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: TOKEN, error: 'jit.Denied', cause: 'denied (answer sent again)' },
    ]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('an approval answered but not forgotten (the ledger failed after SendTaskSuccess) is not answered twice', async () => {
    // Prepare: the workflow got its answer; the token stayed in the ledger.
    await seedPending(h, GRANT_ID);
    await approve(ALICE);
    jest
      .spyOn(h.ledger, 'forgetTaskToken')
      .mockRejectedValueOnce(awsError('InternalServerError', 'injected: the ledger failed'));
    const failed = await approve(BOB);

    // Act
    const retried = await approve(CAROL);

    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(await statusOf(h, GRANT_ID)).toBe('APPROVED');
    expect(h.aws.taskCallbacks.map((c) => c.kind)).toEqual(['success']);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('a cancelled request whose SendTaskFailure failed tells its workflow when the kill switch is pulled again', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    h.aws.failNext('SendTaskFailure');
    const failed = await callApi(h, 'revoke', DANA, { ...onGrant, body: { reason: 'vendor no longer needed' } });

    // Act
    const retried = await callApi(h, 'revoke', DANA, { ...onGrant, body: { reason: 'vendor no longer needed' } });

    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: TOKEN, error: 'jit.Cancelled', cause: 'cancelled by dana' },
    ]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });
  it('the kill switch on an approval whose SendTaskSuccess failed cancels the workflow still waiting', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await approve(ALICE);
    h.aws.failNext('SendTaskSuccess');
    await approve(BOB);

    // Act
    const revoked = await callApi(h, 'revoke', DANA, { ...onGrant, body: { reason: 'change window cancelled' } });

    // Assess
    expect(revoked.status).toBe(200);
    expect(h.aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: TOKEN, error: 'jit.Cancelled', cause: 'cancelled by dana' },
    ]);
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
    expect(h.aws.roles.size).toBe(0);
  });
});

describe('the scheduler failing', () => {
  it('a grant whose expiry schedule cannot be created removes what it made and ends FAILED, naming the step', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    h.aws.failNext('CreateSchedule', 'ServiceQuotaExceededException');

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error).toMatchObject({ name: 'jit.GrantFailed' });
    expect(error.message).toContain('failed at create expiry schedule');
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
  });

  it('a revoke whose schedule cannot be deleted stays REVOKING with the schedule as residue, and alerts', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.aws.failWhen<{ Name?: string }>('DeleteSchedule', (input) => input.Name === SCHEDULE);
    h.clock.set(EXPIRES_AT);

    // Act
    const result = await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });

    // Assess
    expect(result.status).toBe('REVOKING');
    expect(result.residue.schedules).toEqual([expect.stringContaining(SCHEDULE)]);
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toEqual([]);
    expect(h.aws.published.map((m) => m.subject)).toContain(`jit-access: ALERT grant ${GRANT_ID} revoke incomplete`);
  });

  it('the revoke retried once the scheduler answers again deletes the schedule and ends REVOKED', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.aws.failWhen('DeleteSchedule', () => true, { times: 1 });
    h.clock.set(EXPIRES_AT);
    await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });

    // Act
    const result = await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });

    // Assess
    expect(result.status).toBe('REVOKED');
    expect(h.aws.schedules.size).toBe(0);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
  });
});

describe('the sweeper after the scheduler failed', () => {
  it('finishes a revoke left REVOKING by a failed schedule deletion once it is stuck, and ends REVOKED', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    // The scheduler keeps failing through the revoke's own rechecks, then recovers.
    let schedulerDown = true;
    h.aws.failWhen('DeleteSchedule', () => schedulerDown, { errorName: 'InternalServerException' });
    h.clock.set(EXPIRES_AT);
    await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKING');
    schedulerDown = false;
    h.clock.advanceMinutes(15);

    // Act
    const report = await h.handlers.sweeper();

    // Assess
    expect(report.stuckGrants).toEqual([GRANT_ID]);
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKED');
    expect(h.aws.schedules.size).toBe(0);
  });
});

describe('EC2 refusing a rule at grant time', () => {
  it('a group filled since the request was validated fails the grant, FAILED with nothing left behind', async () => {
    // Prepare: other rules fill the group after validation
    await seedApproved(h, GRANT_ID);
    for (let n = 1; n <= INBOUND_RULES_PER_GROUP - 1; n++) {
      h.aws.seedIngressRule({
        groupId: BILLING_SG,
        protocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidr: `10.1.${n}.0/24`,
        description: 'someone else',
        tags: {},
      });
    }

    // Act
    const error = await rejectionOf(h.handlers.grant({ grantId: GRANT_ID }));

    // Assess
    expect(error.message).toContain('failed at open ingress rules: The maximum number of rules');
    expect(await statusOf(h, GRANT_ID)).toBe('FAILED');
    expect(h.aws.roles.size).toBe(0);
    expect(h.aws.rulesIn(BILLING_SG)).toHaveLength(INBOUND_RULES_PER_GROUP - 1);
    expect(h.aws.schedules.size).toBe(0);
  });
});
