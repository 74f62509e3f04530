import type { ValidatedWorkflowState } from '../../lambdas/handlers/validate-request';
import { createHarness, requestInput, taskTokenFor, type Harness } from '../helpers/handler-deps';

const GRANT_ID = 'grant-approval-0001';
const TOKEN = taskTokenFor(GRANT_ID);

let h: Harness;
let validated: ValidatedWorkflowState;
beforeEach(async () => {
  h = createHarness();
  validated = await h.handlers.validateRequest({ input: requestInput(), grantId: GRANT_ID });
  h.aws.clearCallLog();
});
afterEach(() => h.restore());

describe('request-approval', () => {
  it('stores the task token in the ledger, where getTaskToken reads it', async () => {
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(TOKEN);
  });

  it('keeps the task token out of the grant record', async () => {
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    const grant = await h.ledger.getGrant(GRANT_ID);
    expect(grant?.status).toBe('PENDING');
    expect(JSON.stringify(grant)).not.toContain(TOKEN);
  });

  it('publishes one message that shows approvers the plan', async () => {
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    expect(h.aws.published).toHaveLength(1);
    const [message] = h.aws.published;
    expect(message?.subject).toContain(GRANT_ID);
    expect(message?.message).toContain(`/jit-access/jit-${GRANT_ID}`);
    expect(message?.message).toContain('"StartSessionOnGrantedInstances"');
    expect(message?.message).toContain('tcp 5432-5432 from 203.0.113.0/24');
    expect(message?.message).not.toContain(TOKEN);
  });

  it('run twice with the same input keeps one record and sends one message', async () => {
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    const second = await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    expect(second).toEqual({ grantId: GRANT_ID, status: 'PENDING' });
    expect(h.aws.published).toHaveLength(1);
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toHaveLength(1);
  });

  it('a retried step with a new task token replaces the token and notifies again', async () => {
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });

    await h.handlers.requestApproval({ ...validated, taskToken: `${TOKEN}-retry` });

    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(`${TOKEN}-retry`);
    expect(h.aws.published).toHaveLength(2);
    expect((await h.ledger.getGrant(GRANT_ID))?.history).toHaveLength(1);
  });

  it('a retried step for a grant already decided changes nothing', async () => {
    await h.handlers.requestApproval({ ...validated, taskToken: TOKEN });
    await h.ledger.transition(GRANT_ID, ['PENDING'], 'DENIED', {
      at: '2030-03-01T09:05:00.000Z',
      actor: 'x',
      event: 'denied',
    });

    await h.handlers.requestApproval({ ...validated, taskToken: `${TOKEN}-late` });

    expect(await h.ledger.getTaskToken(GRANT_ID)).toBe(TOKEN);
    expect(h.aws.published).toHaveLength(1);
  });

  it('refuses an event without a task token and writes nothing', async () => {
    const { grantId, request, targets, plan } = validated;

    await expect(h.handlers.requestApproval({ grantId, request, targets, plan })).rejects.toMatchObject({
      name: 'jit.ValidationError',
      field: 'taskToken',
    });
    expect(h.ledger.writes).toEqual([]);
    expect(h.aws.published).toEqual([]);
  });
});
