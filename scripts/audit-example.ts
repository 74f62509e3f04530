/**
 * Writes docs/AUDIT-EXAMPLE.md and the bundle it comes from (docs/audit-example/, with the evidence key's public key
 * in docs/audit-example.pem) from a local-mode run of the demo's approve scenario: dana requests, alice and bob
 * approve, the vendor types in a session, the grant expires; carol (an auditor) runs
 * `jit-access audit <grant-id> --out docs/audit-example`. test/docs/audit-example.test.ts checks the example is what
 * the code renders and that the bundle verifies. Run again after changing the report: `npx tsx scripts/audit-example.ts`.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startMoto } from './local-aws/local-aws';
import { LocalJitAccess } from './local-aws/local-jit-access';
import { createLocalWorld } from './local-aws/local-world';
import { approveScenario, PEOPLE } from './local-aws/scenarios';
import { synthesizeStack } from './local-aws/synthesized-stack';

const DOCS = path.resolve(__dirname, '..', 'docs');
const BUNDLE = path.join(DOCS, 'audit-example');
const progress = (line: string) => process.stderr.write(`[audit-example] ${line}\n`);

/** Yesterday 08:00 UTC, as the demo: CloudWatch keeps the transcript's own times within 14 days. */
function start(): Date {
  const at = new Date(Date.now() - 24 * 3_600_000);
  at.setUTCHours(8, 0, 0, 0);
  return at;
}

async function main(): Promise<void> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'jit-access-cdk-out-'));
  try {
    progress('synthesizing the stack');
    const stack = synthesizeStack(outdir);
    const moto = await startMoto({ log: progress });
    let local: LocalJitAccess | undefined;
    try {
      local = new LocalJitAccess(await createLocalWorld(moto.endpoint, stack, progress), moto.endpoint, start());
      progress('running the approve scenario');
      const { grantId } = await approveScenario(local);
      const auditor = PEOPLE.approvers[2];
      rmSync(BUNDLE, { recursive: true, force: true });
      progress(`${auditor} audits ${grantId} into ${path.relative(process.cwd(), BUNDLE)}`);
      await local.cliOk(auditor, ['audit', grantId, '--out', BUNDLE]);
      const key = await local.cliOk<{ publicKeyPem: string }>(auditor, ['audit', 'signing-key']);
      writeFileSync(path.join(DOCS, 'audit-example.pem'), key.publicKeyPem);
      copyFileSync(path.join(BUNDLE, 'report.md'), path.join(DOCS, 'AUDIT-EXAMPLE.md'));
    } finally {
      await local?.dispose();
      await moto.stop();
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`audit-example failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
