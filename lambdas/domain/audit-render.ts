/** The audit report as a person reads it (Markdown) and as a spreadsheet takes it (CSV). Pure text, no I/O. */
import type { AuditReport, ReviewRow } from './audit-report';
import { changeRows } from './change-delta';

/** A table cell: one line, pipes escaped, so free text (a ticket, a comment) cannot break the table. */
function cell(text: string | number | undefined): string {
  return String(text ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

/** A fence longer than any run of backticks in the text, so a transcript line cannot close the block. */
function fenced(lines: readonly string[]): string[] {
  const longest = Math.max(2, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, ...lines, fence];
}

/** The Markdown report: summary, timeline, votes, what was created, residue, change, CloudTrail, sessions, gaps. */
export function renderAuditMarkdown(
  report: AuditReport,
  transcripts: Readonly<Record<string, readonly string[]>> = {},
): string {
  const s = report.summary;
  const out: string[] = [
    `# Audit of grant ${report.grantId}`,
    '',
    `Generated ${report.generatedAt} for ${report.generatedBy.person} (\`${report.generatedBy.arn}\`) from the ledger, CloudTrail and the session recordings.`,
    '',
    ...table(
      ['', ''],
      [
        ['vendor', s.vendorId],
        ['requester', `${s.requester.person} (${s.requester.arn})`],
        ['ticket', JSON.stringify(s.ticket)],
        ['reason', JSON.stringify(s.reason)],
        ['targets', s.targets.join(', ')],
        ['ports', s.ports.length > 0 ? s.ports.join(', ') : 'none'],
        ['duration asked', `${s.durationMinutes} min`],
        ['window', `${s.window.startAt} to ${s.window.expiresAt}`],
        ['outcome', `${s.outcome} (${s.status}${s.revokeReason ? `, ${s.revokeReason}` : ''})`],
        [
          'access',
          s.accessMinutes === undefined
            ? 'never granted'
            : `${s.accessMinutes} min${s.endedAt ? `, ended ${s.endedAt}` : ''}`,
        ],
        ['break-glass', s.breakGlass ? `yes, review ${s.breakGlassReview ?? 'PENDING'}` : 'no'],
        ...(s.extends ? [['extends', s.extends]] : []),
        ['role', s.roleName],
        ['plan hash', s.planHash],
      ],
    ),
    '',
    '## Timeline',
    '',
    ...table(
      ['time (UTC)', 'who', 'what', 'detail'],
      report.timeline.map((t) => [t.at, t.actor, t.event, t.detail]),
    ),
    '',
    '## Votes',
    '',
    ...(report.votes.length === 0
      ? ['No votes.']
      : table(
          ['time (UTC)', 'person', 'signed as', 'decision', 'plan hash', 'comment'],
          report.votes.map((v) => [
            v.at,
            v.person,
            v.arn,
            v.decision,
            v.planHash,
            v.comment ? JSON.stringify(v.comment) : '',
          ]),
        )),
    '',
    '## What the grant created',
    '',
  ];
  const c = report.created;
  if (!c.roleArn && !c.securityGroupRuleIds?.length && !c.scheduleArn) out.push('Nothing.');
  if (c.roleArn) out.push(`- role \`${c.roleArn}\`, inline policy \`${c.inlinePolicyName ?? '?'}\``);
  if (c.securityGroupRuleIds?.length)
    out.push(`- ingress rules ${c.securityGroupRuleIds.map((r) => `\`${r}\``).join(', ')}`);
  if (c.scheduleArn) out.push(`- expiry schedule \`${c.scheduleArn}\``);
  if (report.osAccount.length > 0) {
    out.push(
      '',
      ...table(
        ['instance', 'OS user action', 'status', 'at', 'command'],
        report.osAccount.map((o) => [o.instanceId, o.action, o.status, o.at, o.commandId]),
      ),
    );
  }
  out.push('', '## Residue check', '');
  const r = report.residue;
  if (r.checked) {
    out.push(r.clean ? `Checked ${r.checkedAt}: nothing remained.` : `Checked ${r.checkedAt}: LEFT BEHIND:`);
    for (const leftover of r.leftovers) out.push(`- ${leftover}`);
  } else {
    out.push(`Not checked: ${r.why}.`);
  }
  out.push('', '## Change on each instance', '');
  if (report.changeDeltas.length === 0) out.push('No instance was reached.');
  for (const delta of report.changeDeltas) {
    if (delta.status === 'incomplete') {
      out.push(`- \`${delta.instanceId}\`: ${delta.missing}`);
    } else if (delta.changes === 0) {
      out.push(`- \`${delta.instanceId}\`: no change between the snapshots at grant and at revoke`);
    } else {
      out.push(`- \`${delta.instanceId}\`:`, '');
      out.push(
        ...table(
          ['category', 'change', 'item', 'before', 'after'],
          changeRows(delta.delta).map((ch) => [ch.category, ch.change, ch.item, ch.before, ch.after]),
        ),
        '',
      );
    }
  }
  const ct = report.cloudTrail;
  out.push(
    '',
    '## What the grant role did in AWS (CloudTrail)',
    '',
    `Events of the role \`${s.roleName}\` from ${ct.from} to ${ct.to}, from CloudTrail's event history, which keeps ${ct.historyDays} days.`,
    '',
  );
  if (ct.note) out.push(`**${ct.note}.**`);
  else if (ct.events.length === 0) out.push('No events.');
  else
    out.push(
      ...table(
        ['time (UTC)', 'call', 'principal', 'source IP', 'error', 'event id'],
        ct.events.map((e) => [
          e.eventTime,
          `${e.eventSource.replace(/\.amazonaws\.com$/, '')}:${e.eventName}`,
          e.principal,
          e.sourceIp,
          e.errorCode ?? '',
          e.eventId,
        ]),
      ),
    );
  out.push('', '## Session transcripts', '');
  if (report.sessions.length === 0) out.push('No session of the grant role was found.');
  for (const session of report.sessions) {
    out.push(`### ${session.sessionId}`, '');
    out.push(`- ${session.target ? `on \`${session.target}\`, ` : ''}by \`${session.owner ?? 'unknown'}\``);
    out.push(
      `- CloudWatch Logs: \`${session.logGroupName}\`, stream \`${session.logStream}\`: ${session.lines} line(s)${session.transcriptFile ? ` (\`${session.transcriptFile}\`)` : ''}`,
    );
    for (const object of session.objects) {
      out.push(
        `- S3: \`${object.key}\`${object.versionId ? ` version \`${object.versionId}\`` : ''}, ${object.bytes} bytes, Object Lock ${object.lockMode ?? 'none'}${object.retainUntil ? ` until ${object.retainUntil}` : ''}`,
      );
    }
    const lines = transcripts[session.sessionId];
    if (lines && lines.length > 0) out.push('', ...fenced(lines));
    out.push('');
  }
  out.push('## Missing pieces', '');
  if (report.missing.length === 0) out.push('None: every piece of evidence was found.');
  for (const missing of report.missing) out.push(`- ${missing}`);
  return `${out.join('\n')}\n`;
}

/** A CSV field: quoted when needed, and a leading = + - @ neutralized so a spreadsheet never runs it as a formula. */
export function csvField(value: string | number | boolean | undefined): string {
  let text = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(header: readonly string[], rows: readonly (readonly (string | number | boolean | undefined)[])[]): string {
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** One grant's audit as rows: the timeline, what was created, residue, change delta, CloudTrail, sessions, gaps. */
export function renderAuditCsv(report: AuditReport): string {
  const rows: (string | number | undefined)[][] = [];
  for (const t of report.timeline) rows.push([t.source, t.at, t.actor, t.event, t.detail]);
  const c = report.created;
  if (c.roleArn) rows.push(['created', undefined, undefined, 'role', c.roleArn]);
  for (const rule of c.securityGroupRuleIds ?? []) rows.push(['created', undefined, undefined, 'ingress rule', rule]);
  if (c.scheduleArn) rows.push(['created', undefined, undefined, 'schedule', c.scheduleArn]);
  const r = report.residue;
  rows.push(
    r.checked
      ? ['residue', r.checkedAt, undefined, r.clean ? 'nothing remained' : 'left behind', r.leftovers.join('; ')]
      : ['residue', undefined, undefined, 'not checked', r.why],
  );
  for (const d of report.changeDeltas) {
    if (d.status === 'incomplete') rows.push(['change', undefined, d.instanceId, 'missing', d.missing]);
    else
      for (const ch of changeRows(d.delta))
        rows.push([
          'change',
          undefined,
          d.instanceId,
          `${ch.category} ${ch.change}: ${ch.item}`,
          [ch.before, ch.after].filter(Boolean).join(' -> '),
        ]);
  }
  for (const s of report.sessions) {
    rows.push([
      'transcript',
      s.firstLineAt,
      s.owner,
      `${s.logGroupName}/${s.logStream}: ${s.lines} line(s)`,
      s.sessionId,
    ]);
    for (const o of s.objects)
      rows.push([
        'transcript',
        o.lastModified,
        s.owner,
        `s3 ${o.key}`,
        `lock ${o.lockMode ?? 'none'} until ${o.retainUntil ?? '-'}`,
      ]);
  }
  for (const m of report.missing) rows.push(['missing', undefined, undefined, m, undefined]);
  return csv(['kind', 'at', 'who', 'what', 'detail'], rows);
}

export const REVIEW_COLUMNS = [
  'grantId',
  'vendor',
  'requester',
  'ticket',
  'status',
  'outcome',
  'breakGlass',
  'approvers',
  'deniedBy',
  'requestedAt',
  'startAt',
  'endedAt',
  'accessMinutes',
  'revokeReason',
  'residue',
] as const;

/** The access review: one row per grant, for a spreadsheet. */
export function renderReviewCsv(rows: readonly ReviewRow[]): string {
  return csv(
    REVIEW_COLUMNS,
    rows.map((r) => [
      r.grantId,
      r.vendorId,
      r.requester,
      r.ticket,
      r.status,
      r.outcome,
      r.breakGlass ? 'yes' : 'no',
      r.approvers.join(' '),
      r.deniedBy.join(' '),
      r.requestedAt,
      r.startAt,
      r.endedAt,
      r.accessMinutes,
      r.revokeReason,
      r.residue,
    ]),
  );
}

/** The access review as a Markdown table. */
export function renderReviewMarkdown(
  rows: readonly ReviewRow[],
  range: { readonly since: string; readonly until: string; readonly vendor?: string },
): string {
  return `${[
    `# Access review${range.vendor ? ` of ${range.vendor}` : ''}: ${range.since} to ${range.until}`,
    '',
    rows.length === 0
      ? 'No grant was requested in this range.'
      : table(
          ['grant', 'vendor', 'requester', 'ticket', 'outcome', 'break-glass', 'approvers', 'access (min)', 'residue'],
          rows.map((r) => [
            r.grantId,
            r.vendorId,
            r.requester,
            r.ticket,
            r.outcome,
            r.breakGlass ? 'yes' : 'no',
            r.approvers.join(', ') || '-',
            r.accessMinutes,
            r.residue,
          ]),
        ).join('\n'),
  ].join('\n')}\n`;
}
