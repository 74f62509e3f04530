import {
  accessMinutesOf,
  assembleAuditReport,
  CLOUDTRAIL_GONE,
  cloudTrailWindow,
  endedAtOf,
  outcomeOf,
  reviewRowOf,
  transcriptFileOf,
  type AuditInput,
  type CloudTrailRecord,
  type SessionEvidence,
} from '../../lambdas/domain/audit-report';
import type { InstanceChangeDelta } from '../../lambdas/domain/change-delta';
import type { GrantRecord, GrantStatus, Residue } from '../../lambdas/domain/types';

/** The fields of a grant these functions read; the rest is not looked at. */
function grant(fields: Partial<GrantRecord> & { status: GrantStatus }): GrantRecord {
  return {
    grantId: 'g-0123456789ab',
    plan: { window: { startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' } },
    created: {},
    createdAt: '2030-03-01T08:50:00.000Z',
    updatedAt: '2030-03-01T12:00:00.000Z',
    ...fields,
  } as unknown as GrantRecord;
}

describe("a grant's outcome in a reviewer's words", () => {
  test.each<[GrantStatus, string]>([
    ['PENDING', 'waiting for approval'],
    ['APPROVED', 'approved, not started yet'],
    ['DENIED', 'denied'],
    ['EXPIRED', 'never granted (approval timed out or cancelled)'],
    ['GRANTING', 'being granted'],
    ['ACTIVE', 'active'],
    ['REVOKING', 'revoke incomplete: residue left for the sweeper'],
    ['FAILED', 'grant failed: what it created was removed'],
  ])('%s: %s', (status, words) => {
    expect(outcomeOf(grant({ status }))).toBe(words);
  });

  test.each<[GrantRecord['revokeReason'], string]>([
    ['expiry', 'expired at the end of its window'],
    ['kill-switch', 'revoked (kill-switch)'],
    [undefined, 'revoked (before it started)'],
  ])('REVOKED for %s: %s', (revokeReason, words) => {
    expect(outcomeOf(grant({ status: 'REVOKED', ...(revokeReason ? { revokeReason } : {}) }))).toBe(words);
  });
});

describe('when access ended', () => {
  it('is the residue check of a revoke, else the last change, for grants that are over or being revoked', () => {
    const checked = { checkedAt: '2030-03-01T10:30:00.000Z', residue: {} } as GrantRecord['residueCheck'];
    expect(endedAtOf(grant({ status: 'REVOKED', residueCheck: checked }))).toBe('2030-03-01T10:30:00.000Z');
    expect(endedAtOf(grant({ status: 'FAILED' }))).toBe('2030-03-01T12:00:00.000Z');
    expect(endedAtOf(grant({ status: 'REVOKING' }))).toBe('2030-03-01T12:00:00.000Z');
  });

  test.each<GrantStatus>(['PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'GRANTING', 'ACTIVE'])(
    'is not set while %s',
    (status) => {
      expect(endedAtOf(grant({ status, updatedAt: '2030-03-01T12:00:00.000Z' }))).toBeUndefined();
    },
  );
});

describe('minutes of access', () => {
  const now = new Date('2030-03-01T10:00:00.000Z');
  const granted = { roleArn: 'arn:role' };

  it('is 0 for a grant that never made its role, or has no expiry', () => {
    expect(accessMinutesOf(grant({ status: 'DENIED' }), now)).toBe(0);
    expect(accessMinutesOf(grant({ status: 'ACTIVE', created: granted }), now)).toBe(0);
  });

  it('runs from the window start to now while active', () => {
    const active = grant({ status: 'ACTIVE', created: granted, expiresAt: '2030-03-01T11:00:00.000Z' });
    expect(accessMinutesOf(active, now)).toBe(60);
  });

  it('ends at the revoke, or at the expiry when that came first', () => {
    const revoked = {
      status: 'REVOKED' as const,
      created: granted,
      expiresAt: '2030-03-01T11:00:00.000Z',
      residueCheck: { checkedAt: '2030-03-01T09:20:29.000Z', residue: {} } as GrantRecord['residueCheck'],
    };
    expect(accessMinutesOf(grant(revoked), now)).toBe(20);
    expect(accessMinutesOf(grant({ ...revoked, expiresAt: '2030-03-01T09:10:00.000Z' }), now)).toBe(10);
  });

  it('is never negative', () => {
    const early = grant({ status: 'ACTIVE', created: granted, expiresAt: '2030-03-01T11:00:00.000Z' });
    expect(accessMinutesOf(early, new Date('2030-03-01T08:00:00.000Z'))).toBe(0);
  });
});

describe("the part of a window CloudTrail's 90-day history still holds", () => {
  const now = new Date('2030-06-01T00:00:00.000Z');
  const historyStart = '2030-03-03T00:00:00.000Z';

  it('is the whole window when it lies within the history', () => {
    expect(cloudTrailWindow('2030-05-01T00:00:00.000Z', '2030-05-02T00:00:00.000Z', now)).toEqual({
      from: '2030-05-01T00:00:00.000Z',
      to: '2030-05-02T00:00:00.000Z',
    });
  });

  it('starts at the history when the window began before it, and says so', () => {
    expect(cloudTrailWindow('2030-03-01T00:00:00.000Z', '2030-03-05T00:00:00.000Z', now)).toEqual({
      from: historyStart,
      to: '2030-03-05T00:00:00.000Z',
      historyStartsAt: historyStart,
    });
  });

  it('is gone when the whole window is older than the history', () => {
    expect(cloudTrailWindow('2030-02-01T00:00:00.000Z', '2030-03-02T23:59:59.000Z', now)).toBe('gone');
  });

  it('is the whole window, with no history note, when it starts exactly where the history starts', () => {
    expect(cloudTrailWindow(historyStart, '2030-03-05T00:00:00.000Z', now)).toEqual({
      from: historyStart,
      to: '2030-03-05T00:00:00.000Z',
    });
  });

  it('is kept when it ends exactly where the history starts', () => {
    expect(cloudTrailWindow('2030-03-02T00:00:00.000Z', historyStart, now)).toEqual({
      from: historyStart,
      to: historyStart,
      historyStartsAt: historyStart,
    });
  });
});

describe("a session's transcript file in the bundle", () => {
  it('keeps letters, digits, dots, dashes and underscores, and replaces anything else', () => {
    expect(transcriptFileOf('acme-0a1b2c.3_x')).toBe('transcripts/acme-0a1b2c.3_x.log');
    expect(transcriptFileOf('../etc/passwd')).toBe('transcripts/.._etc_passwd.log');
  });
});

const DANA = { person: 'dana', arn: 'arn:aws:sts::111122223333:assumed-role/AcmeVendors/dana' };
const ROLE_ARN = 'arn:aws:iam::111122223333:role/jit-access/jit-g-0123456789ab';
const SESSION_ROLE_ARN = 'arn:aws:sts::111122223333:assumed-role/jit-g-0123456789ab/dana';

/** A grant as the audit reads it: its request, plan, votes' hash and history, the rest as `grant` above. */
function auditedGrant(fields: Partial<GrantRecord> = {}): GrantRecord {
  return grant({
    status: 'ACTIVE',
    request: {
      grantId: 'g-0123456789ab',
      vendorId: 'acme',
      requester: DANA,
      targets: ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2'],
      durationMinutes: 120,
      ticket: 'CHG-1',
      reason: 'patch openssl',
    },
    plan: {
      window: { startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' },
      role: { name: 'jit-g-0123456789ab' },
    } as GrantRecord['plan'],
    planHash: 'hash-1',
    approvals: ['alice'],
    history: [],
    ...fields,
  });
}

function residueOfKinds(kinds: Partial<Residue> = {}): Residue {
  return { roles: [], policies: [], securityGroupRules: [], schedules: [], sessions: [], osAccounts: [], ...kinds };
}

const FOUND = { status: 'found', from: '2030-03-01T09:00:00.000Z', to: '2030-03-01T11:15:00.000Z' } as const;

function auditInput(overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    grant: auditedGrant(),
    votes: [],
    cloudTrail: { ...FOUND, events: [], truncated: false },
    sessions: [],
    deltas: [],
    generatedAt: '2030-03-02T00:00:00.000Z',
    generatedBy: { person: 'carol', arn: 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/carol' },
    logRetentionDays: 30,
    ...overrides,
  };
}

function trailRecord(fields: Partial<CloudTrailRecord> & { readonly cloudTrailEvent: string }): CloudTrailRecord {
  return {
    eventId: 'e-1',
    eventTime: '2030-03-01T09:01:00.000Z',
    eventSource: 'ssm.amazonaws.com',
    eventName: 'StartSession',
    resources: [],
    ...fields,
  };
}

function session(fields: Partial<SessionEvidence> & { readonly sessionId: string }): SessionEvidence {
  return { logGroupName: '/jit-access/sessions', lines: [], objects: [], ...fields };
}

describe('the summary of an audit', () => {
  it('writes a single port as protocol:port and a range as protocol:from-to', () => {
    // Prepare
    const base = auditedGrant();
    const ports = [
      { protocol: 'tcp', fromPort: 22, toPort: 22 },
      { protocol: 'udp', fromPort: 60000, toPort: 61000 },
    ] as const;

    // Act
    const report = assembleAuditReport(auditInput({ grant: { ...base, request: { ...base.request, ports } } }));

    // Assess
    expect(report.summary.ports).toEqual(['tcp:22', 'udp:60000-61000']);
  });

  it('lists no ports when the request asked for none', () => {
    // Act
    const report = assembleAuditReport(auditInput());

    // Assess
    expect(report.summary.ports).toEqual([]);
  });

  it('summarizes a revoked break-glass extension whole: its review, what it extends, its window and its end', () => {
    // Prepare
    const base = auditedGrant();
    const revoked = auditedGrant({
      status: 'REVOKED',
      revokeReason: 'kill-switch',
      request: { ...base.request, breakGlass: true, extends: 'g-000000000001' },
      breakGlass: { reviewBy: '2030-03-02T09:00:00.000Z', review: 'APPROVED' },
      created: { roleArn: ROLE_ARN },
      expiresAt: '2030-03-01T10:30:00.000Z',
      residueCheck: { checkedAt: '2030-03-01T10:00:00.000Z', residue: residueOfKinds() },
    });

    // Act
    const report = assembleAuditReport(auditInput({ grant: revoked }));

    // Assess
    expect(report.summary).toEqual({
      vendorId: 'acme',
      requester: DANA,
      ticket: 'CHG-1',
      reason: 'patch openssl',
      targets: ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2'],
      ports: [],
      durationMinutes: 120,
      breakGlass: true,
      breakGlassReview: 'APPROVED',
      extends: 'g-000000000001',
      status: 'REVOKED',
      outcome: 'revoked (kill-switch)',
      revokeReason: 'kill-switch',
      window: { startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T10:30:00.000Z' },
      endedAt: '2030-03-01T10:00:00.000Z',
      accessMinutes: 60,
      planHash: 'hash-1',
      roleName: 'jit-g-0123456789ab',
    });
  });

  it("takes the window's expiry from the plan while the grant has not fixed its own", () => {
    // Act
    const report = assembleAuditReport(auditInput({ grant: auditedGrant({ status: 'PENDING' }) }));

    // Assess
    expect(report.summary.window).toEqual({
      startAt: '2030-03-01T09:00:00.000Z',
      expiresAt: '2030-03-01T11:00:00.000Z',
    });
  });
});

describe('the CloudTrail part of an audit', () => {
  it('summarizes an event by its principal ARN, source IP and refusal, with no note when the history held it', () => {
    // Prepare
    const event = trailRecord({
      username: 'dana',
      cloudTrailEvent: JSON.stringify({
        userIdentity: { arn: SESSION_ROLE_ARN, accountId: '111122223333' },
        sourceIPAddress: '203.0.113.10',
        errorCode: 'AccessDenied',
      }),
    });

    // Act
    const report = assembleAuditReport(auditInput({ cloudTrail: { ...FOUND, events: [event], truncated: false } }));

    // Assess
    expect(report.cloudTrail).toEqual({
      ...FOUND,
      historyDays: 90,
      events: [
        {
          eventId: 'e-1',
          eventTime: '2030-03-01T09:01:00.000Z',
          eventSource: 'ssm.amazonaws.com',
          eventName: 'StartSession',
          principal: SESSION_ROLE_ARN,
          sourceIp: '203.0.113.10',
          errorCode: 'AccessDenied',
        },
      ],
    });
  });

  it('names the principal by user name, else by account, when the event gives no ARN', () => {
    // Prepare
    const events = [
      trailRecord({
        eventId: 'e-1',
        username: 'dana',
        cloudTrailEvent: '{"userIdentity":{"accountId":"111122223333"}}',
      }),
      trailRecord({ eventId: 'e-2', cloudTrailEvent: '{"userIdentity":{"accountId":"111122223333"}}' }),
    ];

    // Act
    const report = assembleAuditReport(auditInput({ cloudTrail: { ...FOUND, events, truncated: false } }));

    // Assess
    expect(report.cloudTrail.events.map((e) => e.principal)).toEqual(['dana', '111122223333']);
  });

  it('lists an event without an identity, or whose JSON is unreadable, by its id, time and name only', () => {
    // Prepare
    const events = [
      trailRecord({ eventId: 'e-1', cloudTrailEvent: '{}' }),
      trailRecord({ eventId: 'e-2', cloudTrailEvent: 'not JSON' }),
    ];

    // Act
    const report = assembleAuditReport(auditInput({ cloudTrail: { ...FOUND, events, truncated: false } }));

    // Assess
    const bare = { eventTime: '2030-03-01T09:01:00.000Z', eventSource: 'ssm.amazonaws.com', eventName: 'StartSession' };
    expect(report.cloudTrail.events).toStrictEqual([
      { eventId: 'e-1', ...bare },
      { eventId: 'e-2', ...bare },
    ]);
  });

  it('notes that the event history no longer holds a window that is gone', () => {
    // Act
    const report = assembleAuditReport(auditInput({ cloudTrail: { ...FOUND, status: 'gone' } }));

    // Assess
    expect(report.cloudTrail).toEqual({ ...FOUND, status: 'gone', historyDays: 90, note: CLOUDTRAIL_GONE, events: [] });
  });

  it('notes why CloudTrail could not be read', () => {
    // Prepare
    const reason = 'LookupEvents failed (ThrottlingException: Rate exceeded)';

    // Act
    const report = assembleAuditReport(auditInput({ cloudTrail: { ...FOUND, status: 'unavailable', reason } }));

    // Assess
    expect(report.cloudTrail).toEqual({ ...FOUND, status: 'unavailable', historyDays: 90, note: reason, events: [] });
  });
});

describe('the residue part of an audit', () => {
  it('lists what a revoke left behind, kind by kind', () => {
    // Prepare
    const residue = residueOfKinds({ roles: ['jit-g-0123456789ab'], securityGroupRules: ['sgr-1', 'sgr-2'] });
    const revoked = auditedGrant({
      status: 'REVOKING',
      created: { roleArn: ROLE_ARN },
      residueCheck: { checkedAt: '2030-03-01T11:01:00.000Z', residue },
    });

    // Act
    const report = assembleAuditReport(auditInput({ grant: revoked }));

    // Assess
    expect(report.residue).toEqual({
      checked: true,
      checkedAt: '2030-03-01T11:01:00.000Z',
      clean: false,
      leftovers: ['roles: jit-g-0123456789ab', 'securityGroupRules: sgr-1', 'securityGroupRules: sgr-2'],
    });
  });

  it('awaits a residue check when the grant opened ingress rules but made no role', () => {
    // Prepare
    const failed = auditedGrant({ status: 'FAILED', created: { securityGroupRuleIds: ['sgr-1'] } });

    // Act
    const report = assembleAuditReport(auditInput({ grant: failed }));

    // Assess
    expect(report.residue).toEqual({ checked: false, why: 'no residue check recorded yet: the grant is FAILED' });
  });
});

describe('the missing pieces of an audit', () => {
  const line = { at: '2030-03-01T09:03:00.000Z', message: '$ id' };

  it('misses nothing when every piece of evidence was found', () => {
    // Prepare
    const revoked = auditedGrant({
      status: 'REVOKED',
      revokeReason: 'expiry',
      created: { roleArn: ROLE_ARN },
      expiresAt: '2030-03-01T11:00:00.000Z',
      residueCheck: { checkedAt: '2030-03-01T11:01:00.000Z', residue: residueOfKinds() },
    });
    const unchanged = { added: [], removed: [], changed: [] };
    const compared: InstanceChangeDelta = {
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      status: 'compared',
      start: { takenAt: '2030-03-01T09:00:01.000Z', key: 'change-snapshots/g/start/i-0aaaaaaaaaaaaaaa1' },
      end: { takenAt: '2030-03-01T11:00:01.000Z', key: 'change-snapshots/g/end/i-0aaaaaaaaaaaaaaa1' },
      delta: {
        packages: unchanged,
        services: unchanged,
        users: unchanged,
        groups: unchanged,
        sudoers: unchanged,
        crontabs: unchanged,
        listeningPorts: unchanged,
        files: unchanged,
      },
      changes: 0,
    };

    // Act
    const report = assembleAuditReport(
      auditInput({
        grant: revoked,
        deltas: [compared],
        sessions: [session({ sessionId: 's-1', lines: [line], objects: [{ key: 'sessions/s-1.log', bytes: 4 }] })],
        sessionBucketName: 'jit-access-sessions',
      }),
    );

    // Assess
    expect(report.missing).toEqual([]);
  });

  it('says which events are past the 90-day history, and that there were more than one audit reads', () => {
    // Prepare
    const events = [
      trailRecord({ eventId: 'e-1', cloudTrailEvent: '{}' }),
      trailRecord({ eventId: 'e-2', cloudTrailEvent: '{}' }),
    ];
    const cloudTrail = { ...FOUND, events, truncated: true, historyStartsAt: '2030-03-01T10:00:00.000Z' };

    // Act
    const report = assembleAuditReport(auditInput({ cloudTrail }));

    // Assess
    expect(report.missing).toEqual([
      'CloudTrail: events before 2030-03-01T10:00:00.000Z are past the 90-day event history; use your trail',
      'CloudTrail: more events than one audit reads; the first 2 are here, look up the rest in your trail',
    ]);
  });

  it('states each gap of a session: truncated lines, unreadable objects, an empty stream, content not bundled', () => {
    // Prepare
    const sessions = [
      session({ sessionId: 's-1', lines: [line], linesTruncated: true, objectsUnavailable: 'AccessDenied' }),
      session({ sessionId: 's-2' }),
      session({
        sessionId: 's-3',
        lines: [line],
        objects: [
          { key: 'sessions/s-3.log', bytes: 9_000_000, contentOmitted: 'larger than one API answer' },
          { key: 'sessions/s-3.dat', bytes: 7, content: 'id\nexit' },
        ],
      }),
    ];

    // Act
    const report = assembleAuditReport(auditInput({ sessions }));

    // Assess
    expect(report.missing).toEqual([
      'session s-1: log lines truncated to fit one API answer',
      'session s-1: transcript objects: AccessDenied',
      'session s-2: no lines in log stream /jit-access/sessions/s-2 (never written, or past logRetentionDays 30)',
      'session s-2: no transcript object under s3://<SessionBucketName>/sessions/s-2',
      'session s-3: sessions/s-3.log not in the bundle: larger than one API answer',
    ]);
  });
});

describe('the timeline of an audit', () => {
  it('tells the request, votes, ledger, CloudTrail and sessions in time order, each in its own words', () => {
    // Prepare
    const history = [
      { at: '2030-03-01T08:56:00.000Z', actor: 'alice', actorArn: 'arn:alice', event: 'approved by alice' },
      { at: '2030-03-01T09:00:00.000Z', actor: 'grant', event: 'active until 2030-03-01T11:00:00.000Z', detail: 'x' },
    ];
    const events = [
      trailRecord({
        eventId: 'e-1',
        eventTime: '2030-03-01T09:01:00.000Z',
        cloudTrailEvent: JSON.stringify({ userIdentity: { arn: SESSION_ROLE_ARN }, sourceIPAddress: '203.0.113.10' }),
      }),
      trailRecord({
        eventId: 'e-2',
        eventTime: '2030-03-01T09:02:00.000Z',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'TerminateInstances',
        cloudTrailEvent: '{"errorCode":"AccessDenied"}',
      }),
    ];
    const sessions = [
      session({
        sessionId: 's-1',
        target: 'i-0aaaaaaaaaaaaaaa1',
        owner: SESSION_ROLE_ARN,
        lines: [
          { at: '2030-03-01T09:03:00.000Z', message: '$ id' },
          { at: '2030-03-01T09:04:00.000Z', message: '$ exit' },
        ],
      }),
      session({ sessionId: 's-2', lines: [{ at: '2030-03-01T08:59:00.000Z', message: '$ ls' }] }),
      session({ sessionId: 's-3' }),
    ];
    const input = auditInput({
      grant: auditedGrant({ history }),
      votes: [
        {
          person: 'alice',
          arn: 'arn:alice',
          decision: 'approve',
          at: '2030-03-01T08:55:00.000Z',
          planHash: 'hash-1',
          comment: 'looks fine',
        },
        { person: 'bob', arn: 'arn:bob', decision: 'deny', at: '2030-03-01T08:54:00.000Z', planHash: 'hash-0' },
      ],
      cloudTrail: { ...FOUND, events, truncated: false },
      sessions,
    });

    // Act
    const report = assembleAuditReport(input);

    // Assess
    expect(report.timeline).toStrictEqual([
      {
        at: '2030-03-01T08:50:00.000Z',
        actor: 'dana',
        actorArn: DANA.arn,
        event: 'request for acme: i-0aaaaaaaaaaaaaaa1, i-0bbbbbbbbbbbbbbb2 for 120 min',
        detail: 'ticket "CHG-1", reason "patch openssl"',
        source: 'request',
      },
      {
        at: '2030-03-01T08:54:00.000Z',
        actor: 'bob',
        actorArn: 'arn:bob',
        event: 'vote: deny (for another plan: not counted)',
        source: 'vote',
      },
      {
        at: '2030-03-01T08:55:00.000Z',
        actor: 'alice',
        actorArn: 'arn:alice',
        event: 'vote: approve',
        detail: '"looks fine"',
        source: 'vote',
      },
      {
        at: '2030-03-01T08:56:00.000Z',
        actor: 'alice',
        actorArn: 'arn:alice',
        event: 'approved by alice',
        source: 'ledger',
      },
      {
        at: '2030-03-01T08:59:00.000Z',
        actor: 'vendor',
        event: 'session s-2: 1 line(s) recorded',
        detail: 'transcripts/s-2.log',
        source: 'session',
      },
      {
        at: '2030-03-01T09:00:00.000Z',
        actor: 'grant',
        event: 'active until 2030-03-01T11:00:00.000Z',
        detail: 'x',
        source: 'ledger',
      },
      {
        at: '2030-03-01T09:01:00.000Z',
        actor: SESSION_ROLE_ARN,
        event: 'ssm:StartSession',
        detail: 'CloudTrail e-1 from 203.0.113.10',
        source: 'cloudtrail',
      },
      {
        at: '2030-03-01T09:02:00.000Z',
        actor: 'unknown',
        event: 'ec2:TerminateInstances refused (AccessDenied)',
        detail: 'CloudTrail e-2',
        source: 'cloudtrail',
      },
      {
        at: '2030-03-01T09:03:00.000Z',
        actor: SESSION_ROLE_ARN,
        event: 'session s-1 on i-0aaaaaaaaaaaaaaa1: 2 line(s) recorded',
        detail: 'transcripts/s-1.log',
        source: 'session',
      },
    ]);
  });

  it('calls a break-glass request so in the timeline', () => {
    // Prepare
    const base = auditedGrant();

    // Act
    const report = assembleAuditReport(
      auditInput({
        grant: { ...base, request: { ...base.request, breakGlass: true, targets: ['i-0aaaaaaaaaaaaaaa1'] } },
      }),
    );

    // Assess
    expect(report.timeline[0]?.event).toBe('break-glass request for acme: i-0aaaaaaaaaaaaaaa1 for 120 min');
  });

  it('strips .amazonaws.com only from the end of an event source', () => {
    // Prepare
    const events = [trailRecord({ eventSource: 'ssm.amazonaws.com.example', cloudTrailEvent: '{}' })];

    // Act
    const report = assembleAuditReport(auditInput({ cloudTrail: { ...FOUND, events, truncated: false } }));

    // Assess
    expect(report.timeline.map((t) => t.event)).toContain('ssm.amazonaws.com.example:StartSession');
  });

  it('keeps entries of one instant in the order request, votes, ledger, CloudTrail, sessions', () => {
    // Prepare
    const at = '2030-03-01T08:50:00.000Z';
    const input = auditInput({
      grant: auditedGrant({ history: [{ at, actor: 'workflow', event: 'requested' }] }),
      votes: [{ person: 'alice', arn: 'arn:alice', decision: 'approve', at, planHash: 'hash-1' }],
      cloudTrail: { ...FOUND, events: [trailRecord({ eventTime: at, cloudTrailEvent: '{}' })], truncated: false },
      sessions: [session({ sessionId: 's-1', lines: [{ at, message: '$ id' }] })],
    });

    // Act
    const report = assembleAuditReport(input);

    // Assess
    expect(report.timeline.map((t) => t.source)).toEqual(['request', 'vote', 'ledger', 'cloudtrail', 'session']);
  });
});

describe('what an audit keeps whole', () => {
  it('lists the OS user of each instance in instance order', () => {
    // Prepare
    const entry = (commandId: string) =>
      ({ action: 'lock', status: 'succeeded', at: '2030-03-01T11:00:30.000Z', commandId }) as const;
    const locked = auditedGrant({
      osAccount: { 'i-0c': entry('c-3'), 'i-0a': entry('c-1'), 'i-0b': entry('c-2') },
    });

    // Act
    const report = assembleAuditReport(auditInput({ grant: locked }));

    // Assess
    expect(report.osAccount).toEqual([
      { instanceId: 'i-0a', ...entry('c-1') },
      { instanceId: 'i-0b', ...entry('c-2') },
      { instanceId: 'i-0c', ...entry('c-3') },
    ]);
  });

  it("keeps the state changes, and the ledger's record and votes", () => {
    // Prepare
    const history = [{ at: '2030-03-01T08:56:00.000Z', actor: 'workflow', event: 'approved by alice' }];
    const votes = [
      { person: 'alice', arn: 'arn:alice', decision: 'approve', at: '2030-03-01T08:55:00.000Z', planHash: 'hash-1' },
    ] as const;
    const recorded = auditedGrant({ history });

    // Act
    const report = assembleAuditReport(auditInput({ grant: recorded, votes }));

    // Assess
    expect(report.stateChanges).toEqual(history);
    expect(report.ledger).toEqual({ grant: recorded, votes });
  });

  it('lists each session with its owner, first line and transcript file, and no file for a session without lines', () => {
    // Prepare
    const sessions = [
      session({
        sessionId: 's-1',
        target: 'i-0aaaaaaaaaaaaaaa1',
        owner: SESSION_ROLE_ARN,
        lines: [
          { at: '2030-03-01T09:03:00.000Z', message: '$ id' },
          { at: '2030-03-01T09:04:00.000Z', message: '$ exit' },
        ],
        objects: [{ key: 'sessions/s-1.log', versionId: 'v1', bytes: 12, content: '$ id\n$ exit' }],
      }),
      session({ sessionId: 's-2' }),
    ];

    // Act
    const report = assembleAuditReport(auditInput({ sessions }));

    // Assess
    expect(report.sessions).toStrictEqual([
      {
        sessionId: 's-1',
        target: 'i-0aaaaaaaaaaaaaaa1',
        owner: SESSION_ROLE_ARN,
        logGroupName: '/jit-access/sessions',
        logStream: 's-1',
        lines: 2,
        firstLineAt: '2030-03-01T09:03:00.000Z',
        transcriptFile: 'transcripts/s-1.log',
        objects: [{ key: 'sessions/s-1.log', versionId: 'v1', bytes: 12 }],
      },
      { sessionId: 's-2', logGroupName: '/jit-access/sessions', logStream: 's-2', lines: 0, objects: [] },
    ]);
  });
});

describe('a row of the access review', () => {
  const now = new Date('2030-03-02T00:00:00.000Z');

  it('counts as deniers only the people whose signed entry begins with "denied"', () => {
    // Prepare
    const history = [
      { at: '2030-03-01T08:55:00.000Z', actor: 'bob', actorArn: 'arn:bob', event: 'denied: "no ticket"' },
      { at: '2030-03-01T08:56:00.000Z', actor: 'bob', actorArn: 'arn:bob', event: 'denied' },
      {
        at: '2030-03-01T08:57:00.000Z',
        actor: 'erin',
        actorArn: 'arn:erin',
        event: 'revoke requested: "denied twice"',
      },
      { at: '2030-03-01T08:58:00.000Z', actor: 'workflow', event: 'denied by the approval timeout' },
    ];

    // Act
    const row = reviewRowOf(auditedGrant({ status: 'DENIED', history }), now);

    // Assess
    expect(row.deniedBy).toEqual(['bob']);
  });

  it('joins everything a revoke left behind into the residue column', () => {
    // Prepare
    const residue = residueOfKinds({ roles: ['jit-g-0123456789ab'], schedules: ['jit/jit-g-0123456789ab'] });
    const revoking = auditedGrant({
      status: 'REVOKING',
      created: { roleArn: ROLE_ARN },
      residueCheck: { checkedAt: '2030-03-01T11:01:00.000Z', residue },
    });

    // Act
    const row = reviewRowOf(revoking, now);

    // Assess
    expect(row.residue).toBe('roles: jit-g-0123456789ab; schedules: jit/jit-g-0123456789ab');
  });
});
