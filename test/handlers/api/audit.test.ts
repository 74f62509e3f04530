import type { AuditReport, ReviewRow } from '../../../lambdas/domain/audit-report';
import { CLOUDTRAIL_GONE } from '../../../lambdas/domain/audit-report';
import { renderReviewCsv } from '../../../lambdas/domain/audit-render';
import {
  digestProblems,
  parseManifest,
  signatureValid,
  type EvidenceManifest,
} from '../../../lambdas/domain/evidence-manifest';
import { decide } from '../../../lambdas/lifecycle/decision';
import type { ResponseOf } from '../../../lambdas/handlers/api/contract';
import {
  ALICE,
  BILLING_1,
  BOB,
  CAROL,
  callApi,
  createHarness,
  DANA,
  ERIN,
  requestInput,
  seedActive,
  seedApproved,
  seedPending,
  T0,
  type Harness,
} from '../../helpers/handler-deps';
import { NOT_RECORDED } from '../../helpers/audit-sources';
import { writeCounts, type ErrorBody } from './support';

const GRANT_ID = 'grant-audit-0001';
const ROLE_NAME = `jit-${GRANT_ID}`;
const EXPIRES_AT = '2030-03-01T10:00:00.000Z';
const SESSION_ID = 'vendor-engineer-0a1b2c3d4e5f6a7b';
const SESSION_STARTS_AT = '2030-03-01T09:05:00.000Z';
const VENDOR_PRINCIPAL = 'arn:aws:iam::444455556666:role/AcmeSupportEngineers';

type Bundle = ResponseOf<'auditGrant'>;

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.restore());

/** carol (an auditor) asks for the grant's evidence; the test fails unless the API answers 200. */
async function audited(grantId = GRANT_ID, caller = CAROL): Promise<{ bundle: Bundle; report: AuditReport }> {
  const answer = await callApi<Bundle>(h, 'auditGrant', caller, { params: { grantId } });
  if (answer.status !== 200) throw new Error(`audit answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { bundle: answer.body, report: JSON.parse(answer.body.files['report.json'] ?? '') as AuditReport };
}

/** The vendor assumes the grant role, opens a session on BILLING_1 and types two lines, recorded as AWS records it. */
function vendorSession(roleArn: string): void {
  h.audit.cloudTrail.assumedRole({
    roleArn,
    sessionName: 'vendor-engineer',
    callerArn: VENDOR_PRINCIPAL,
    at: SESSION_STARTS_AT,
  });
  h.audit.cloudTrail.sessionCall({
    roleArn,
    sessionName: 'vendor-engineer',
    at: SESSION_STARTS_AT,
    eventSource: 'ssm.amazonaws.com',
    eventName: 'StartSession',
    requestParameters: { target: BILLING_1 },
    responseElements: { sessionId: SESSION_ID },
  });
  h.aws.startSession(SESSION_ID, ROLE_NAME, BILLING_1, SESSION_STARTS_AT);
  const at = Date.parse(SESSION_STARTS_AT);
  h.aws.logStreams.set(SESSION_ID, [
    { timestamp: at + 1000, message: 'whoami' },
    { timestamp: at + 2000, message: 'psql -c "select 1"' },
  ]);
  h.audit.transcripts.objects.set(SESSION_ID, [
    {
      key: `sessions/${SESSION_ID}.log`,
      versionId: 'v1',
      bytes: 26,
      lastModified: '2030-03-01T10:00:00.000Z',
      lockMode: 'COMPLIANCE',
      retainUntil: '2031-03-01T10:00:00.000Z',
      content: 'whoami\npsql -c "select 1"\n',
    },
  ]);
}

async function expiredGrant(): Promise<string> {
  const active = await seedActive(h, GRANT_ID);
  vendorSession(active.roleArn);
  h.clock.set(EXPIRES_AT);
  await h.handlers.revoke({ grantId: GRANT_ID, reason: 'expiry' });
  return active.roleArn;
}

describe('the audit of an approved grant that expired', () => {
  it('tells the request, the votes, the plan hash, what was created and how it ended, field by field', async () => {
    // Prepare
    const roleArn = await expiredGrant();
    const grant = await h.ledger.getGrant(GRANT_ID);

    // Act
    const { report } = await audited();

    // Assess
    expect(report.summary).toMatchObject({
      vendorId: 'acme',
      requester: { person: 'dana', arn: DANA.arn },
      ticket: 'CHG-1234',
      targets: [BILLING_1],
      ports: ['tcp:5432'],
      status: 'REVOKED',
      revokeReason: 'expiry',
      outcome: 'expired at the end of its window',
      planHash: grant?.planHash,
      roleName: ROLE_NAME,
      accessMinutes: 60,
      breakGlass: false,
    });
    expect(report.votes.map((v) => [v.person, v.decision, v.arn])).toEqual([
      ['alice', 'approve', ALICE.arn],
      ['bob', 'approve', BOB.arn],
    ]);
    expect(report.created.roleArn).toBe(roleArn);
    expect(report.residue).toMatchObject({ checked: true, clean: true, leftovers: [] });
    expect(report.generatedBy).toEqual({ person: 'carol', arn: CAROL.arn });
    expect(report.ledger.grant.grantId).toBe(GRANT_ID);
  });

  it('puts every state change on the timeline with its actor and time, in time order', async () => {
    // Prepare
    await expiredGrant();
    const grant = await h.ledger.getGrant(GRANT_ID);

    // Act
    const { report } = await audited();

    // Assess
    const ledgerEntries = report.timeline.filter((t) => t.source === 'ledger');
    expect(ledgerEntries.map((t) => [t.at, t.actor, t.event])).toEqual(
      grant?.history.map((e) => [e.at, e.actor, e.event]),
    );
    expect(report.timeline[0]).toMatchObject({ source: 'request', actor: 'dana', actorArn: DANA.arn, at: T0 });
    const times = report.timeline.map((t) => Date.parse(t.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("lists the role's CloudTrail events, its session with the transcript's lines and Object Lock, and the delta as not recorded", async () => {
    // Prepare
    await expiredGrant();

    // Act
    const { bundle, report } = await audited();

    // Assess
    expect(report.cloudTrail).toMatchObject({ status: 'found', historyDays: 90, from: T0 });
    expect(report.cloudTrail.events.map((e) => [e.eventName, e.principal])).toEqual([
      ['AssumeRole', VENDOR_PRINCIPAL],
      ['StartSession', `arn:aws:sts::111122223333:assumed-role/${ROLE_NAME}/vendor-engineer`],
    ]);
    expect(report.sessions).toEqual([
      expect.objectContaining({
        sessionId: SESSION_ID,
        target: BILLING_1,
        logGroupName: 'jit-access-sessions',
        lines: 2,
        transcriptFile: `transcripts/${SESSION_ID}.log`,
        objects: [expect.objectContaining({ lockMode: 'COMPLIANCE', retainUntil: '2031-03-01T10:00:00.000Z' })],
      }),
    ]);
    expect(bundle.files[`transcripts/${SESSION_ID}.log`]).toContain('psql -c "select 1"');
    expect(bundle.files[`s3/sessions/${SESSION_ID}.log`]).toBe('whoami\npsql -c "select 1"\n');
    expect(report.changeDeltas).toEqual([{ instanceId: BILLING_1, status: 'incomplete', missing: NOT_RECORDED }]);
    expect(report.missing).toEqual([`change delta of ${BILLING_1}: ${NOT_RECORDED}`]);
  });

  it("signs a manifest whose digests are those of every file it sent, with the stack's evidence key", async () => {
    // Prepare
    await expiredGrant();

    // Act
    const { bundle } = await audited();

    // Assess
    const manifest = parseManifest(bundle.manifest) as EvidenceManifest;
    const files = new Map(Object.entries(bundle.files).map(([p, t]) => [p, Buffer.from(t, 'utf8')]));
    expect(digestProblems(manifest, files)).toEqual([]);
    expect(manifest).toMatchObject({ grantId: GRANT_ID, signingKeyArn: h.audit.signer.keyArn, generatedBy: CAROL });
    const publicKey = await h.audit.signer.publicKeyPem();
    expect(signatureValid(bundle.manifest, Buffer.from(bundle.signature, 'base64'), publicKey)).toBe(true);
    expect(h.audit.signer.signed).toEqual([bundle.manifest]);
  });

  it('writes nothing anywhere: twice in a row, the ledger and AWS are as they were', async () => {
    // Prepare
    await expiredGrant();
    const before = writeCounts(h);

    // Act
    const first = await audited();
    const second = await audited();

    // Assess
    expect(writeCounts(h)).toEqual(before);
    expect(second.report.summary).toEqual(first.report.summary);
  });
});

describe('the audit of grants that ended otherwise', () => {
  it('a denied request: who denied it, nothing created, no CloudTrail lookup, nothing missing', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    await decide(h.deps, GRANT_ID, ALICE, 'deny', 'no change window today');

    // Act
    const { report } = await audited();

    // Assess
    expect(report.summary).toMatchObject({ status: 'DENIED', outcome: 'denied' });
    expect(report.summary.accessMinutes).toBeUndefined();
    expect(report.votes.map((v) => [v.person, v.decision, v.comment])).toEqual([
      ['alice', 'deny', 'no change window today'],
    ]);
    expect(report.created).toEqual({});
    expect(report.residue).toEqual({ checked: false, why: 'nothing was created, so nothing could remain' });
    expect(h.audit.cloudTrail.lookups).toEqual([]);
    expect(report.sessions).toEqual([]);
    expect(report.changeDeltas).toEqual([]);
    expect(report.missing).toEqual([]);
  });

  it('a killed grant: the kill switch, the person who pulled it and the reason are on the timeline', async () => {
    // Prepare
    await seedActive(h, GRANT_ID);
    h.clock.advanceMinutes(20);
    await callApi(h, 'revoke', ERIN, { params: { grantId: GRANT_ID }, body: { reason: 'suspicious activity' } });

    // Act
    const { report } = await audited();

    // Assess
    expect(report.summary).toMatchObject({ status: 'REVOKED', revokeReason: 'kill-switch', accessMinutes: 20 });
    expect(report.summary.outcome).toBe('revoked (kill-switch)');
    expect(report.timeline).toContainEqual(
      expect.objectContaining({ actor: 'erin', actorArn: ERIN.arn, event: 'revoke requested: "suspicious activity"' }),
    );
    expect(report.residue).toMatchObject({ checked: true, clean: true });
  });

  it('a break-glass grant: marked as such, with its review', async () => {
    // Prepare
    const input = requestInput({ requester: ERIN, breakGlass: true });
    const validated = await h.handlers.validateRequest({ input, grantId: GRANT_ID });
    await h.handlers.requestApproval({ grantId: GRANT_ID, request: validated.request });
    await h.handlers.grant({ grantId: GRANT_ID });
    await callApi(h, 'approve', ALICE, { params: { grantId: GRANT_ID }, body: { comment: 'the outage justified it' } });

    // Act
    const { report } = await audited();

    // Assess
    expect(report.summary).toMatchObject({ breakGlass: true, status: 'ACTIVE', requester: { person: 'erin' } });
    expect(report.timeline[0]?.event).toMatch(/^break-glass request for acme/);
    expect(report.votes.map((v) => [v.person, v.decision])).toEqual([['alice', 'approve']]);
    expect(report.residue).toMatchObject({ checked: false });
    expect(report.missing).toContain('residue check: no residue check recorded yet: the grant is ACTIVE');
  });

  it('a grant that failed: the failure, the compensation and its residue check', async () => {
    // Prepare
    await seedApproved(h, GRANT_ID);
    h.aws.failOn('AuthorizeSecurityGroupIngress');
    await h.handlers.grant({ grantId: GRANT_ID }).catch(() => undefined);

    // Act
    const { report } = await audited();

    // Assess
    expect(report.summary).toMatchObject({ status: 'FAILED', outcome: 'grant failed: what it created was removed' });
    expect(report.summary.revokeReason).toBe('failure');
    expect(report.residue).toMatchObject({ checked: true, clean: true });
  });
});

describe('missing evidence is stated, never dropped', () => {
  it('a grant older than 90 days: CloudTrail is not asked and the report says to use the trail', async () => {
    // Prepare
    await expiredGrant();
    h.clock.set('2030-07-01T00:00:00.000Z');

    // Act
    const { report } = await audited();

    // Assess
    expect(report.cloudTrail).toMatchObject({ status: 'gone', note: CLOUDTRAIL_GONE, events: [] });
    expect(report.missing).toContain(`CloudTrail: ${CLOUDTRAIL_GONE} (window ${T0} to 2030-03-01T10:15:00.000Z)`);
    expect(h.audit.cloudTrail.lookups).toEqual([]);
  });

  it('a CloudTrail lookup that fails is stated with its error, and the rest of the audit goes on', async () => {
    // Prepare
    await expiredGrant();
    h.audit.cloudTrail.failWith = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

    // Act
    const { report } = await audited();

    // Assess
    expect(report.cloudTrail.status).toBe('unavailable');
    expect(report.missing).toContain('CloudTrail: LookupEvents failed (ThrottlingException: Rate exceeded)');
    expect(report.sessions.map((s) => s.sessionId)).toStrictEqual([SESSION_ID]);
  });

  it('a session whose log lines and transcript object are gone names both', async () => {
    // Prepare
    await expiredGrant();
    h.aws.logStreams.delete(SESSION_ID);
    h.audit.transcripts.objects.delete(SESSION_ID);

    // Act
    const { report } = await audited();

    // Assess
    expect(report.missing).toEqual(
      expect.arrayContaining([
        `session ${SESSION_ID}: no lines in log stream jit-access-sessions/${SESSION_ID} (never written, or past logRetentionDays 365)`,
        `session ${SESSION_ID}: no transcript object under s3://${h.audit.transcripts.bucketName}/sessions/${SESSION_ID}`,
      ]),
    );
  });

  it("a session list Session Manager would not give is stated, and CloudTrail's sessions are still audited", async () => {
    // Prepare
    await expiredGrant();
    h.aws.failOn('DescribeSessions', { errorName: 'AccessDeniedException' });

    // Act
    const { report } = await audited();

    // Assess
    expect(report.missing).toContain(
      "sessions: Session Manager's session list could not be read (AccessDeniedException); only the sessions CloudTrail names are here",
    );
    expect(report.sessions.map((s) => [s.sessionId, s.lines])).toEqual([[SESSION_ID, 2]]);
  });

  it("keeps only the grant role's events from a session name another role used too", async () => {
    // Prepare
    await expiredGrant();
    h.audit.cloudTrail.sessionCall({
      roleArn: 'arn:aws:iam::111122223333:role/SomeoneElse',
      sessionName: 'vendor-engineer',
      at: SESSION_STARTS_AT,
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
    });

    // Act
    const { report } = await audited();

    // Assess
    expect(report.cloudTrail.events.map((e) => e.eventName)).toEqual(['AssumeRole', 'StartSession']);
  });
});

describe('evidence the audit cannot read', () => {
  it('a session whose transcript objects cannot be listed names the bucket and the error, and keeps its log lines', async () => {
    // Prepare
    await expiredGrant();
    jest
      .spyOn(h.audit.transcripts, 'objectsOf')
      .mockRejectedValue(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    // Act
    const { report } = await audited();

    // Assess
    expect(report.sessions.map((s) => [s.sessionId, s.lines])).toEqual([[SESSION_ID, 2]]);
    expect(report.missing).toContain(
      `session ${SESSION_ID}: transcript objects: s3://${h.audit.transcripts.bucketName} could not be read (AccessDenied)`,
    );
  });

  it('a CloudTrail record of the session name that is not JSON is left out, and the rest is audited', async () => {
    // Prepare
    await expiredGrant();
    h.audit.cloudTrail.add({
      eventId: 'event-not-json',
      eventTime: '2030-03-01T09:06:00Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      username: 'vendor-engineer',
      resources: [],
      cloudTrailEvent: '{ this is not json',
    });

    // Act
    const { report } = await audited();

    // Assess
    expect(report.cloudTrail.events.map((e) => e.eventName)).toEqual(['AssumeRole', 'StartSession']);
    expect(report.sessions.map((s) => s.sessionId)).toStrictEqual([SESSION_ID]);
  });
});

describe('the access review', () => {
  it('lists every grant requested in the range with its outcome, approvers and duration, oldest first', async () => {
    // Prepare
    await expiredGrant();
    await seedPending(h, 'grant-audit-0002', requestInput({ targets: ['i-0bbbbbbbbbbbbbbb2'] }));
    await decide(h.deps, 'grant-audit-0002', BOB, 'deny', 'not this week');

    // Act
    const answer = await callApi<{ rows: ReviewRow[] }>(h, 'auditReview', ERIN, {
      query: { vendor: 'acme', since: '2030-03-01', until: '2030-03-02' },
    });

    // Assess
    expect(answer.status).toBe(200);
    expect(
      answer.body.rows.map((r) => [r.grantId, r.outcome, r.approvers, r.deniedBy, r.accessMinutes, r.residue]),
    ).toEqual([
      [GRANT_ID, 'expired at the end of its window', ['alice', 'bob'], [], 60, 'none'],
      ['grant-audit-0002', 'denied', [], ['bob'], 0, 'nothing was created, so nothing could remain'],
    ]);
    expect(renderReviewCsv(answer.body.rows).split('\r\n')[1]).toBe(
      `${GRANT_ID},acme,dana,CHG-1234,REVOKED,expired at the end of its window,no,alice bob,,${T0},${T0},${EXPIRES_AT},60,expiry,none`,
    );
  });

  it('leaves out grants requested outside the range', async () => {
    // Prepare
    await expiredGrant();

    // Act
    const answer = await callApi<{ rows: ReviewRow[] }>(h, 'auditReview', ERIN, {
      query: { since: '2030-03-02', until: '2030-04-01' },
    });

    // Assess
    expect(answer.body.rows).toEqual([]);
  });

  it('refuses a range that ends before it starts, naming until', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'auditReview', ERIN, {
      query: { since: '2030-03-02', until: '2030-03-01' },
    });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_FIELD', field: 'until', message: 'must be after since' });
  });

  it('answers the range it reviewed, as instants, and the vendor when one was asked for', async () => {
    // Act
    const ofAcme = await callApi(h, 'auditReview', CAROL, {
      query: { vendor: 'acme', since: '2030-03-01', until: '2030-03-02T12:00:00Z' },
    });
    const ofEveryone = await callApi(h, 'auditReview', CAROL, { query: { since: '2030-03-01', until: '2030-03-02' } });

    // Assess
    expect(ofAcme).toEqual({
      status: 200,
      body: { since: '2030-03-01T00:00:00.000Z', until: '2030-03-02T12:00:00.000Z', vendor: 'acme', rows: [] },
    });
    expect(ofEveryone).toEqual({
      status: 200,
      body: { since: '2030-03-01T00:00:00.000Z', until: '2030-03-02T00:00:00.000Z', rows: [] },
    });
  });

  it('refuses a range that ends where it starts, naming until', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'auditReview', ERIN, {
      query: { since: '2030-03-01', until: '2030-03-01T00:00:00Z' },
    });

    // Assess
    expect(answer).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_FIELD', field: 'until', message: 'must be after since' } },
    });
  });

  it('reviews a range of exactly 400 days', async () => {
    // Act
    const answer = await callApi(h, 'auditReview', ERIN, { query: { since: '2030-01-01', until: '2031-02-05' } });

    // Assess
    expect(answer.status).toBe(200);
  });

  it('refuses a range a millisecond longer than 400 days, naming until and saying to review a year at a time', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'auditReview', ERIN, {
      query: { since: '2030-01-01', until: '2031-02-05T00:00:00.001Z' },
    });

    // Assess
    expect(answer).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_FIELD',
          field: 'until',
          message: 'must be at most 400 days after since: review a year at a time',
        },
      },
    });
  });

  it('refuses a date it cannot read, naming the field and the form it takes', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'auditReview', ERIN, {
      query: { since: 'last monday', until: '2030-03-01' },
    });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error.field).toBe('since');
    expect(answer.body.error.message).toMatch(/"2026-11-01"/);
  });
});

describe('who may audit', () => {
  it('refuses the evidence of a grant to someone who is neither an auditor nor an admin, saying who may', async () => {
    // Prepare
    await seedPending(h, GRANT_ID);
    const before = writeCounts(h);

    // Act
    const answer = await callApi<ErrorBody>(h, 'auditGrant', DANA, { params: { grantId: GRANT_ID } });

    // Assess
    expect(answer).toEqual({
      status: 403,
      body: {
        error: {
          code: 'NOT_AN_AUDITOR',
          message: `dana may not read the evidence of ${GRANT_ID}: auditors and admins may (ask the platform team to add you to jitAccess.auditors)`,
        },
      },
    });
    expect(writeCounts(h)).toEqual(before);
  });

  it('refuses access reviews to someone who is neither an auditor nor an admin, saying who may', async () => {
    // Act
    const answer = await callApi<ErrorBody>(h, 'auditReview', BOB, {
      query: { since: '2030-03-01', until: '2030-03-02' },
    });

    // Assess
    expect(answer).toEqual({
      status: 403,
      body: {
        error: {
          code: 'NOT_AN_AUDITOR',
          message:
            'bob may not read access reviews: auditors and admins may (ask the platform team to add you to jitAccess.auditors)',
        },
      },
    });
  });
});
