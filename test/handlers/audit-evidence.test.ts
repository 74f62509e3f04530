import type { CloudTrailHistory, LookupAttribute, LookupResult } from '../../lambdas/adapters/cloudtrail';
import type { AuditReport, CloudTrailRecord } from '../../lambdas/domain/audit-report';
import { roleNameFor } from '../../lambdas/domain/planner';
import type { GrantRecord } from '../../lambdas/domain/types';
import { accessReview, auditBundle, cloudTrailOfGrant } from '../../lambdas/lifecycle/audit';
import { decide } from '../../lambdas/lifecycle/decision';
import {
  BILLING_1,
  BILLING_2,
  BOB,
  callApi,
  CAROL,
  createHarness,
  ERIN,
  requestInput,
  seedActive,
  seedPending,
  T0,
  type Harness,
} from '../helpers/handler-deps';

const GRANT_ID = 'grant-evidence-0001';
const ROLE_NAME = roleNameFor(GRANT_ID);
const ACCOUNT = '111122223333';
/** CloudTrail delivers within 15 minutes: the audit looks that far past the end of the grant. */
const LOOKED_UP_TO = '2030-03-01T10:15:00.000Z';
const AFTER_EXPIRY = '2030-03-01T12:00:00.000Z';
const MAX_EVIDENCE_BYTES = 2_000_000;

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

async function grantOf(grantId = GRANT_ID): Promise<GrantRecord> {
  const grant = await h.ledger.getGrant(grantId);
  if (!grant) throw new Error(`no grant ${grantId} in the ledger`);
  return grant;
}

/** An ACTIVE grant of one hour from T0, read back from the ledger. */
async function activeGrant(): Promise<GrantRecord> {
  await seedActive(h, GRANT_ID);
  return grantOf();
}

/** erin pulls the kill switch on the grant, now. */
async function killed(): Promise<void> {
  const answer = await callApi(h, 'revoke', ERIN, { params: { grantId: GRANT_ID }, body: { reason: 'suspicious' } });
  if (answer.status !== 200) throw new Error(`revoke answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

interface Asked {
  readonly attribute: LookupAttribute;
  readonly from: string;
  readonly to: string;
  readonly maxEvents: number;
}

/** TEST DOUBLE of CloudTrail's history answering each lookup from the test's script, and recording what was asked. */
class ScriptedHistory implements CloudTrailHistory {
  readonly asked: Asked[] = [];

  constructor(private readonly answer: (attribute: LookupAttribute) => LookupResult) {}

  async lookup(attribute: LookupAttribute, from: string, to: string, maxEvents: number): Promise<LookupResult> {
    this.asked.push({ attribute, from, to, maxEvents });
    return this.answer(attribute);
  }
}

/** A history whose role lookup answers `byRole` and whose lookup of each session name answers `bySession[name]`. */
function history(byRole: LookupResult, bySession: Readonly<Record<string, LookupResult>> = {}): ScriptedHistory {
  return new ScriptedHistory((attribute) =>
    attribute.key === 'ResourceName' ? byRole : (bySession[attribute.value] ?? { events: [], truncated: false }),
  );
}

function found(...events: CloudTrailRecord[]): LookupResult {
  return { events, truncated: false };
}

function record(eventId: string, eventName: string, event: Record<string, unknown>, at = '2030-03-01T09:05:00Z') {
  return {
    eventId,
    eventTime: at,
    eventSource: 'sts.amazonaws.com',
    eventName,
    resources: [],
    cloudTrailEvent: JSON.stringify(event),
  } satisfies CloudTrailRecord;
}

/** The vendor's AssumeRole of the grant role with the session name `name`. */
function assumed(name: unknown, eventId = `assume-${String(name)}`): CloudTrailRecord {
  return record(eventId, 'AssumeRole', { requestParameters: { roleSessionName: name } });
}

/** A call made by a session of the grant role, as CloudTrail names its issuer. */
function byRole(eventId: string, at = '2030-03-01T09:05:00Z'): CloudTrailRecord {
  return record(
    eventId,
    'GetObject',
    {
      userIdentity: {
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE_NAME}/vendor-engineer`,
        sessionContext: { sessionIssuer: { userName: ROLE_NAME } },
      },
    },
    at,
  );
}

const sessionNamesAsked = (h: ScriptedHistory) =>
  h.asked.filter((a) => a.attribute.key === 'Username').map((a) => a.attribute.value);

describe("the grant role's CloudTrail events (cloudTrailOfGrant)", () => {
  it('looks up the role by name, then each session name it was assumed with, from the start to 15 minutes past expiry', async () => {
    // Prepare
    const grant = await activeGrant();
    const trail = history(found(assumed('vendor-engineer')));

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(trail.asked).toEqual([
      { attribute: { key: 'ResourceName', value: ROLE_NAME }, from: T0, to: LOOKED_UP_TO, maxEvents: 300 },
      { attribute: { key: 'Username', value: 'vendor-engineer' }, from: T0, to: LOOKED_UP_TO, maxEvents: 300 },
    ]);
    expect(evidence).toEqual({
      status: 'found',
      from: T0,
      to: LOOKED_UP_TO,
      events: [assumed('vendor-engineer')],
      truncated: false,
    });
  });

  it('looks no further than now while the grant is still running', async () => {
    // Prepare
    const grant = await activeGrant();
    const trail = history(found());

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date('2030-03-01T09:30:00.000Z'));

    // Assess
    expect(evidence).toMatchObject({ from: T0, to: '2030-03-01T09:30:00.000Z' });
  });

  it('ends the window 15 minutes after a grant revoked early ended, not at its planned expiry', async () => {
    // Prepare
    await activeGrant();
    h.clock.set('2030-03-01T09:20:00.000Z');
    await killed();
    const grant = await grantOf();
    const trail = history(found());

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(grant.status).toBe('REVOKED');
    expect(evidence).toMatchObject({ status: 'found', from: T0, to: '2030-03-01T09:35:00.000Z' });
    expect(trail.asked.map((a) => a.to)).toEqual(['2030-03-01T09:35:00.000Z']);
  });

  it('asks nothing for a grant that never had a role: no events, nothing truncated', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await decide(h.deps, GRANT_ID, BOB, 'deny', 'not this week');
    const grant = await grantOf();
    const trail = history(found(assumed('vendor-engineer')));

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(evidence).toEqual({ status: 'found', from: T0, to: LOOKED_UP_TO, events: [], truncated: false });
    expect(trail.asked).toEqual([]);
  });

  it('starts at the first day CloudTrail still holds, and says so, when the grant began before it', async () => {
    // Prepare
    const grant = await activeGrant();
    const now = new Date(Date.parse('2030-03-01T09:30:00.000Z') + 90 * 86_400_000);
    const trail = history(found());

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, now);

    // Assess
    expect(evidence).toEqual({
      status: 'found',
      from: '2030-03-01T09:30:00.000Z',
      to: LOOKED_UP_TO,
      events: [],
      truncated: false,
      historyStartsAt: '2030-03-01T09:30:00.000Z',
    });
    expect(trail.asked[0]).toMatchObject({ from: '2030-03-01T09:30:00.000Z', to: LOOKED_UP_TO });
  });

  it('looks up five session names at most, and says the events are truncated when there were more', async () => {
    // Prepare
    const grant = await activeGrant();
    const six = ['s1', 's2', 's3', 's4', 's5', 's6'];
    const trail = history(found(...six.map((name) => assumed(name))));

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(sessionNamesAsked(trail)).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(evidence).toMatchObject({ status: 'found', truncated: true });
  });

  it('with exactly five session names looks up each one and truncates nothing', async () => {
    // Prepare
    const grant = await activeGrant();
    const five = ['s1', 's2', 's3', 's4', 's5'];
    const trail = history(found(...five.map((name) => assumed(name))));

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(sessionNamesAsked(trail)).toEqual(five);
    expect(evidence).toMatchObject({ status: 'found', truncated: false });
  });

  it('takes session names only from AssumeRole events that name one, each once', async () => {
    // Prepare
    const grant = await activeGrant();
    const trail = history(
      found(
        record('web', 'AssumeRoleWithWebIdentity', { requestParameters: { roleSessionName: 'web-session' } }),
        record('refused', 'AssumeRole', { requestParameters: null, errorCode: 'AccessDenied' }),
        record('no-parameters', 'AssumeRole', {}),
        assumed('', 'empty-name'),
        assumed(42, 'number-name'),
        assumed('vendor-engineer', 'first'),
        assumed('vendor-engineer', 'again'),
      ),
    );

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(sessionNamesAsked(trail)).toEqual(['vendor-engineer']);
    expect(evidence.status).toBe('found');
  });

  it("says the events are truncated when a session name's lookup was, though the role's was not", async () => {
    // Prepare
    const grant = await activeGrant();
    const trail = history(found(assumed('vendor-engineer')), {
      'vendor-engineer': { events: [byRole('call')], truncated: true },
    });

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(evidence).toMatchObject({ status: 'found', truncated: true });
  });

  it("keeps a session name's events only when the grant role's session made them", async () => {
    // Prepare
    const grant = await activeGrant();
    const assumedRoleArn = (role: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/vendor-engineer`;
    const trail = history(found(assumed('vendor-engineer')), {
      'vendor-engineer': found(
        record('issuer-only', 'GetObject', {
          userIdentity: { sessionContext: { sessionIssuer: { userName: ROLE_NAME } } },
        }),
        record('arn-only', 'GetObject', { userIdentity: { arn: assumedRoleArn(ROLE_NAME) } }),
        record('arn-no-issuer', 'GetObject', { userIdentity: { arn: assumedRoleArn(ROLE_NAME), sessionContext: {} } }),
        record('account', 'GetObject', { userIdentity: { type: 'AWSAccount', arn: `arn:aws:iam::${ACCOUNT}:root` } }),
        record('other-issuer', 'GetObject', {
          userIdentity: { sessionContext: { sessionIssuer: { userName: 'Other' } } },
        }),
        record('longer-role', 'GetObject', { userIdentity: { arn: assumedRoleArn(`${ROLE_NAME}-copy`) } }),
        record('no-identity', 'GetObject', {}),
      ),
    });

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(evidence.status === 'found' && evidence.events.map((e) => e.eventId).sort()).toEqual(
      ['arn-no-issuer', 'arn-only', 'assume-vendor-engineer', 'issuer-only'].sort(),
    );
  });

  it('lists the events oldest first, events of the same second in the order CloudTrail gave them', async () => {
    // Prepare
    const grant = await activeGrant();
    // LookupEvents answers newest first.
    const trail = history(
      found(
        record(
          'assume-late',
          'AssumeRole',
          { requestParameters: { roleSessionName: 'vendor-engineer' } },
          '2030-03-01T09:50:00Z',
        ),
        record('delete-role', 'DeleteRole', {}, '2030-03-01T09:30:00Z'),
        record(
          'assume-early',
          'AssumeRole',
          { requestParameters: { roleSessionName: 'vendor-engineer' } },
          '2030-03-01T09:10:00Z',
        ),
      ),
      {
        'vendor-engineer': found(
          byRole('call-3', '2030-03-01T09:30:00Z'),
          byRole('call-2', '2030-03-01T09:20:00Z'),
          byRole('call-1', '2030-03-01T09:20:00Z'),
        ),
      },
    );

    // Act
    const evidence = await cloudTrailOfGrant(trail, grant, new Date(AFTER_EXPIRY));

    // Assess
    expect(evidence.status === 'found' && evidence.events.map((e) => e.eventId)).toEqual([
      'assume-early',
      'call-2',
      'call-1',
      'delete-role',
      'call-3',
      'assume-late',
    ]);
  });
});

const SESSION_ID = 'vendor-engineer-1a1b2c3d4e5f6a7b';
const SESSION_STARTS_AT = '2030-03-01T09:05:00.000Z';

/** The grant's audit bundle, read now, with its report parsed. */
async function bundle(grant: GrantRecord, deps = h.deps) {
  const made = await auditBundle(deps, h.audit, grant, CAROL);
  return { ...made, report: JSON.parse(made.files['report.json'] ?? '') as AuditReport };
}

/** A session of the grant role in Session Manager's list, with the lines its log stream holds. */
function listedSession(sessionId: string, lines: readonly string[] = [], target = BILLING_1): void {
  h.aws.startSession(sessionId, ROLE_NAME, target, SESSION_STARTS_AT);
  lines.forEach((message, i) =>
    h.aws.logSessionLine(sessionId, Date.parse(SESSION_STARTS_AT) + (i + 1) * 1000, message),
  );
}

describe('what the bundle holds of each session (auditBundle)', () => {
  it('keeps log lines up to 2,000,000 bytes of UTF-8, across pages, and says the rest was cut', async () => {
    // Prepare
    const grant = await activeGrant();
    const twoByteChars = 'é'.repeat(MAX_EVIDENCE_BYTES / 4);
    listedSession(SESSION_ID, [twoByteChars, 'x'.repeat(MAX_EVIDENCE_BYTES / 2), 'y']);
    const objectsOf = jest.spyOn(h.audit.transcripts, 'objectsOf');
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report } = await bundle(grant);

    // Assess
    expect(report.sessions.map((s) => [s.sessionId, s.lines])).toEqual([[SESSION_ID, 2]]);
    expect(report.missing).toContain(`session ${SESSION_ID}: log lines truncated to fit one API answer`);
    expect(objectsOf).toHaveBeenCalledWith(SESSION_ID, 0);
  });

  it('keeps every line of a session that fits, reading every page, and hands the transcript reader what is left', async () => {
    // Prepare
    const grant = await activeGrant();
    listedSession(SESSION_ID, ['whoami', 'id', 'uptime']);
    const objectsOf = jest.spyOn(h.audit.transcripts, 'objectsOf');
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report, files } = await bundle(grant);

    // Assess
    expect(report.sessions.map((s) => [s.sessionId, s.lines])).toEqual([[SESSION_ID, 3]]);
    expect(report.missing.filter((m) => m.includes('truncated'))).toEqual([]);
    expect(objectsOf).toHaveBeenCalledWith(SESSION_ID, MAX_EVIDENCE_BYTES - 'whoamiiduptime'.length);
    expect(files[`transcripts/${SESSION_ID}.log`]).toBe(
      ['2030-03-01T09:05:01.000Z  whoami', '2030-03-01T09:05:02.000Z  id', '2030-03-01T09:05:03.000Z  uptime', ''].join(
        '\n',
      ),
    );
  });

  it("counts a session's transcript objects against the budget: the next session's lines are cut", async () => {
    // Prepare
    const grant = await activeGrant();
    const first = 'vendor-engineer-0a0a0a0a0a0a0a0a';
    listedSession(first);
    listedSession(SESSION_ID, ['whoami']);
    h.audit.transcripts.objects.set(first, [
      { key: `sessions/${first}.log`, bytes: MAX_EVIDENCE_BYTES, content: 'z'.repeat(MAX_EVIDENCE_BYTES) },
      // Too large for the bundle: listed, with no content.
      { key: `sessions/${first}.log.gz`, bytes: 9_000_000 },
    ]);
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report, files } = await bundle(grant);

    // Assess
    expect(report.sessions.map((s) => [s.sessionId, s.lines, s.objects.length])).toEqual([
      [first, 0, 2],
      [SESSION_ID, 0, 0],
    ]);
    expect(report.missing).toContain(`session ${SESSION_ID}: log lines truncated to fit one API answer`);
    expect(report.missing.filter((m) => m.includes('could not be read'))).toEqual([]);
    expect(Object.keys(files).filter((f) => f.startsWith('s3/'))).toEqual([`s3/sessions/${first}.log`]);
    expect(Object.keys(files).filter((f) => f.startsWith('transcripts/'))).toEqual([]);
  });

  it("orders sessions by id, and takes a session only CloudTrail names with its target and its caller's ARN", async () => {
    // Prepare
    const grant = await activeGrant();
    const cloudTrailOnly = 'vendor-engineer-0c0c0c0c0c0c0c0c';
    const later = 'vendor-engineer-2b2b2b2b2b2b2b2b';
    listedSession(later, [], BILLING_2);
    listedSession(SESSION_ID);
    h.audit.cloudTrail.assumedRole({
      roleArn: grant.created.roleArn ?? '',
      sessionName: 'vendor-engineer',
      callerArn: 'arn:aws:iam::444455556666:role/AcmeSupportEngineers',
      at: SESSION_STARTS_AT,
    });
    h.audit.cloudTrail.sessionCall({
      roleArn: grant.created.roleArn ?? '',
      sessionName: 'vendor-engineer',
      at: SESSION_STARTS_AT,
      eventSource: 'ssm.amazonaws.com',
      eventName: 'StartSession',
      requestParameters: { target: BILLING_2 },
      responseElements: { sessionId: cloudTrailOnly },
    });
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report } = await bundle(grant);

    // Assess
    expect(report.sessions.map((s) => [s.sessionId, s.target])).toEqual([
      [cloudTrailOnly, BILLING_2],
      [SESSION_ID, BILLING_1],
      [later, BILLING_2],
    ]);
    expect(report.sessions[0]).toMatchObject({
      owner: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE_NAME}/vendor-engineer`,
      logGroupName: h.deps.settings.sessionLogGroupName,
    });
  });

  it('takes no session from a refused StartSession, a TerminateSession, or a StartSession without a target or caller', async () => {
    // Prepare
    const grant = await activeGrant();
    const bare = 'vendor-engineer-0d0d0d0d0d0d0d0d';
    const roleArn = grant.created.roleArn ?? '';
    h.audit.cloudTrail.assumedRole({
      roleArn,
      sessionName: 'vendor-engineer',
      callerArn: roleArn,
      at: SESSION_STARTS_AT,
    });
    const call = { roleArn, sessionName: 'vendor-engineer', at: SESSION_STARTS_AT, eventSource: 'ssm.amazonaws.com' };
    h.audit.cloudTrail.sessionCall({ ...call, eventName: 'StartSession', errorCode: 'AccessDeniedException' });
    h.audit.cloudTrail.sessionCall({
      ...call,
      eventName: 'TerminateSession',
      requestParameters: { sessionId: 'someone-elses-session' },
      responseElements: { sessionId: 'someone-elses-session' },
    });
    // A record naming the role as its resource, with none of the fields a StartSession record usually has.
    h.audit.cloudTrail.add({
      eventId: 'bare-start',
      eventTime: '2030-03-01T09:06:00Z',
      eventSource: 'ssm.amazonaws.com',
      eventName: 'StartSession',
      resources: [{ type: 'AWS::IAM::Role', name: ROLE_NAME }],
      cloudTrailEvent: JSON.stringify({ responseElements: { sessionId: bare } }),
    });
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report } = await bundle(grant);

    // Assess
    expect(report.cloudTrail.status).toBe('found');
    expect(report.sessions).toEqual([
      expect.objectContaining({ sessionId: bare, logGroupName: h.deps.settings.sessionLogGroupName }),
    ]);
    expect(report.sessions[0]).not.toHaveProperty('target');
    expect(report.sessions[0]).not.toHaveProperty('owner');
  });

  it("takes only Session Manager's sessions when CloudTrail cannot be read", async () => {
    // Prepare
    const grant = await activeGrant();
    listedSession(SESSION_ID, ['whoami']);
    h.audit.cloudTrail.failWith = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report, files } = await bundle(grant);

    // Assess: toStrictEqual, as toEqual would take a session without an id for no session at all.
    expect(report.sessions.map((s) => s.sessionId)).toStrictEqual([SESSION_ID]);
    expect(files['cloudtrail-events.json']).toBe('[]\n');
  });

  it('names the session log group generically when the settings do not name it', async () => {
    // Prepare
    const grant = await activeGrant();
    listedSession(SESSION_ID);
    const { sessionLogGroupName: _named, ...settings } = h.deps.settings;
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report } = await bundle(grant, { ...h.deps, settings });

    // Assess
    expect(report.sessions.map((s) => s.logGroupName)).toEqual(['the session log group']);
  });

  it('marks no session truncated, and keeps an empty object list, when a transcript listing fails', async () => {
    // Prepare
    const grant = await activeGrant();
    listedSession(SESSION_ID, ['whoami']);
    jest
      .spyOn(h.audit.transcripts, 'objectsOf')
      .mockRejectedValue(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { report } = await bundle(grant);

    // Assess
    expect(report.sessions).toEqual([expect.objectContaining({ sessionId: SESSION_ID, lines: 1, objects: [] })]);
    expect(report.sessions[0]).not.toHaveProperty('linesTruncated');
  });

  it('asks Session Manager nothing for a grant that never had a role', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await decide(h.deps, GRANT_ID, BOB, 'deny', 'not this week');
    const grant = await grantOf();
    h.aws.clearCallLog();

    // Act
    const { report, files } = await bundle(grant);

    // Assess
    expect(report.sessions).toEqual([]);
    expect(h.aws.countOf('DescribeSessions')).toBe(0);
    expect(files['cloudtrail-events.json']).toBe('[]\n');
  });

  it('writes each CloudTrail event with its record parsed, oldest first', async () => {
    // Prepare
    const grant = await activeGrant();
    const roleArn = grant.created.roleArn ?? '';
    const event = h.audit.cloudTrail.assumedRole({
      roleArn,
      sessionName: 'vendor-engineer',
      callerArn: 'arn:aws:iam::444455556666:role/AcmeSupportEngineers',
      at: SESSION_STARTS_AT,
    });
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { files } = await bundle(grant);

    // Assess
    expect(files['cloudtrail-events.json']).toBe(
      `${JSON.stringify([{ ...event, cloudTrailEvent: JSON.parse(event.cloudTrailEvent) as unknown }], null, 2)}\n`,
    );
  });

  it('files each transcript object under s3/, its key made safe: no dot segments, no doubled slashes, no odd characters', async () => {
    // Prepare
    const grant = await activeGrant();
    listedSession(SESSION_ID);
    const keys = [
      'sessions/a b?.log',
      'sessions//double.log',
      '../escape.log',
      './here.log',
      'sessions/.../dots.log',
      'sessions/..',
      'sessions/.hidden.log',
      'sessions/v1.2.log',
    ];
    h.audit.transcripts.objects.set(
      SESSION_ID,
      keys.map((key) => ({ key, bytes: 1, content: key })),
    );
    h.clock.set(AFTER_EXPIRY);

    // Act
    const { files } = await bundle(grant);

    // Assess
    expect(Object.entries(files).filter(([name]) => name.startsWith('s3/'))).toEqual([
      ['s3/sessions/a_b_.log', 'sessions/a b?.log'],
      ['s3/sessions/double.log', 'sessions//double.log'],
      ['s3/_/escape.log', '../escape.log'],
      ['s3/_/here.log', './here.log'],
      ['s3/sessions/_/dots.log', 'sessions/.../dots.log'],
      ['s3/sessions/_', 'sessions/..'],
      ['s3/sessions/.hidden.log', 'sessions/.hidden.log'],
      ['s3/sessions/v1.2.log', 'sessions/v1.2.log'],
    ]);
  });
});

describe('the access review (accessReview)', () => {
  /** Two grants: the first requested at T0 (then revoked), the second ten minutes later (still pending). */
  async function twoGrants(): Promise<void> {
    await seedActive(h, GRANT_ID);
    await killed();
    h.clock.set('2030-03-01T09:10:00.000Z');
    await seedPending(h, 'grant-evidence-0002', requestInput({ targets: [BILLING_2] }));
    await seedPending(h, 'grant-evidence-0003', requestInput({ targets: [BILLING_1] }));
  }

  it('includes a grant requested at the very start of the range and leaves out one requested at its end', async () => {
    // Prepare
    await twoGrants();

    // Act
    const from = await accessReview(h.deps, { since: T0, until: '2030-03-01T09:10:00.000Z' });

    // Assess
    expect(from.map((r) => r.grantId)).toStrictEqual([GRANT_ID]);
  });

  it('lists the grants oldest first, whatever their status', async () => {
    // Prepare
    await twoGrants();

    // Act
    const rows = await accessReview(h.deps, { since: T0, until: '2030-03-02T00:00:00.000Z' });

    // Assess
    expect(rows.map((r) => r.grantId)).toStrictEqual([GRANT_ID, 'grant-evidence-0002', 'grant-evidence-0003']);
  });

  it("leaves out another vendor's grants when a vendor is asked for", async () => {
    // Prepare
    await twoGrants();

    // Act
    const rows = await accessReview(h.deps, { since: T0, until: '2030-03-02T00:00:00.000Z', vendor: 'globex' });

    // Assess
    expect(rows).toEqual([]);
  });
});
