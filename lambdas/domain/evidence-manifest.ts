import { createHash, createPublicKey, verify } from 'node:crypto';

/** The signing algorithm of the stack's evidence key (KMS `ECC_NIST_P256`, `SIGN_VERIFY`). */
export const EVIDENCE_SIGNING_ALGORITHM = 'ECDSA_SHA_256';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

export interface ManifestEntry {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** What the audit function signs: the digest of every file of the bundle, computed from the evidence it read. */
export interface EvidenceManifest {
  readonly version: 1;
  readonly grantId: string;
  readonly generatedAt: string;
  /** The person whose signed API call asked for the bundle. */
  readonly generatedBy: { readonly person: string; readonly arn: string };
  readonly signingKeyArn: string;
  readonly signingAlgorithm: typeof EVIDENCE_SIGNING_ALGORITHM;
  readonly files: readonly ManifestEntry[];
}

export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A bundle file's path: relative, forward slashes, no `..`, so a bundle never writes outside its directory. */
export function isSafeBundlePath(path: string): boolean {
  return (
    /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(path) &&
    !path.split('/').some((part) => part === '..' || part === '.') &&
    path !== MANIFEST_FILE &&
    path !== SIGNATURE_FILE
  );
}

/** The manifest of these files (path → UTF-8 content), as the text that is signed and written. */
export function manifestOf(
  files: Readonly<Record<string, string>>,
  meta: Omit<EvidenceManifest, 'version' | 'files' | 'signingAlgorithm'>,
): string {
  const entries = Object.keys(files)
    .sort()
    .map((path) => {
      if (!isSafeBundlePath(path)) throw new Error(`bundle file name "${path}" is not a plain relative path`);
      const bytes = Buffer.from(files[path] as string);
      return { path, sha256: sha256Hex(bytes), bytes: bytes.length };
    });
  const manifest: EvidenceManifest = {
    version: 1,
    ...meta,
    signingAlgorithm: EVIDENCE_SIGNING_ALGORITHM,
    files: entries,
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The manifest's text parsed, or a message saying why it is not one. */
export function parseManifest(text: string): EvidenceManifest | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `${MANIFEST_FILE} is not JSON`;
  }
  const m = parsed as Partial<EvidenceManifest> | null;
  const filesOk =
    Array.isArray(m?.files) &&
    m.files.every(
      (f: Partial<ManifestEntry>) =>
        typeof f.path === 'string' && isSafeBundlePath(f.path) && /^[0-9a-f]{64}$/.test(String(f.sha256)),
    );
  if (!m || m.version !== 1 || typeof m.signingKeyArn !== 'string' || typeof m.grantId !== 'string' || !filesOk) {
    return `${MANIFEST_FILE} is not a jit-access evidence manifest (version 1, grantId, signingKeyArn, files)`;
  }
  return m as EvidenceManifest;
}

/** One file that does not match the signed manifest. */
export interface DigestProblem {
  readonly path: string;
  readonly problem: 'missing' | 'altered' | 'not in the manifest';
}

/**
 * Compares the files present (path → bytes) with the manifest: every listed file must be there with its digest, and
 * no other file may be (an added file is evidence nobody signed).
 */
export function digestProblems(manifest: EvidenceManifest, present: ReadonlyMap<string, Uint8Array>): DigestProblem[] {
  const problems: DigestProblem[] = [];
  const listed = new Set<string>();
  for (const entry of manifest.files) {
    listed.add(entry.path);
    const content = present.get(entry.path);
    if (content === undefined) problems.push({ path: entry.path, problem: 'missing' });
    else if (sha256Hex(content) !== entry.sha256) problems.push({ path: entry.path, problem: 'altered' });
  }
  for (const path of [...present.keys()].sort()) {
    if (!listed.has(path)) problems.push({ path, problem: 'not in the manifest' });
  }
  return problems;
}

/**
 * What the key signs for a manifest: one short line naming the manifest's SHA-256. It stays within KMS's 4 KB for a
 * raw message however many files the bundle holds, and binds every byte of the manifest.
 */
export function signedStatementOf(manifestText: string): string {
  return `jit-access evidence manifest v1 sha256:${sha256Hex(manifestText)}`;
}

/**
 * Whether `signature` (DER, as KMS returns it for ECDSA_SHA_256) is the key's signature of the manifest's signed
 * statement (`signedStatementOf`).
 */
export function signatureValid(manifestText: string, signature: Uint8Array, publicKeyPem: string): boolean {
  try {
    const statement = Buffer.from(signedStatementOf(manifestText));
    return verify('sha256', statement, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}

/** The PEM text of a DER `SubjectPublicKeyInfo` (what KMS GetPublicKey returns). */
export function publicKeyPemOf(der: Uint8Array): string {
  return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    .export({ format: 'pem', type: 'spki' })
    .toString();
}
