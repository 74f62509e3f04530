import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { AuditReport } from '../../lambdas/domain/audit-report';
import { renderReviewCsv, renderReviewMarkdown } from '../../lambdas/domain/audit-render';
import {
  digestProblems,
  MANIFEST_FILE,
  parseManifest,
  SIGNATURE_FILE,
  signatureValid,
  type DigestProblem,
  type EvidenceManifest,
} from '../../lambdas/domain/evidence-manifest';
import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import type { CliContext } from './context';
import { badInput, CliError, EXIT } from './errors';

const FORMATS = ['md', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];
const REPORT_FILE: Readonly<Record<Format, string>> = { md: 'report.md', json: 'report.json', csv: 'report.csv' };

interface AuditOptions {
  readonly format?: string;
  readonly out?: string;
  readonly vendor?: string;
  readonly since?: string;
  readonly until?: string;
}

const DESCRIPTION = `a grant's evidence, or an access review (auditors and admins)

  audit <grant-id> [--format md|json|csv] [--out DIR]
    the grant's story from the ledger, the change on each instance, the
    CloudTrail events of its role (event history keeps 90 days) and its
    session transcripts; --out DIR writes the evidence bundle with
    manifest.json (the SHA-256 of every file) and manifest.sig (signed by
    the stack's evidence key), checked before anything is written
  audit --since DATE --until DATE [--vendor V] [--format csv|md|json]
    every grant requested from --since (included) to --until (excluded):
    outcome, approvers, duration
  audit verify DIR [--public-key FILE]
    checks every file against manifest.json, and the signature against
    the stack's evidence key (or a PEM public key, offline)
  audit signing-key
    prints the evidence key's public key (PEM) for verify --public-key`;

/** The bundle's files as bytes, by path, as they are in `dir` now (the manifest and its signature aside). */
function filesIn(dir: string, prefix = ''): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [p, c] of filesIn(dir, relative)) files.set(p, c);
    else if (relative !== MANIFEST_FILE && relative !== SIGNATURE_FILE) {
      files.set(relative, readFileSync(path.join(dir, relative)));
    }
  }
  return files;
}

function problemLines(problems: readonly DigestProblem[]): string[] {
  return problems.map((p) =>
    p.problem === 'altered'
      ? `${p.path}: ALTERED (its SHA-256 is not the signed one)`
      : p.problem === 'missing'
        ? `${p.path}: MISSING (listed in ${MANIFEST_FILE})`
        : `${p.path}: NOT SIGNED (not listed in ${MANIFEST_FILE})`,
  );
}

/** The stack's evidence key (through the API), or the public key a file holds. */
async function trustedKey(
  ctx: CliContext,
  publicKeyFile: string | undefined,
): Promise<{ readonly pem: string; readonly keyArn?: string; readonly from: string }> {
  if (publicKeyFile) {
    if (!existsSync(publicKeyFile)) {
      throw badInput([
        { field: '--public-key', message: `${publicKeyFile} does not exist: give a PEM public key file` },
      ]);
    }
    return { pem: readFileSync(publicKeyFile, 'utf8'), from: publicKeyFile };
  }
  const key = await (await ctx.api()).call('auditSigningKey');
  return { pem: key.publicKeyPem, keyArn: key.signingKeyArn, from: "the stack's evidence key" };
}

interface Verdict {
  readonly valid: boolean;
  readonly signingKeyArn: string;
  readonly checkedAgainst: string;
  readonly files: number;
  readonly problems: readonly string[];
}

/** Checks files, manifest and signature: every problem is named, none stops the others being found. */
function judge(
  manifestText: string,
  signature: Uint8Array,
  present: ReadonlyMap<string, Uint8Array>,
  key: { readonly pem: string; readonly keyArn?: string; readonly from: string },
): Verdict {
  const manifest = parseManifest(manifestText);
  if (typeof manifest === 'string') {
    return { valid: false, signingKeyArn: '', checkedAgainst: key.from, files: 0, problems: [manifest] };
  }
  const problems: string[] = [];
  if (key.keyArn && manifest.signingKeyArn !== key.keyArn) {
    problems.push(
      `${MANIFEST_FILE}: signed by ${manifest.signingKeyArn}, not by the stack's evidence key ${key.keyArn}`,
    );
  }
  if (!signatureValid(manifestText, signature, key.pem)) {
    problems.push(
      `${MANIFEST_FILE}: the signature in ${SIGNATURE_FILE} does not match it (the manifest or the signature was altered)`,
    );
  }
  problems.push(...problemLines(digestProblems(manifest, present)));
  return {
    valid: problems.length === 0,
    signingKeyArn: manifest.signingKeyArn,
    checkedAgainst: key.from,
    files: manifest.files.length,
    problems,
  };
}

/** A valid bundle is reported on stdout; an invalid one is a refusal (exit 1) naming every problem. */
function report(ctx: CliContext, verdict: Verdict, what: string): void {
  if (!verdict.valid) {
    throw new CliError(EXIT.refused, [`${what}: NOT VERIFIED`, ...verdict.problems.map((p) => `  ${p}`)], {
      code: 'NOT_VERIFIED',
      message: verdict.problems.join('; '),
    });
  }
  if (ctx.options.json) ctx.json(verdict);
  else {
    ctx.say(
      `${what}: ${verdict.files} files match the signed manifest; signature valid (${verdict.signingKeyArn}, checked against ${verdict.checkedAgainst})`,
    );
  }
}

type Bundle = ResponseOf<'auditGrant'>;

/** Writes the bundle once its files are shown to match the signature of the stack's key: never a bundle that does not. */
async function writeBundle(ctx: CliContext, bundle: Bundle, dir: string): Promise<void> {
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw badInput([{ field: '--out', message: `${dir} exists and is not an empty directory: give a new one` }]);
  }
  const present = new Map(Object.entries(bundle.files).map(([p, text]) => [p, Buffer.from(text, 'utf8')]));
  const verdict = judge(
    bundle.manifest,
    Buffer.from(bundle.signature, 'base64'),
    present,
    await trustedKey(ctx, undefined),
  );
  if (!verdict.valid) {
    report(ctx, verdict, 'the bundle the API sent');
    return;
  }
  const manifest = parseManifest(bundle.manifest) as EvidenceManifest;
  for (const entry of manifest.files) {
    const target = path.join(dir, ...entry.path.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, bundle.files[entry.path] ?? '', 'utf8');
  }
  writeFileSync(path.join(dir, MANIFEST_FILE), bundle.manifest, 'utf8');
  writeFileSync(path.join(dir, SIGNATURE_FILE), `${bundle.signature}\n`, 'utf8');
  const missing = (JSON.parse(bundle.files['report.json'] ?? '{}') as Partial<AuditReport>).missing ?? [];
  if (ctx.options.json) {
    ctx.json({
      dir,
      files: manifest.files.map((f) => f.path),
      signingKeyArn: manifest.signingKeyArn,
      verified: true,
      missing,
    });
    return;
  }
  ctx.say(
    `evidence bundle of ${manifest.grantId} written to ${dir}: ${manifest.files.length} files, ${MANIFEST_FILE}, ${SIGNATURE_FILE}`,
  );
  ctx.say(
    `signed by ${manifest.signingKeyArn}; verified before writing. Check it again any time: jit-access audit verify ${dir}`,
  );
  for (const line of missing) ctx.say(`missing: ${line}`);
}

function checkedFormat(format: string | undefined, fallback: Format): Format {
  const value = format ?? fallback;
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw badInput([{ field: '--format', message: `"${value}" is not a format: use md, json or csv` }]);
  }
  return value as Format;
}

async function auditGrant(ctx: CliContext, grantId: string, options: AuditOptions): Promise<void> {
  const format = checkedFormat(options.format, 'md');
  const bundle = await (await ctx.api()).call('auditGrant', { params: { grantId } });
  if (options.out) {
    await writeBundle(ctx, bundle, options.out);
    return;
  }
  if (ctx.options.json || format === 'json') {
    ctx.json(JSON.parse(bundle.files['report.json'] ?? '{}'));
    return;
  }
  ctx.io.out(bundle.files[REPORT_FILE[format]] ?? '');
}

async function accessReview(ctx: CliContext, options: AuditOptions): Promise<void> {
  const format = checkedFormat(options.format, 'csv');
  const result = await (
    await ctx.api()
  ).call('auditReview', { query: { vendor: options.vendor, since: options.since, until: options.until } });
  if (ctx.options.json || format === 'json') ctx.json(result);
  else if (format === 'csv') ctx.io.out(renderReviewCsv(result.rows));
  else ctx.io.out(renderReviewMarkdown(result.rows, result));
}

/** `audit`: a grant's signed evidence, an access review, and `audit verify` of a bundle. */
export function registerAudit(program: Command, context: () => CliContext): void {
  const audit = program
    .command('audit')
    .description(DESCRIPTION)
    .argument('[grant-id]', 'the grant to audit')
    .option('--format <format>', 'md, json or csv (default: md for a grant, csv for a review)')
    .option('--out <dir>', 'write the signed evidence bundle to this new directory')
    .option('--vendor <id>', 'access review: only this vendor')
    .option('--since <date>', 'access review: grants requested from this day (UTC, included), e.g. 2026-10-01')
    .option('--until <date>', 'access review: up to this day (UTC, excluded), e.g. 2027-01-01')
    .action(async (grantId: string | undefined, options: AuditOptions) => {
      const ctx = context();
      const review = options.since !== undefined || options.until !== undefined || options.vendor !== undefined;
      if (grantId && review) {
        throw badInput([
          { field: '<grant-id>', message: 'give a grant id or --since/--until (an access review), not both' },
        ]);
      }
      if (!grantId && !review) {
        throw badInput([
          { field: '<grant-id>', message: 'is required: give a grant id, or --since and --until for an access review' },
        ]);
      }
      if (grantId) {
        await auditGrant(ctx, grantId, options);
        return;
      }
      const problems = [];
      if (!options.since)
        problems.push({ field: '--since', message: 'is required for an access review, e.g. 2026-10-01' });
      if (!options.until)
        problems.push({ field: '--until', message: 'is required for an access review, e.g. 2027-01-01' });
      if (options.out) problems.push({ field: '--out', message: 'writes the evidence of one grant: give a grant id' });
      if (problems.length > 0) throw badInput(problems);
      await accessReview(ctx, options);
    });
  audit
    .command('signing-key')
    .description("print the public key (PEM) of the stack's evidence key, for `audit verify --public-key` offline")
    .action(async () => {
      const ctx = context();
      const key = await (await ctx.api()).call('auditSigningKey');
      if (ctx.options.json) ctx.json(key);
      else ctx.io.out(key.publicKeyPem);
    });
  audit
    .command('verify')
    .description(
      "check an evidence bundle: every file against manifest.json, and manifest.sig against the stack's evidence key",
    )
    .argument('<dir>', 'the directory `audit <grant-id> --out` wrote')
    .option(
      '--public-key <file>',
      "check the signature with this PEM public key (offline) instead of asking the stack's API",
    )
    .action(async (dir: string, options: { publicKey?: string }) => {
      const ctx = context();
      const manifestPath = path.join(dir, MANIFEST_FILE);
      const signaturePath = path.join(dir, SIGNATURE_FILE);
      const problems = [manifestPath, signaturePath]
        .filter((file) => !existsSync(file))
        .map((file) => ({
          field: '<dir>',
          message: `${file} is missing: give a directory written by "jit-access audit <grant-id> --out"`,
        }));
      if (problems.length > 0) throw badInput(problems);
      const key = await trustedKey(ctx, options.publicKey);
      const signature = Buffer.from(readFileSync(signaturePath, 'utf8').trim(), 'base64');
      report(ctx, judge(readFileSync(manifestPath, 'utf8'), signature, filesIn(dir), key), dir);
    });
}
