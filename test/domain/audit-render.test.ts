import type { CategoryDelta } from '../../lambdas/domain/change-delta';
import {
  csvField,
  renderAuditCsv,
  renderAuditMarkdown,
  renderReviewCsv,
  renderReviewMarkdown,
} from '../../lambdas/domain/audit-render';
import type { AuditReport, ReviewRow } from '../../lambdas/domain/audit-report';

const NONE: CategoryDelta = { added: [], removed: [], changed: [] };

function report(overrides: Partial<AuditReport> = {}): AuditReport {
  return {
    version: 1,
    grantId: 'g-0123456789ab',
    generatedAt: '2030-03-02T00:00:00.000Z',
    generatedBy: { person: 'carol', arn: 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/carol' },
    summary: {
      vendorId: 'acme',
      requester: { person: 'dana', arn: 'arn:dana' },
      ticket: 'CHG-1',
      reason: 'a | pipe and `code`',
      targets: ['i-1'],
      ports: [],
      durationMinutes: 60,
      breakGlass: false,
      status: 'DENIED',
      outcome: 'denied',
      window: { startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T10:00:00.000Z' },
      planHash: 'abc',
      roleName: 'jit-g-0123456789ab',
    },
    timeline: [{ at: '2030-03-01T09:00:00.000Z', actor: 'dana', event: 'request | with a pipe', source: 'request' }],
    votes: [],
    created: {},
    stateChanges: [],
    osAccount: [],
    residue: { checked: false, why: 'nothing was created, so nothing could remain' },
    changeDeltas: [
      {
        instanceId: 'i-1',
        status: 'compared',
        start: { takenAt: '2030-03-01T09:00:01.000Z', key: 'change-snapshots/g/start/c1/i-1/s/snapshotStart/stdout' },
        end: { takenAt: '2030-03-01T10:00:01.000Z', key: 'change-snapshots/g/end/c2/i-1/s/snapshotEnd/stdout' },
        delta: {
          packages: { added: [{ key: 'netcat', value: '1.10' }], removed: [], changed: [] },
          services: NONE,
          users: NONE,
          groups: NONE,
          sudoers: NONE,
          crontabs: NONE,
          listeningPorts: NONE,
          files: NONE,
        },
        changes: 1,
      },
    ],
    cloudTrail: { status: 'found', from: 'a', to: 'b', historyDays: 90, events: [] },
    sessions: [],
    missing: [],
    ledger: { grant: {} as AuditReport['ledger']['grant'], votes: [] },
    ...overrides,
  };
}

describe('the Markdown report', () => {
  it('escapes pipes in table cells, so free text cannot add a column', () => {
    // Act
    const md = renderAuditMarkdown(report());

    // Assess
    expect(md).toContain('| 2030-03-01T09:00:00.000Z | dana | request \\| with a pipe |  |');
    expect(md).toContain('| reason | "a \\| pipe and `code`" |');
  });

  it('fences a transcript with more backticks than any line holds, so a line cannot end the block', () => {
    // Prepare
    const r = report({
      sessions: [{ sessionId: 's-1', logGroupName: 'g', logStream: 's-1', lines: 1, objects: [] }],
    });

    // Act
    const md = renderAuditMarkdown(r, { 's-1': ['echo ````', 'ls'] });

    // Assess
    expect(md).toContain('`````text\necho ````\nls\n`````');
  });

  it('renders a recorded change delta as a table, and says when nothing is missing', () => {
    // Act
    const md = renderAuditMarkdown(report());

    // Assess
    expect(md).toContain('| packages | added | netcat |  | 1.10 |');
    expect(md).toContain('None: every piece of evidence was found.');
  });
});

describe('CSV', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['=HYPERLINK("x")', '"\'=HYPERLINK(""x"")"'],
    ['+1', "'+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
  ])('writes %s as %s (quoted, and never a formula)', (value, expected) => {
    // Act & Assess
    expect(csvField(value)).toBe(expected);
  });

  it('writes one review row per grant under the header', () => {
    // Prepare
    const row: ReviewRow = {
      grantId: 'g-1',
      vendorId: 'acme',
      requester: 'dana',
      ticket: '=cmd',
      status: 'DENIED',
      outcome: 'denied',
      breakGlass: false,
      approvers: [],
      deniedBy: ['bob'],
      requestedAt: 't0',
      startAt: 't0',
      accessMinutes: 0,
      residue: 'n/a',
    };

    // Act
    const lines = renderReviewCsv([row]).split('\r\n');

    // Assess
    expect(lines[0]).toBe(
      'grantId,vendor,requester,ticket,status,outcome,breakGlass,approvers,deniedBy,requestedAt,startAt,endedAt,accessMinutes,revokeReason,residue',
    );
    expect(lines[1]).toBe("g-1,acme,dana,'=cmd,DENIED,denied,no,,bob,t0,t0,,0,,n/a");
  });
});

/** A break-glass grant that was active, revoked, and left something behind: every optional part of the report. */
function eventfulReport(): AuditReport {
  const base = report();
  return report({
    summary: {
      ...base.summary,
      ports: ['tcp/5432', 'tcp/22'],
      breakGlass: true,
      extends: 'g-000000000001',
      status: 'REVOKED',
      outcome: 'revoked',
      revokeReason: 'kill switch',
      accessMinutes: 42,
      endedAt: '2030-03-01T09:42:00.000Z',
    },
    votes: [
      {
        person: 'alice',
        arn: 'arn:alice',
        decision: 'approve',
        at: '2030-03-01T09:01:00.000Z',
        planHash: 'abc',
        comment: 'checked',
      },
      { person: 'bob', arn: 'arn:bob', decision: 'approve', at: '2030-03-01T09:02:00.000Z', planHash: 'abc' },
    ],
    created: {
      roleArn: 'arn:aws:iam::111122223333:role/jit-access/jit-g-0123456789ab',
      securityGroupRuleIds: ['sgr-1', 'sgr-2'],
      scheduleArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/jit/jit-g-0123456789ab',
    },
    osAccount: [
      { instanceId: 'i-1', action: 'lock', status: 'succeeded', at: '2030-03-01T09:42:01.000Z', commandId: 'c-9' },
    ],
    residue: {
      checked: true,
      checkedAt: '2030-03-01T09:43:00.000Z',
      clean: false,
      leftovers: ['roles: jit-g-0123456789ab'],
    },
    changeDeltas: [
      { instanceId: 'i-2', status: 'incomplete', missing: 'the end snapshot failed' },
      {
        ...(base.changeDeltas[0] as Extract<AuditReport['changeDeltas'][number], { status: 'compared' }>),
        instanceId: 'i-3',
        changes: 0,
      },
    ],
    cloudTrail: {
      status: 'found',
      from: 'a',
      to: 'b',
      historyDays: 90,
      events: [
        {
          eventId: 'e-1',
          eventTime: '2030-03-01T09:05:00.000Z',
          eventSource: 'ssm.amazonaws.com',
          eventName: 'StartSession',
          principal: 'jit-g-0123456789ab/acme',
          sourceIp: '203.0.113.10',
          errorCode: 'AccessDenied',
        },
      ],
    },
    sessions: [
      {
        sessionId: 's-1',
        target: 'i-1',
        owner: 'arn:owner',
        logGroupName: '/jit/sessions',
        logStream: 's-1',
        lines: 2,
        firstLineAt: '2030-03-01T09:06:00.000Z',
        transcriptFile: 'transcripts/s-1.log',
        objects: [
          {
            key: 'sessions/s-1.log',
            versionId: 'v1',
            bytes: 120,
            lastModified: '2030-03-01T09:40:00.000Z',
            lockMode: 'COMPLIANCE',
            retainUntil: '2031-03-01T00:00:00.000Z',
          },
          { key: 'sessions/s-1.dat', bytes: 7 },
        ],
      },
      { sessionId: 's-2', logGroupName: '/jit/sessions', logStream: 's-2', lines: 0, objects: [] },
    ],
    missing: ['the session s-2 has no S3 object'],
  });
}

describe('the Markdown report, line by line', () => {
  const lines = (markdown: string) => markdown.split('\n');

  it('says what a denied request never had: no votes, nothing created, no residue check, no events, no session', () => {
    // Act
    const out = lines(renderAuditMarkdown(report()));

    // Assess
    expect(out[0]).toBe('# Audit of grant g-0123456789ab');
    expect(out).toEqual(
      expect.arrayContaining([
        '| ports | none |',
        '| access | never granted |',
        '| break-glass | no |',
        '| outcome | denied (DENIED) |',
        'No votes.',
        'Nothing.',
        'Not checked: nothing was created, so nothing could remain.',
        'No events.',
        'No session of the grant role was found.',
        'None: every piece of evidence was found.',
      ]),
    );
    expect(out.some((l) => l.startsWith('| extends |'))).toBe(false);
  });

  it('renders every part of an eventful grant, each in its own words', () => {
    // Act
    const out = lines(renderAuditMarkdown(eventfulReport(), { 's-1': ['$ whoami', 'acme-support'] }));

    // Assess
    expect(out).toEqual(
      expect.arrayContaining([
        '| ports | tcp/5432, tcp/22 |',
        '| outcome | revoked (REVOKED, kill switch) |',
        '| access | 42 min, ended 2030-03-01T09:42:00.000Z |',
        '| break-glass | yes, review PENDING |',
        '| extends | g-000000000001 |',
        '| 2030-03-01T09:01:00.000Z | alice | arn:alice | approve | abc | "checked" |',
        '| 2030-03-01T09:02:00.000Z | bob | arn:bob | approve | abc |  |',
        '- role `arn:aws:iam::111122223333:role/jit-access/jit-g-0123456789ab`, inline policy `?`',
        '- ingress rules `sgr-1`, `sgr-2`',
        '- expiry schedule `arn:aws:scheduler:eu-west-1:111122223333:schedule/jit/jit-g-0123456789ab`',
        '| i-1 | lock | succeeded | 2030-03-01T09:42:01.000Z | c-9 |',
        'Checked 2030-03-01T09:43:00.000Z: LEFT BEHIND:',
        '- roles: jit-g-0123456789ab',
        '- `i-2`: the end snapshot failed',
        '- `i-3`: no change between the snapshots at grant and at revoke',
        '| 2030-03-01T09:05:00.000Z | ssm:StartSession | jit-g-0123456789ab/acme | 203.0.113.10 | AccessDenied | e-1 |',
        '### s-1',
        '- on `i-1`, by `arn:owner`',
        '- CloudWatch Logs: `/jit/sessions`, stream `s-1`: 2 line(s) (`transcripts/s-1.log`)',
        '- S3: `sessions/s-1.log` version `v1`, 120 bytes, Object Lock COMPLIANCE until 2031-03-01T00:00:00.000Z',
        '- S3: `sessions/s-1.dat`, 7 bytes, Object Lock none',
        '```text',
        '$ whoami',
        '- by `unknown`',
        '- CloudWatch Logs: `/jit/sessions`, stream `s-2`: 0 line(s)',
        '- the session s-2 has no S3 object',
      ]),
    );
    expect(out).not.toContain('Nothing.');
    expect(out).not.toContain('No votes.');
  });

  it("states CloudTrail's note instead of events, in bold", () => {
    // Prepare
    const base = report();

    // Act
    const out = lines(
      renderAuditMarkdown(report({ cloudTrail: { ...base.cloudTrail, note: 'CloudTrail no longer holds it' } })),
    );

    // Assess
    expect(out).toContain('**CloudTrail no longer holds it.**');
    expect(out).not.toContain('No events.');
  });

  it('keeps a cell on one line and its backslashes literal', () => {
    // Prepare
    const base = report();

    // Act
    const out = lines(renderAuditMarkdown(report({ summary: { ...base.summary, vendorId: 'a\\b\r\nc|d' } })));

    // Assess
    expect(out).toContain('| vendor | a\\\\b c\\|d |');
  });
});

describe('the CSV report', () => {
  it('writes what was created, the residue left behind, missing deltas, transcripts and missing pieces as rows', () => {
    // Act
    const rows = renderAuditCsv(eventfulReport()).split('\r\n');

    // Assess
    expect(rows[0]).toBe('kind,at,who,what,detail');
    expect(rows).toEqual(
      expect.arrayContaining([
        'created,,,role,arn:aws:iam::111122223333:role/jit-access/jit-g-0123456789ab',
        'created,,,ingress rule,sgr-1',
        'created,,,ingress rule,sgr-2',
        'created,,,schedule,arn:aws:scheduler:eu-west-1:111122223333:schedule/jit/jit-g-0123456789ab',
        'residue,2030-03-01T09:43:00.000Z,,left behind,roles: jit-g-0123456789ab',
        'change,,i-2,missing,the end snapshot failed',
        'transcript,2030-03-01T09:06:00.000Z,arn:owner,/jit/sessions/s-1: 2 line(s),s-1',
        'transcript,2030-03-01T09:40:00.000Z,arn:owner,s3 sessions/s-1.log,lock COMPLIANCE until 2031-03-01T00:00:00.000Z',
        'transcript,,arn:owner,s3 sessions/s-1.dat,lock none until -',
        'missing,,,the session s-2 has no S3 object,',
      ]),
    );
  });

  it('writes a residue not checked, and each change of a compared instance with before and after', () => {
    // Act
    const rows = renderAuditCsv(report()).split('\r\n');

    // Assess
    expect(rows).toEqual(
      expect.arrayContaining([
        'residue,,,not checked,"nothing was created, so nothing could remain"',
        'change,,i-1,packages added: netcat,1.10',
      ]),
    );
  });
});

describe('the access review in Markdown', () => {
  const row: ReviewRow = {
    grantId: 'g-1',
    vendorId: 'acme',
    requester: 'dana',
    ticket: 'CHG-1',
    status: 'REVOKED',
    outcome: 'revoked',
    breakGlass: true,
    approvers: [],
    deniedBy: [],
    requestedAt: 't0',
    startAt: 't0',
    accessMinutes: 30,
    residue: 'none',
  };

  it('says so when no grant was requested in the range', () => {
    // Act & Assess
    expect(renderReviewMarkdown([], { since: 's', until: 'u' })).toBe(
      '# Access review: s to u\n\nNo grant was requested in this range.\n',
    );
  });

  it("names the vendor in the title and writes one row per grant, '-' when nobody approved", () => {
    // Act
    const out = renderReviewMarkdown(
      [row, { ...row, grantId: 'g-2', breakGlass: false, approvers: ['alice', 'bob'] }],
      {
        since: 's',
        until: 'u',
        vendor: 'acme',
      },
    );

    // Assess
    expect(out.split('\n')).toEqual([
      '# Access review of acme: s to u',
      '',
      '| grant | vendor | requester | ticket | outcome | break-glass | approvers | access (min) | residue |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| g-1 | acme | dana | CHG-1 | revoked | yes | - | 30 | none |',
      '| g-2 | acme | dana | CHG-1 | revoked | no | alice, bob | 30 | none |',
      '',
    ]);
  });
});

/** The lines of one `## ` section of a Markdown report, without its heading and blank lines. */
function sectionOf(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((l) => l !== '');
}

describe('what the grant created, in the Markdown report', () => {
  it('lists only the role when the grant made nothing else', () => {
    // Act
    const md = renderAuditMarkdown(report({ created: { roleArn: 'arn:role', inlinePolicyName: 'jit-access' } }));

    // Assess
    expect(sectionOf(md, 'What the grant created')).toEqual(['- role `arn:role`, inline policy `jit-access`']);
  });

  it('lists only the ingress rules when the grant opened rules and nothing else', () => {
    // Act
    const md = renderAuditMarkdown(report({ created: { securityGroupRuleIds: ['sgr-1'] } }));

    // Assess
    expect(sectionOf(md, 'What the grant created')).toEqual(['- ingress rules `sgr-1`']);
  });

  it('lists only the expiry schedule when the grant made nothing else', () => {
    // Act
    const md = renderAuditMarkdown(report({ created: { scheduleArn: 'arn:schedule' } }));

    // Assess
    expect(sectionOf(md, 'What the grant created')).toEqual(['- expiry schedule `arn:schedule`']);
  });

  it('says "Nothing." and draws no OS user table for a grant that created nothing', () => {
    // Act
    const md = renderAuditMarkdown(report({ created: { securityGroupRuleIds: [] } }));

    // Assess
    expect(sectionOf(md, 'What the grant created')).toEqual(['Nothing.']);
  });
});

describe('the Markdown report, part by part', () => {
  it('lists every target, separated by commas', () => {
    // Prepare
    const base = report();

    // Act
    const md = renderAuditMarkdown(report({ summary: { ...base.summary, targets: ['i-1', 'group:web'] } }));

    // Assess
    expect(md.split('\n')).toContain('| targets | i-1, group:web |');
  });

  it('writes the minutes of access without an end while access goes on', () => {
    // Prepare
    const base = report();

    // Act
    const md = renderAuditMarkdown(report({ summary: { ...base.summary, status: 'ACTIVE', accessMinutes: 5 } }));

    // Assess
    expect(md.split('\n')).toContain('| access | 5 min |');
  });

  it('says that no instance was reached when there is no change delta', () => {
    // Act
    const md = renderAuditMarkdown(report({ changeDeltas: [] }));

    // Assess
    expect(sectionOf(md, 'Change on each instance')).toEqual(['No instance was reached.']);
  });

  it('strips .amazonaws.com only from the end of an event source', () => {
    // Prepare
    const base = report();
    const event = {
      eventId: 'e-1',
      eventTime: 't',
      eventSource: 'ssm.amazonaws.com.example',
      eventName: 'StartSession',
    };

    // Act
    const md = renderAuditMarkdown(report({ cloudTrail: { ...base.cloudTrail, events: [event] } }));

    // Assess
    expect(md.split('\n')).toContain('| t | ssm.amazonaws.com.example:StartSession |  |  |  | e-1 |');
  });

  it('draws no transcript block for a session whose transcript has no lines', () => {
    // Prepare
    const r = report({ sessions: [{ sessionId: 's-1', logGroupName: 'g', logStream: 's-1', lines: 0, objects: [] }] });

    // Act
    const md = renderAuditMarkdown(r, { 's-1': [] });

    // Assess
    expect(sectionOf(md, 'Session transcripts')).toEqual([
      '### s-1',
      '- by `unknown`',
      '- CloudWatch Logs: `g`, stream `s-1`: 0 line(s)',
    ]);
  });

  it('lists the missing pieces, and does not claim that none is missing', () => {
    // Act
    const md = renderAuditMarkdown(report({ missing: ['sessions: ssm:DescribeSessions denied'] }));

    // Assess
    expect(sectionOf(md, 'Missing pieces')).toEqual(['- sessions: ssm:DescribeSessions denied']);
  });
});

describe('the CSV report, row by row', () => {
  it('writes the timeline and a clean residue check, and nothing created, for a grant that created nothing', () => {
    // Prepare
    const r = report({
      timeline: [{ at: 't0', actor: 'dana', event: 'request', detail: 'ticket', source: 'request' }],
      residue: { checked: true, checkedAt: 't1', clean: true, leftovers: [] },
      changeDeltas: [],
    });

    // Act
    const csv = renderAuditCsv(r);

    // Assess
    expect(csv).toBe('kind,at,who,what,detail\r\nrequest,t0,dana,request,ticket\r\nresidue,t1,,nothing remained,\r\n');
  });

  it("joins the leftovers with semicolons, and a change's before and after with an arrow", () => {
    // Prepare
    const r = report({
      timeline: [],
      residue: { checked: true, checkedAt: 't1', clean: false, leftovers: ['roles: jit-g', 'schedules: jit/jit-g'] },
      changeDeltas: [
        {
          instanceId: 'i-1',
          status: 'compared',
          start: { takenAt: 't0', key: 'start' },
          end: { takenAt: 't1', key: 'end' },
          delta: {
            packages: { added: [], removed: [], changed: [{ key: 'openssl', before: '3.0.8-1', after: '3.0.8-2' }] },
            services: NONE,
            users: NONE,
            groups: NONE,
            sudoers: NONE,
            crontabs: NONE,
            listeningPorts: NONE,
            files: NONE,
          },
          changes: 1,
        },
      ],
    });

    // Act
    const csv = renderAuditCsv(r);

    // Assess
    expect(csv).toBe(
      'kind,at,who,what,detail\r\n' +
        'residue,t1,,left behind,roles: jit-g; schedules: jit/jit-g\r\n' +
        'change,,i-1,packages changed: openssl,3.0.8-1 -> 3.0.8-2\r\n',
    );
  });

  it('writes break-glass as yes, and every denier separated by a space, in the review', () => {
    // Prepare
    const row: ReviewRow = {
      grantId: 'g-1',
      vendorId: 'acme',
      requester: 'dana',
      ticket: 'CHG-1',
      status: 'DENIED',
      outcome: 'denied',
      breakGlass: true,
      approvers: [],
      deniedBy: ['bob', 'erin'],
      requestedAt: 't0',
      startAt: 't0',
      accessMinutes: 0,
      residue: 'none',
    };

    // Act
    const lines = renderReviewCsv([row]).split('\r\n');

    // Assess
    expect(lines[1]).toBe('g-1,acme,dana,CHG-1,DENIED,denied,yes,,bob erin,t0,t0,,0,,none');
  });
});
