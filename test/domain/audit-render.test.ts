import type { CategoryDelta } from '../../lambdas/domain/change-delta';
import { csvField, renderAuditMarkdown, renderReviewCsv } from '../../lambdas/domain/audit-render';
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
