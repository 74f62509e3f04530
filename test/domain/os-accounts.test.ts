import {
  commandComment,
  commandOrigin,
  hasTargets,
  MAX_RECORDED_INSTANCES,
  notSent,
  osUserHoldOf,
  outcomeOfFinalStatus,
  planLock,
  recordOutcomes,
  targetsOf,
  unfinishedOn,
} from '../../lambdas/domain/os-accounts';
import { RUN_AS_TAG } from '../../lambdas/domain/planner';
import type { GrantRecord, OsAccountOutcome, ResolvedTarget } from '../../lambdas/domain/types';
import { BILLING_1, BILLING_2, WEB_1 } from '../helpers/handler-deps';

const AT = '2030-03-01T10:00:00.000Z';
const BILLING_TAG = { tagKey: 'jit-access:target-group', tagValue: 'billing-db' };

const instances = (targetGroup: string, ...instanceIds: string[]): ResolvedTarget => ({
  kind: 'instances',
  targetGroup,
  instanceIds,
});
const group = (targetGroup: string): ResolvedTarget => ({
  kind: 'group',
  targetGroup,
  tagKey: 'jit-access:target-group',
  tagValue: targetGroup,
});

/** Only what the OS-account rules read of a grant: its id, targets and the OS user its plan runs sessions as. */
function grantOf(grantId: string, targets: readonly ResolvedTarget[], osUser = 'acme-support'): GrantRecord {
  return { grantId, targets, plan: { role: { tags: { [RUN_AS_TAG]: osUser } } } } as unknown as GrantRecord;
}

/** The OS user's holders as the ledger keeps them, from the grants that hold it. */
function holdersOf(...grants: GrantRecord[]): Record<string, readonly string[]> {
  return Object.fromEntries(grants.map((g) => [g.grantId, osUserHoldOf(g)?.reach ?? []]));
}

describe('targetsOf', () => {
  it('names each instance once and each group by its tag', () => {
    // Act
    const targets = targetsOf([
      instances('billing-db', BILLING_1, BILLING_2),
      instances('billing-db', BILLING_1),
      group('billing-db'),
    ]);

    // Assess
    expect(targets).toStrictEqual({ instanceIds: [BILLING_1, BILLING_2], groups: [BILLING_TAG] });
  });
});

describe('hasTargets', () => {
  it('is true for named instances alone', () => {
    // Act
    const has = hasTargets({ instanceIds: [BILLING_1], groups: [] });

    // Assess
    expect(has).toBe(true);
  });

  it('is true for a group alone', () => {
    // Act
    const has = hasTargets({ instanceIds: [], groups: [BILLING_TAG] });

    // Assess
    expect(has).toBe(true);
  });

  it('is false for no instance and no group', () => {
    // Act
    const has = hasTargets({ instanceIds: [], groups: [] });

    // Assess
    expect(has).toBe(false);
  });
});

describe('planLock', () => {
  it('locks every target when no other grant holds the OS user', () => {
    // Prepare
    const grant = grantOf('g-1', [instances('billing-db', BILLING_1, BILLING_2), group('web-frontend')]);

    // Act
    const plan = planLock(grant, holdersOf(grant));

    // Assess
    expect(plan).toEqual({
      targets: {
        instanceIds: [BILLING_1, BILLING_2],
        groups: [{ tagKey: 'jit-access:target-group', tagValue: 'web-frontend' }],
      },
      keptFor: [],
    });
  });

  it('leaves an instance another live grant of the same OS user holds', () => {
    // Prepare
    const grant = grantOf('g-1', [instances('billing-db', BILLING_1, BILLING_2)]);

    // Act
    const plan = planLock(grant, holdersOf(grantOf('g-2', [instances('billing-db', BILLING_2)])));

    // Assess
    expect(plan).toEqual({
      targets: { instanceIds: [BILLING_1], groups: [] },
      keptFor: [`${BILLING_2} (held by g-2)`],
    });
  });

  it('leaves the instances of a group another live grant of the same OS user holds whole', () => {
    // Prepare
    const grant = grantOf('g-1', [instances('billing-db', BILLING_1), instances('web-frontend', WEB_1)]);

    // Act
    const plan = planLock(grant, holdersOf(grantOf('g-2', [group('billing-db')])));

    // Assess
    expect(plan.targets).toEqual({ instanceIds: [WEB_1], groups: [] });
    expect(plan.keptFor).toEqual([`${BILLING_1} (held by g-2)`]);
  });

  it('leaves a whole group when another live grant of the same OS user holds an instance of it', () => {
    // Prepare
    const grant = grantOf('g-1', [group('billing-db')]);

    // Act
    const plan = planLock(grant, holdersOf(grantOf('g-2', [instances('billing-db', BILLING_2)])));

    // Assess
    expect(plan).toEqual({ targets: { instanceIds: [], groups: [] }, keptFor: ['group:billing-db (held by g-2)'] });
  });

  it('leaves an instance another grant holds among other targets of its own', () => {
    // Prepare
    const grant = grantOf('g-1', [instances('billing-db', BILLING_1, BILLING_2)]);
    const other = grantOf('g-2', [instances('web-frontend', WEB_1), instances('billing-db', BILLING_2)]);

    // Act
    const plan = planLock(grant, holdersOf(other));

    // Assess
    expect(plan).toEqual({
      targets: { instanceIds: [BILLING_1], groups: [] },
      keptFor: [`${BILLING_2} (held by g-2)`],
    });
  });

  it('locks an instance named by two of its targets once', () => {
    // Prepare
    const grant = grantOf('g-1', [instances('billing-db', BILLING_1), instances('billing-db', BILLING_1, BILLING_2)]);

    // Act
    const plan = planLock(grant, {});

    // Assess
    expect(plan).toEqual({ targets: { instanceIds: [BILLING_1, BILLING_2], groups: [] }, keptFor: [] });
  });
});

describe('osUserHoldOf', () => {
  it('holds the OS user on each named instance and on each group held whole, by target group', () => {
    // Act
    const hold = osUserHoldOf(
      grantOf('g-1', [instances('billing-db', BILLING_1, BILLING_2), instances('billing-db', BILLING_1), group('web')]),
    );

    // Assess
    expect(hold).toEqual({
      osUser: 'acme-support',
      reach: [`billing-db|${BILLING_1}`, `billing-db|${BILLING_2}`, 'web|*'],
    });
  });

  it('holds nothing for a grant whose sessions run as no OS user', () => {
    // Prepare
    const grant = { grantId: 'g-1', targets: [group('web')], plan: { role: { tags: {} } } } as unknown as GrantRecord;

    // Act
    const hold = osUserHoldOf(grant);

    // Assess
    expect(hold).toBeUndefined();
  });

  it('holds nothing for a grant with no target', () => {
    // Act
    const hold = osUserHoldOf(grantOf('g-1', []));

    // Assess
    expect(hold).toBeUndefined();
  });
});

describe('command comments', () => {
  it("name the action, the OS user and the grant, within SSM's 100 characters, and read back the same", () => {
    // Prepare
    const longest = commandComment('unlock', 'a'.repeat(32), `g${'0'.repeat(47)}`);

    // Act
    const origin = commandOrigin(commandComment('lock', 'acme-support', 'grant-abc-0001'));

    // Assess
    expect(longest.length).toBeLessThanOrEqual(100);
    expect(origin).toEqual({ action: 'lock', osUser: 'acme-support', grantId: 'grant-abc-0001' });
  });

  it.each([
    ['another tool', 'patching run 42'],
    ['another prefix before a valid lock', 'other-tool lock acme-support grant-abc-0001'],
    ['an action the document does not have', 'jit-access delete acme-support grant-abc-0001'],
    ['a grant id no grant can have', 'jit-access lock acme-support GRANT/../x'],
    ['more words', 'jit-access lock acme-support grant-abc-0001 extra'],
    ['no comment', undefined],
  ])('name no grant for %s', (_, comment) => {
    // Act
    const origin = commandOrigin(comment);

    // Assess
    expect(origin).toBeUndefined();
  });

  it('count only Success as a lock that held: any other final status is a failure', () => {
    // Act
    const outcomes = ['Success', 'Failed', 'TimedOut', 'Cancelled', 'Undeliverable'].map(outcomeOfFinalStatus);

    // Assess
    expect(outcomes).toEqual(['succeeded', 'failed', 'failed', 'failed', 'failed']);
  });
});

describe('recording outcomes', () => {
  const outcome = (instanceId: string, status: OsAccountOutcome['status']): OsAccountOutcome => ({
    instanceId,
    commandId: 'cmd-9',
    status,
  });

  it('lists what did not succeed as residue, with the action and command', () => {
    // Act
    const left = unfinishedOn(
      [outcome(BILLING_1, 'succeeded'), outcome(BILLING_2, 'failed'), outcome(WEB_1, 'pending')],
      'lock',
    );

    // Assess
    expect(left).toEqual([`${BILLING_2}: lock failed (command cmd-9)`, `${WEB_1}: lock pending (command cmd-9)`]);
  });

  it('lists no residue for an instance that is gone', () => {
    // Act
    const left = unfinishedOn([outcome(BILLING_1, 'gone'), outcome(BILLING_2, 'unreachable')], 'unlock');

    // Assess
    expect(left).toEqual([`${BILLING_2}: unlock unreachable (command cmd-9)`]);
  });

  it('records instances SSM would not send the command to as not sent, with their status', () => {
    // Act
    const outcomes = notSent([BILLING_1, BILLING_2], 'gone');

    // Assess
    expect(outcomes).toEqual([
      { instanceId: BILLING_1, commandId: 'not sent', status: 'gone' },
      { instanceId: BILLING_2, commandId: 'not sent', status: 'gone' },
    ]);
  });

  it('writes the latest action over the earlier one, per instance', () => {
    // Prepare
    const unlocked = recordOutcomes(
      undefined,
      [outcome(BILLING_1, 'succeeded'), outcome(BILLING_2, 'succeeded')],
      'unlock',
      '2030-03-01T09:00:00.000Z',
    );

    // Act
    const locked = recordOutcomes(unlocked, [outcome(BILLING_2, 'failed')], 'lock', AT);

    // Assess
    expect(locked).toEqual({
      [BILLING_1]: { action: 'unlock', status: 'succeeded', at: '2030-03-01T09:00:00.000Z', commandId: 'cmd-9' },
      [BILLING_2]: { action: 'lock', status: 'failed', at: AT, commandId: 'cmd-9' },
    });
  });

  it('keeps all 100 instances in the order recorded when exactly at the limit', () => {
    // Prepare
    const ids = Array.from({ length: 100 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const many = ids.map((id, i) => outcome(id, i < 50 ? 'succeeded' : 'failed'));

    // Act
    const recorded = recordOutcomes(undefined, many, 'lock', AT);

    // Assess
    expect(Object.keys(recorded)).toEqual(ids);
  });

  it('drops instances that are gone, like those that succeeded, after the failures when over the limit', () => {
    // Prepare
    const ids = Array.from({ length: 120 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const status = (i: number): OsAccountOutcome['status'] => (i < 100 ? 'succeeded' : i < 110 ? 'gone' : 'failed');
    const many = ids.map((id, i) => outcome(id, status(i)));

    // Act
    const recorded = recordOutcomes(undefined, many, 'lock', AT);

    // Assess
    expect(Object.keys(recorded)).toEqual([...ids.slice(110), ...ids.slice(0, 90)]);
  });

  it('keeps at most 100 instances, failures first', () => {
    // Prepare
    const many = Array.from({ length: MAX_RECORDED_INSTANCES + 20 }, (_, i) =>
      outcome(`i-${i.toString(16).padStart(17, '0')}`, i >= MAX_RECORDED_INSTANCES + 10 ? 'failed' : 'succeeded'),
    );

    // Act
    const recorded = recordOutcomes(undefined, many, 'lock', AT);

    // Assess
    expect(Object.keys(recorded)).toHaveLength(MAX_RECORDED_INSTANCES);
    expect(Object.values(recorded).filter((e) => e.status === 'failed')).toHaveLength(10);
  });
});
