import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AuditReport } from '../../lambdas/domain/audit-report';
import { renderAuditMarkdown } from '../../lambdas/domain/audit-render';
import { runCli } from '../../lib/cli/program';

const DOCS = path.resolve(__dirname, '..', '..', 'docs');
const BUNDLE = path.join(DOCS, 'audit-example');

/** What the bundle's transcripts hold, by session id, line by line, as the report renders them. */
function transcripts(): Record<string, string[]> {
  const dir = path.join(BUNDLE, 'transcripts');
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir).map((file) => [
      file.replace(/\.log$/, ''),
      readFileSync(path.join(dir, file), 'utf8').replace(/\n$/, '').split('\n'),
    ]),
  );
}

describe('docs/AUDIT-EXAMPLE.md (made by `npx tsx scripts/audit-example.ts` from a local-mode run)', () => {
  it('is the report.md of the example bundle', () => {
    // Act & Assess
    expect(readFileSync(path.join(DOCS, 'AUDIT-EXAMPLE.md'), 'utf8')).toBe(
      readFileSync(path.join(BUNDLE, 'report.md'), 'utf8'),
    );
  });

  it("is what the code renders from the bundle's report.json and transcripts today", () => {
    // Prepare
    const report = JSON.parse(readFileSync(path.join(BUNDLE, 'report.json'), 'utf8')) as AuditReport;

    // Act
    const rendered = renderAuditMarkdown(report, transcripts());

    // Assess
    expect(readFileSync(path.join(DOCS, 'AUDIT-EXAMPLE.md'), 'utf8')).toBe(rendered);
  });

  it('verifies offline against the public key of the evidence key that signed it', async () => {
    // Prepare
    let stdout = '';

    // Act
    const code = await runCli(
      ['--json', 'audit', 'verify', BUNDLE, '--public-key', path.join(DOCS, 'audit-example.pem')],
      {
        out: (text) => (stdout += text),
        err: () => undefined,
        fetch: () => Promise.reject(new Error('no API here')),
        sleep: async () => undefined,
        now: () => new Date(),
      },
    );

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, problems: [] });
  });
});
