/**
 * IAM and EC2 are eventually consistent: just after a delete they can still refuse the next step or list what was
 * deleted. A revoke whose first residue check sees something checks again with exponential backoff, for a bounded
 * time, and only then records residue and alarms; the history says how many checks it took. A clean revoke waits for
 * nothing and makes no extra call.
 */
import { callApi, createHarness, ERIN, seedActive, statusOf, type Harness } from '../helpers/handler-deps';
import { failEveryCall } from '../helpers/persistent-fault';

const GRANT_ID = 'grant-recheck-0001';
const ROLE_NAME = `jit-${GRANT_ID}`;
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
/** The revoke Lambda runs for up to 5 minutes; the waits stay far below, and below the 20 s the issue allows. */
const REVOKE_WAIT_LIMIT_MS = 20_000;

let h: Harness;
let waits: number[];
beforeEach(async () => {
  h = createHarness();
  await seedActive(h, GRANT_ID);
  waits = [];
  jest.spyOn(h.deps, 'sleep').mockImplementation((ms) => {
    waits.push(ms);
    return Promise.resolve();
  });
  h.aws.clearCallLog();
});
afterEach(() => {
  jest.restoreAllMocks();
  h.restore();
});

const revokeAtExpiry = () => {
  h.clock.set(EXPIRES_AT);
  return h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });
};

async function lastHistoryEvent(): Promise<string | undefined> {
  return (await h.ledger.getGrant(GRANT_ID))?.history.at(-1)?.event;
}

describe('the residue check of a revoke', () => {
  it('waits for nothing and reads nothing more when the first check finds nothing', async () => {
    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED' });
    expect(waits).toEqual([]);
    expect(h.aws.countOf('GetRole')).toBe(1);
    expect(await lastHistoryEvent()).toBe('revoked (expiry); residue: none');
  });

  it('deletes again a role IAM refused to delete at first, and records the revoke clean after the second check', async () => {
    // Prepare: IAM refuses the first delete (the role is still being changed by the deny and the detach), not the
    // second.
    h.aws.failOn('DeleteRole', { errorName: 'ConcurrentModificationException' });

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED', residue: { roles: [] } });
    expect(h.aws.roles.has(ROLE_NAME)).toBe(false);
    expect(waits).toEqual([1_000]);
    expect(await lastHistoryEvent()).toBe(
      'revoked (expiry); residue: none (after 2 checks over 1 s: AWS still listed deleted resources at first)',
    );
    expect(h.aws.published.map((m) => m.subject)).toEqual([`jit-access: grant ${GRANT_ID} revoked`]);
  });

  it('takes no rule EC2 still lists just after closing it for residue: closing it again answers "already gone"', async () => {
    // Prepare: rule ids not recorded, so the check lists the JIT groups; the first listing is from before the close.
    await h.ledger.recordCreated(GRANT_ID, { securityGroupRuleIds: [] });
    const groups = Object.values(h.deps.settings.securityGroups);
    const stale = await h.deps.network.listIngressRulesIn(groups);
    const listing = jest.spyOn(h.deps.network, 'listIngressRulesIn').mockResolvedValueOnce(stale);

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(stale.length).toBeGreaterThan(0);
    expect(listing).toHaveBeenCalledTimes(1);
    expect(result).toMatchObject({ status: 'REVOKED', residue: { securityGroupRules: [] } });
    expect(waits).toEqual([]);
  });

  it('deletes again a schedule that could not be deleted at first', async () => {
    // Prepare
    h.aws.failOn('DeleteSchedule', { errorName: 'ThrottlingException' });

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result).toMatchObject({ status: 'REVOKED', residue: { schedules: [] } });
    expect(h.aws.schedules.size).toBe(0);
    expect(waits).toEqual([1_000]);
  });

  it('confirms residue that stays with exponential backoff within the bound, says so in the ledger, then alarms once', async () => {
    // Prepare
    failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result).toMatchObject({ status: 'REVOKING', residue: { roles: [expect.stringContaining(ROLE_NAME)] } });
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(REVOKE_WAIT_LIMIT_MS);
    expect(await lastHistoryEvent()).toBe('revoke incomplete (expiry); confirmed after 5 checks over 15 s');
    expect(await statusOf(h, GRANT_ID)).toBe('REVOKING');
    expect(h.aws.published.map((m) => m.subject)).toEqual([`jit-access: ALERT grant ${GRANT_ID} revoke incomplete`]);
  });

  it('does not wait for residue no later read can clear: a session that would not end', async () => {
    // Prepare
    h.aws.startSession('stuck-session', ROLE_NAME, 'i-0aaaaaaaaaaaaaaa1');
    failEveryCall(h.aws, 'TerminateSession', h.deps.sessions, 'terminateSession');

    // Act
    const result = await revokeAtExpiry();

    // Assess
    expect(result).toMatchObject({ status: 'REVOKING', residue: { sessions: ['stuck-session'] } });
    expect(waits).toEqual([]);
    expect(await lastHistoryEvent()).toBe('revoke incomplete (expiry)');
  });

  it('waits at most 3.5 s in all behind the kill switch, which answers within API Gateway’s 29 s', async () => {
    // Prepare
    failEveryCall(h.aws, 'DeleteRole', h.deps.roles, 'deleteRole');

    // Act
    const response = await callApi(h, 'revoke', ERIN, {
      params: { grantId: GRANT_ID },
      body: { reason: 'the vendor is done' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(waits).toEqual([500, 1_000, 2_000]);
    expect(await lastHistoryEvent()).toBe('revoke incomplete (kill-switch); confirmed after 4 checks over 3.5 s');
  });
});
