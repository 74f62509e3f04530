import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AuditReport } from '../../lambdas/domain/audit-report';
import { NO_SNAPSHOT } from '../../lambdas/domain/change-delta';
import type { CliRun, LocalJitAccess } from '../../scripts/local-aws/local-jit-access';
import { PEOPLE } from '../../scripts/local-aws/scenarios';
import { firstTarget, grantThroughWorkflow, localLifecycle } from '../helpers/local-lifecycle';

const [, , carol] = PEOPLE.approvers;

/** The error a refused command printed under --json. */
function errorOf(run: CliRun): { code?: string; message?: string } | undefined {
  return (run.json as { error?: { code?: string; message?: string } } | undefined)?.error;
}

describe('jit-access audit in local mode: the signed evidence bundle of a grant', () => {
  const lifecycle = localLifecycle();
  let local: LocalJitAccess;
  let dir: string;
  let grantId: string;
  let sessionId: string;
  let written: CliRun;

  beforeAll(async () => {
    // A grant the vendor used and that expired, audited once into a bundle every test below reads or tampers with.
    local = await lifecycle.start();
    const active = await grantThroughWorkflow(local);
    grantId = active.grantId;
    await local.advanceBy(5);
    sessionId = await local.vendorStartsSession(grantId, firstTarget(active.request));
    await local.vendorTypes(sessionId, ['whoami', 'sudo -l']);
    await local.advanceTo(active.grant.expiresAt ?? local.clock());
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'jit-audit-')), 'bundle');
    written = await local.cli(carol, ['audit', grantId, '--out', dir]);
  });

  afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('writes the bundle: reports, CloudTrail events, transcripts from CloudWatch and S3, manifest and signature', () => {
    // Assess
    expect(written.code).toBe(0);
    expect(written.json).toMatchObject({ verified: true, signingKeyArn: local.world.audit.evidenceKeyArn });
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
    expect(readFileSync(path.join(dir, `s3/sessions/${sessionId}.log`), 'utf8')).toBe('whoami\nsudo -l\n');
  });

  it('holds the residue proof, the change delta of each instance and the object lock of the transcript', () => {
    // Act
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as AuditReport;

    // Assess
    expect(report.summary).toMatchObject({ status: 'REVOKED', revokeReason: 'expiry' });
    expect(report.residue).toMatchObject({ checked: true, clean: true });
    expect(report.changeDeltas).toEqual([expect.objectContaining({ status: 'missing', missing: NO_SNAPSHOT })]);
    expect(report.cloudTrail.events.map((e) => e.eventName)).toEqual(['AssumeRole', 'StartSession']);
    expect(report.sessions[0]).toMatchObject({ sessionId, lines: 2 });
    expect(report.sessions[0]?.objects[0]).toMatchObject({ lockMode: 'COMPLIANCE' });
    expect(report.sessions[0]?.objects[0]?.retainUntil).toBeDefined();
  });

  it('verifies: every digest matches and the signature is the stack key’s (KMS in moto)', async () => {
    // Act
    const run = await local.cli(carol, ['audit', 'verify', dir]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ valid: true, signingKeyArn: local.world.audit.evidenceKeyArn, problems: [] });
  });

  it('names a transcript changed by one character, and fails', async () => {
    // Prepare
    const copy = `${dir}-altered`;
    writeBundleCopy(dir, copy);
    const file = path.join(copy, `transcripts/${sessionId}.log`);
    writeFileSync(file, readFileSync(file, 'utf8').replace('sudo', 'sudO'));

    // Act
    const run = await local.cli(carol, ['audit', 'verify', copy]);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)).toMatchObject({ code: 'NOT_VERIFIED' });
    expect(errorOf(run)?.message).toBe(`transcripts/${sessionId}.log: ALTERED (its SHA-256 is not the signed one)`);
  });

  it('names a removed file and an added one', async () => {
    // Prepare
    const copy = `${dir}-pruned`;
    writeBundleCopy(dir, copy);
    unlinkSync(path.join(copy, 'cloudtrail-events.json'));
    writeFileSync(path.join(copy, 'notes.txt'), 'nothing to see');

    // Act
    const run = await local.cli(carol, ['audit', 'verify', copy]);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)?.message).toBe(
      'cloudtrail-events.json: MISSING (listed in manifest.json); notes.txt: NOT SIGNED (not listed in manifest.json)',
    );
  });

  it('fails when the manifest itself is edited to match an edited file', async () => {
    // Prepare
    const copy = `${dir}-forged`;
    writeBundleCopy(dir, copy);
    appendFileSync(path.join(copy, 'report.md'), '\nall fine\n');
    const manifestFile = path.join(copy, 'manifest.json');
    writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace('"version": 1', '"version": 1 '));

    // Act
    const run = await local.cli(carol, ['audit', 'verify', copy]);

    // Assess
    expect(run.code).toBe(1);
    expect(errorOf(run)?.message).toMatch(/^manifest\.json: the signature in manifest\.sig does not match it/);
    expect(errorOf(run)?.message).toContain('report.md: ALTERED');
  });
});

/** A copy of the bundle's files (the test tampers with copies, never with the original). */
function writeBundleCopy(from: string, to: string): void {
  const manifest = JSON.parse(readFileSync(path.join(from, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
  for (const name of [...manifest.files.map((f) => f.path), 'manifest.json', 'manifest.sig']) {
    const target = path.join(to, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, readFileSync(path.join(from, name)));
  }
}
