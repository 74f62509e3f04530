import { planHash } from '../../lambdas/domain/plan-hash';
import { createRequestApprovalHandler } from '../../lambdas/handlers/request-approval';
import type { ValidatedWorkflowState } from '../../lambdas/handlers/validate-request';
import { exampleConfig } from '../helpers/config-fixture';
import {
  BOB,
  createHarness,
  DANA,
  ERIN,
  requestInput,
  taskTokenFor,
  WEB_SG,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-approval-0001';
const TOKEN = taskTokenFor(GRANT_ID);

let h: Harness;
let validated: ValidatedWorkflowState;
afterEach(() => h.restore());

/** A harness and the validate step's output for `input` (dana's acme request by default). */
async function prepare(input: Record<string, unknown> = requestInput()): Promise<void> {
  h = createHarness();
  validated = await h.handlers.validateRequest({ input, grantId: GRANT_ID });
  h.aws.clearCallLog();
}

describe('request-approval', () => {
  it('stores the task token in the ledger, where getTaskToken reads it', async () => {
    // Prepare
    await prepare();

    // Act
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(TOKEN);
  });

  it('keeps the task token out of the grant record', async () => {
    // Prepare
    await prepare();

    // Act
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('PENDING');
    expect(JSON.stringify(grant)).not.toContain(TOKEN);
  });

  it('answers and records the hash of the plan it planned', async () => {
    // Prepare
    await prepare();

    // Act
    const result = await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(result).toEqual({ grantId: GRANT_ID, status: 'PENDING', planHash: planHash(validated.plan) });
    expect(grant?.planHash).toBe(result.planHash);
  });

  it('publishes one message that shows approvers the plan and its hash, never the token', async () => {
    // Prepare
    await prepare();

    // Act
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    expect(h.aws.published).toHaveLength(1);
    const [message] = h.aws.published;
    expect(message?.subject).toBe(`jit-access: approval needed for acme (${GRANT_ID})`);
    expect(message?.message).toContain(`/jit-access/jit-${GRANT_ID}`);
    expect(message?.message).toContain('"StartSessionOnGrantedInstances"');
    expect(message?.message).toContain('tcp 5432-5432 from 203.0.113.0/24');
    expect(message?.message).toContain(`Plan hash: ${planHash(validated.plan)}`);
    expect(message?.message).not.toContain(TOKEN);
  });

  it("opens the grant's history with the request and its ticket", async () => {
    // Prepare
    await prepare();

    // Act
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.history.map((e) => e.event)).toEqual(['requested: "CHG-1234"']);
  });

  it('run twice with the same input keeps one record and sends one message', async () => {
    // Prepare
    await prepare();
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Act
    const second = await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    expect(second).toMatchObject({ grantId: GRANT_ID, status: 'PENDING' });
    expect(h.aws.published).toHaveLength(1);
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toHaveLength(1);
  });

  it('a retried step with a new task token replaces the token and notifies again', async () => {
    // Prepare
    await prepare();
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Act
    await h.handlers.requestApproval({ ...validated, taskToken: `${TOKEN}-retry` });

    // Assess
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(`${TOKEN}-retry`);
    expect(h.aws.published).toHaveLength(2);
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toHaveLength(1);
  });

  it('a retried step for a grant already decided changes nothing', async () => {
    // Prepare
    await prepare();
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });
    await h.ledger.transition(GRANT_ID, ['PENDING'], 'DENIED', {
      at: '2030-03-01T09:05:00.000Z',
      actor: 'bob',
      event: 'denied',
    });

    // Act
    await h.handlers.requestApproval({ ...validated, taskToken: `${TOKEN}-late` });

    // Assess
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(TOKEN);
    expect(h.aws.published).toHaveLength(1);
  });

  it('refuses an event without a task token and writes nothing', async () => {
    // Prepare
    await prepare();
    const { grantId, request, targets, plan } = validated;

    // Act
    const recording = h.handlers.requestApproval({ grantId, request, targets, plan });

    // Assess
    await expect(recording).rejects.toMatchObject({
      name: 'jit.ValidationError',
      field: 'taskToken',
      code: 'MISSING_FIELD',
      message: 'taskToken: a request that needs approval needs the task token',
    });
    expect(h.ledger.writes).toEqual([]);
    expect(h.aws.published).toEqual([]);
  });
});

describe('request-approval trusts nothing it is handed', () => {
  it('ignores a plan and targets claimed in the event and records the ones it plans itself', async () => {
    // Prepare
    await prepare();
    const claimedPlan = {
      ...validated.plan,
      ingressRules: [{ securityGroupId: WEB_SG, protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }],
    };
    const claimedTargets = [{ kind: 'group', targetGroup: 'web-frontend', tagKey: 'any', tagValue: 'any' }];

    // Act
    await h.handlers.requestApproval({ ...validated, plan: claimedPlan, targets: claimedTargets, taskToken: TOKEN });

    // Assess
    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.plan).toEqual(validated.plan);
    expect(grant?.targets).toEqual(validated.targets);
    expect(grant?.planHash).toBe(planHash(validated.plan));
    expect(h.aws.published[0]?.message).not.toContain('0.0.0.0/0');
  });

  it('ignores a grant id claimed inside the request: the execution grant id counts', async () => {
    // Prepare
    await prepare();

    // Act
    await h.handlers.requestApproval({
      grantId: GRANT_ID,
      request: { ...validated.request, grantId: 'grant-someone-elses' },
      taskToken: TOKEN,
    });

    // Assess
    expect(await h.ledger.getGrant('grant-someone-elses')).toBeUndefined();
    expect((await h.ledger.getGrant(GRANT_ID))?.plan.role.name).toBe(`jit-${GRANT_ID}`);
  });

  it('refuses a request whose requester no longer sponsors the vendor, and writes nothing', async () => {
    // Prepare
    await prepare();
    const danaNoLongerSponsorsAcme = exampleConfig((raw) => {
      raw.vendors[0]!.sponsors = ['alice'];
    });
    const requestApproval = createRequestApprovalHandler(() => ({
      ...h.deps,
      settings: { ...h.deps.settings, config: danaNoLongerSponsorsAcme },
    }));

    // Act
    const recording = requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    await expect(recording).rejects.toMatchObject({ field: 'vendorId', code: 'NOT_A_SPONSOR' });
    expect(h.ledger.writes).toEqual([]);
    expect(h.aws.published).toEqual([]);
  });

  it("refuses a requester whose ARN is someone else's, and writes nothing", async () => {
    // Prepare
    await prepare();
    const forged = { ...validated.request, requester: { person: 'dana', arn: BOB.arn } };

    // Act
    const recording = h.handlers.requestApproval({ grantId: GRANT_ID, request: forged, taskToken: TOKEN });

    // Assess
    await expect(recording).rejects.toMatchObject({ field: 'requester', code: 'IDENTITY_MISMATCH' });
    expect(h.ledger.writes).toEqual([]);
  });

  it('refuses a request for a vendor an admin disabled since it was validated, and writes nothing', async () => {
    // Prepare
    await prepare();
    await h.ledger.setVendorState({
      vendorId: 'acme',
      disabled: true,
      reason: 'the contract ended',
      actor: 'erin',
      at: '2030-03-01T09:00:00.000Z',
    });
    const writesBefore = h.ledger.writes.length;

    // Act
    const recording = h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    // Assess
    await expect(recording).rejects.toMatchObject({ field: 'vendorId', code: 'VENDOR_DISABLED' });
    expect(h.ledger.writes).toHaveLength(writesBefore);
    expect(h.aws.published).toEqual([]);
  });
});

describe('request-approval of a break-glass request', () => {
  const breakGlassInput = () => requestInput({ requester: ERIN, breakGlass: true });
  const REVIEW_BY = '2030-03-02T09:00:00.000Z';

  it('needs no task token and records the grant APPROVED at once', async () => {
    // Prepare
    await prepare(breakGlassInput());

    // Act
    const result = await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });

    // Assess
    expect(result.status).toBe('APPROVED');
    expect(await h.ledger.getGrant(GRANT_ID)).toMatchObject({ status: 'APPROVED', approvals: [] });
    expect(await h.ledger.getTaskToken(GRANT_ID)).toBeUndefined();
  });

  it('sets a review deadline the configured hours ahead, and notes it for the sweeper', async () => {
    // Prepare
    await prepare(breakGlassInput());

    // Act
    await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.breakGlass).toEqual({ reviewBy: REVIEW_BY, review: 'PENDING' });
    expect(await h.ledger.reviewsDueBy(REVIEW_BY)).toEqual([{ grantId: GRANT_ID, reviewBy: REVIEW_BY }]);
  });

  it('alerts loudly: who granted what without approval, and the deadline for the review', async () => {
    // Prepare
    await prepare(breakGlassInput());

    // Act
    await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });

    // Assess
    expect(h.aws.published).toHaveLength(1);
    const [alert] = h.aws.published;
    expect(alert?.subject).toBe(`jit-access: ALERT break-glass grant ${GRANT_ID} for acme`);
    expect(alert?.message).toContain('BREAK-GLASS: erin granted vendor acme access WITHOUT waiting for approval.');
    expect(alert?.message).toContain(`review it by ${REVIEW_BY}`);
  });

  it("opens the grant's history saying the request was break-glass, with its ticket", async () => {
    // Prepare
    await prepare(breakGlassInput());

    // Act
    await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });

    // Assess
    expect((await h.ledger.getGrant(GRANT_ID))?.history.map((e) => e.event)).toEqual([
      'break-glass requested: "CHG-1234"',
    ]);
  });

  it('run twice keeps one record and sends one alert', async () => {
    // Prepare
    await prepare(breakGlassInput());
    await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });

    // Act
    const second = await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });

    // Assess
    expect(second.status).toBe('APPROVED');
    expect(h.aws.published).toHaveLength(1);
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toHaveLength(1);
  });

  it('refuses break-glass claimed for a requester who is not a break-glass person, and writes nothing', async () => {
    // Prepare
    await prepare();
    const claimed = { ...validated.request, requester: DANA, breakGlass: true };

    // Act
    const recording = h.handlers.requestApproval({ grantId: GRANT_ID, request: claimed });

    // Assess
    await expect(recording).rejects.toMatchObject({ field: 'breakGlass', code: 'NOT_BREAK_GLASS' });
    expect(h.ledger.writes).toEqual([]);
    expect(h.aws.published).toEqual([]);
  });
});
