import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AuditReport } from '../../lambdas/domain/audit-report';
import { runCli } from '../../lib/cli/program';
import { PEOPLE } from '../../scripts/local-aws/scenarios';
import { firstTarget, grantThroughWorkflow, localLifecycle } from '../helpers/local-lifecycle';

const [, , carol] = PEOPLE.approvers;

/** One local-mode run makes the bundle; the tamper tests then check copies of it offline with its public key. */
const work = mkdtempSync(path.join(tmpdir(), 'jit-audit-'));
const BUNDLE = path.join(work, 'bundle');
const PUBLIC_KEY = path.join(work, 'evidence-key.pem');
let sessionId = '';

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `jit-access --json audit verify <dir> --public-key <pem>`: offline, no API. */
async function verifyOffline(dir: string): Promise<{ code: number; error?: { code: string; message: string } }> {
  let stdout = '';
  const code = await runCli(['--json', 'audit', 'verify', dir, '--public-key', PUBLIC_KEY], {
    out: (text) => (stdout += text),
    err: () => undefined,
    fetch: () => Promise.reject(new Error('verify --public-key must not call the API')),
    sleep: async () => undefined,
    now: () => new Date(),
  });
  return { code, ...(JSON.parse(stdout) as { error?: { code: string; message: string } }) };
}

/** A copy of the bundle (the tamper tests change copies, never the original). */
function copyOfBundle(name: string): string {
  const to = path.join(work, name);
  const manifest = JSON.parse(readFileSync(path.join(BUNDLE, 'manifest.json'), 'utf8')) as {
    files: { path: string }[];
  };
  for (const file of [...manifest.files.map((f) => f.path), 'manifest.json', 'manifest.sig']) {
    mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    writeFileSync(path.join(to, file), readFileSync(path.join(BUNDLE, file)));
  }
  return to;
}

describe('jit-access audit in local mode', () => {
  const lifecycle = localLifecycle();

  it('writes the signed bundle of a used, expired grant, with the residue proof and the change delta, and it verifies', async () => {
    // Prepare
    const local = await lifecycle.start();
    const active = await grantThroughWorkflow(local);
    await local.advanceBy(5);
    sessionId = await local.vendorStartsSession(active.grantId, firstTarget(active.request));
    await local.vendorTypes(sessionId, ['whoami', 'sudo -l']);
    await local.advanceTo(active.grant.expiresAt ?? local.clock());

    // Act
    const written = await local.cli(carol, ['audit', active.grantId, '--out', BUNDLE]);
    const verified = await local.cli(carol, ['audit', 'verify', BUNDLE]);
    const key = await local.cliOk<{ signingKeyArn: string; publicKeyPem: string }>(carol, ['audit', 'signing-key']);
    writeFileSync(PUBLIC_KEY, key.publicKeyPem);

    // Assess
    expect(written.code).toBe(0);
    expect((written.json as { files: string[] }).files.sort()).toEqual(
      [
        'cloudtrail-events.json',
        'report.csv',
        'report.json',
        'report.md',
        `s3/sessions/${sessionId}.log`,
        `transcripts/${sessionId}.log`,
      ].sort(),
    );
    expect(readFileSync(path.join(BUNDLE, `s3/sessions/${sessionId}.log`), 'utf8')).toBe('whoami\nsudo -l\n');
    const report = JSON.parse(readFileSync(path.join(BUNDLE, 'report.json'), 'utf8')) as AuditReport;
    expect(report.summary).toMatchObject({ status: 'REVOKED', revokeReason: 'expiry' });
    expect(report.residue).toMatchObject({ checked: true, clean: true });
    // The OS-account double took a snapshot before the unlock and after the lock: the delta is there, with its keys.
    expect(report.changeDeltas).toEqual([
      expect.objectContaining({
        status: 'compared',
        start: expect.objectContaining({ key: expect.stringMatching(/^change-snapshots\/.+\/start\//) }),
        end: expect.objectContaining({ key: expect.stringMatching(/^change-snapshots\/.+\/end\//) }),
      }),
    ]);
    expect(report.missing.filter((m) => m.startsWith('change delta'))).toEqual([]);
    expect(report.cloudTrail.events.map((e) => e.eventName)).toEqual(['AssumeRole', 'StartSession']);
    expect(report.sessions[0]?.objects[0]).toMatchObject({ lockMode: 'COMPLIANCE' });
    expect(verified.code).toBe(0);
    expect(verified.json).toMatchObject({ valid: true, signingKeyArn: local.world.audit.evidenceKeyArn });
    expect(key.signingKeyArn).toBe(local.world.audit.evidenceKeyArn);
  });

  it('verify passes offline with the public key, and names a transcript changed by one character', async () => {
    // Prepare
    const altered = copyOfBundle('altered');
    const file = path.join(altered, `transcripts/${sessionId}.log`);
    writeFileSync(file, readFileSync(file, 'utf8').replace('sudo', 'sudO'));

    // Act
    const original = await verifyOffline(BUNDLE);
    const result = await verifyOffline(altered);

    // Assess
    expect(original.code).toBe(0);
    expect(result.code).toBe(1);
    expect(result.error).toEqual({
      code: 'NOT_VERIFIED',
      message: `transcripts/${sessionId}.log: ALTERED (its SHA-256 is not the signed one)`,
    });
  });

  it('verify names a removed file and an added one', async () => {
    // Prepare
    const pruned = copyOfBundle('pruned');
    unlinkSync(path.join(pruned, 'cloudtrail-events.json'));
    writeFileSync(path.join(pruned, 'notes.txt'), 'nothing to see');

    // Act
    const result = await verifyOffline(pruned);

    // Assess
    expect(result.code).toBe(1);
    expect(result.error?.message).toBe(
      'cloudtrail-events.json: MISSING (listed in manifest.json); notes.txt: NOT SIGNED (not listed in manifest.json)',
    );
  });

  it('verify fails when the manifest is edited to match an edited file', async () => {
    // Prepare
    const forged = copyOfBundle('forged');
    appendFileSync(path.join(forged, 'report.md'), '\nall fine\n');
    const manifestFile = path.join(forged, 'manifest.json');
    writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace('"version": 1', '"version": 1 '));

    // Act
    const result = await verifyOffline(forged);

    // Assess
    expect(result.code).toBe(1);
    expect(result.error?.message).toMatch(/^manifest\.json: the signature in manifest\.sig does not match it/);
    expect(result.error?.message).toContain('report.md: ALTERED');
  });
});
