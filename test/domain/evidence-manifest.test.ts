import { generateKeyPairSync, sign } from 'node:crypto';
import {
  digestProblems,
  isSafeBundlePath,
  manifestOf,
  parseManifest,
  publicKeyPemOf,
  sha256Hex,
  signatureValid,
  signedStatementOf,
  type EvidenceManifest,
} from '../../lambdas/domain/evidence-manifest';

const FILES = { 'report.md': '# Audit\n', 'transcripts/s-1.log': 'whoami\n' };
const META = {
  grantId: 'g-0123456789ab',
  generatedAt: '2030-03-01T10:00:00.000Z',
  generatedBy: { person: 'carol', arn: 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/carol' },
  signingKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k',
};

const bytesOf = (files: Readonly<Record<string, string>>) =>
  new Map(Object.entries(files).map(([p, t]) => [p, Buffer.from(t, 'utf8')]));

const NOT_A_MANIFEST = 'manifest.json is not a jit-access evidence manifest (version 1, grantId, signingKeyArn, files)';
const DIGEST = sha256Hex('# Audit\n');

/** The text of a valid manifest of FILES with `overrides` written over its top-level fields. */
function manifestTextWith(overrides: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(manifestOf(FILES, META)) as object), ...overrides });
}

/** The text of a valid manifest of FILES whose file list is `files`. */
function manifestTextListing(...files: readonly unknown[]): string {
  return manifestTextWith({ files });
}

describe('the evidence manifest', () => {
  it('lists every file with its SHA-256 and size, sorted by path', () => {
    // Act
    const manifest = parseManifest(manifestOf(FILES, META)) as EvidenceManifest;

    // Assess
    expect(manifest.files).toEqual([
      { path: 'report.md', sha256: sha256Hex('# Audit\n'), bytes: 8 },
      { path: 'transcripts/s-1.log', sha256: sha256Hex('whoami\n'), bytes: 7 },
    ]);
    expect(manifest).toMatchObject({ version: 1, signingAlgorithm: 'ECDSA_SHA_256', ...META });
  });

  it('finds no problem when the files are those listed', () => {
    // Prepare
    const manifest = parseManifest(manifestOf(FILES, META)) as EvidenceManifest;

    // Act & Assess
    expect(digestProblems(manifest, bytesOf(FILES))).toEqual([]);
  });

  it('names an altered file, a missing one and one nobody signed', () => {
    // Prepare
    const manifest = parseManifest(manifestOf(FILES, META)) as EvidenceManifest;
    const present = bytesOf({ 'report.md': '# Audit, edited\n', 'extra.txt': 'planted' });

    // Act & Assess
    expect(digestProblems(manifest, present)).toEqual([
      { path: 'report.md', problem: 'altered' },
      { path: 'transcripts/s-1.log', problem: 'missing' },
      { path: 'extra.txt', problem: 'not in the manifest' },
    ]);
  });

  it.each(['../etc/passwd', '/abs', 'a/../b', 'manifest.json', 'a//b', ''])('refuses "%s" as a bundle path', (p) => {
    // Act & Assess
    expect(isSafeBundlePath(p)).toBe(false);
  });

  it('refuses text that is not a manifest, saying what it lacks', () => {
    // Act & Assess
    expect(parseManifest('{"version":2}')).toMatch(/not a jit-access evidence manifest/);
    expect(parseManifest('not json')).toBe('manifest.json is not JSON');
  });

  it('sorts the files by path whatever order they were given in', () => {
    // Prepare
    const files = { 'z.log': 'z', 'a.log': 'a', 'm/b.log': 'b' };

    // Act
    const manifest = parseManifest(manifestOf(files, META)) as EvidenceManifest;

    // Assess
    expect(manifest.files.map((f) => f.path)).toEqual(['a.log', 'm/b.log', 'z.log']);
  });

  it('counts and digests file content as UTF-8 bytes', () => {
    // Act
    const manifest = parseManifest(manifestOf({ 'note.txt': 'Grüße ✓\n' }, META)) as EvidenceManifest;

    // Assess
    expect(manifest.files).toEqual([
      { path: 'note.txt', sha256: 'e79611333cdf0d773bc61e5a989737df70f6222cb84318a97f101264259430f4', bytes: 12 },
    ]);
  });

  it('refuses to list a file whose name is not a plain relative path', () => {
    // Act & Assess
    expect(() => manifestOf({ 'report.md': 'ok', '../escape.sh': 'rm -rf /' }, META)).toThrow(
      new Error('bundle file name "../escape.sh" is not a plain relative path'),
    );
  });

  it.each(['.', 'a/./b', 'manifest.sig'])('refuses the dot segment or reserved name "%s" as a bundle path', (p) => {
    // Act & Assess
    expect(isSafeBundlePath(p)).toBe(false);
  });

  it.each(['report.md', 'transcripts/s-1.log', 'a/b_c/d.e-f', '..hidden'])('accepts "%s" as a bundle path', (p) => {
    // Act & Assess
    expect(isSafeBundlePath(p)).toBe(true);
  });

  it('parses a manifest it wrote back to the same value', () => {
    // Prepare
    const text = manifestOf(FILES, META);

    // Act
    const manifest = parseManifest(text);

    // Assess
    expect(manifest).toEqual(JSON.parse(text));
  });

  it.each<[string, string]>([
    ['JSON null', 'null'],
    ['a JSON string', '"manifest"'],
    ['another version', manifestTextWith({ version: 2 })],
    ['the version as text', manifestTextWith({ version: '1' })],
    ['no signing key', manifestTextWith({ signingKeyArn: undefined })],
    ['a signing key that is not text', manifestTextWith({ signingKeyArn: 7 })],
    ['no grant id', manifestTextWith({ grantId: undefined })],
    ['a grant id that is not text', manifestTextWith({ grantId: ['g-1'] })],
    ['no file list', manifestTextWith({ files: undefined })],
    ['a file list that is not a list', manifestTextWith({ files: 'report.md' })],
    ['a file whose path is not text', manifestTextListing({ path: 5, sha256: DIGEST, bytes: 8 })],
    ['a file without a path', manifestTextListing({ sha256: DIGEST, bytes: 8 })],
    ['a file whose path leaves the bundle', manifestTextListing({ path: '../report.md', sha256: DIGEST, bytes: 8 })],
    ['a file named like the manifest', manifestTextListing({ path: 'manifest.json', sha256: DIGEST, bytes: 8 })],
    ['a file without a digest', manifestTextListing({ path: 'report.md', bytes: 8 })],
    ['a digest in upper case', manifestTextListing({ path: 'report.md', sha256: DIGEST.toUpperCase(), bytes: 8 })],
    ['a digest one digit short', manifestTextListing({ path: 'report.md', sha256: DIGEST.slice(1), bytes: 8 })],
    ['a digest with a suffix', manifestTextListing({ path: 'report.md', sha256: `${DIGEST}0`, bytes: 8 })],
    ['a digest with a prefix', manifestTextListing({ path: 'report.md', sha256: `0${DIGEST}`, bytes: 8 })],
    [
      'one good file and one bad',
      manifestTextListing(
        { path: 'report.md', sha256: DIGEST, bytes: 8 },
        { path: 'transcripts/s-1.log', sha256: 'not-a-digest', bytes: 7 },
      ),
    ],
  ])('refuses a manifest with %s, saying what a manifest holds', (_case, text) => {
    // Act & Assess
    expect(parseManifest(text)).toBe(NOT_A_MANIFEST);
  });

  it('accepts a manifest with an empty file list', () => {
    // Prepare
    const text = manifestTextListing();

    // Act
    const manifest = parseManifest(text);

    // Assess
    expect(manifest).toEqual(JSON.parse(text));
  });

  it('names the files nobody signed in path order', () => {
    // Prepare
    const manifest = parseManifest(manifestOf(FILES, META)) as EvidenceManifest;
    const present = bytesOf({ ...FILES, 'z-planted.txt': 'z', 'a-planted.txt': 'a', 'm/planted.txt': 'm' });

    // Act & Assess
    expect(digestProblems(manifest, present)).toEqual([
      { path: 'a-planted.txt', problem: 'not in the manifest' },
      { path: 'm/planted.txt', problem: 'not in the manifest' },
      { path: 'z-planted.txt', problem: 'not in the manifest' },
    ]);
  });
});

describe('the manifest signature (ECDSA P-256 with SHA-256, as KMS signs)', () => {
  it("signs one line naming the SHA-256 of the manifest, within KMS's 4 KB raw message however large it is", () => {
    // Prepare
    const large = manifestOf(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}.log`, `${i}`])), META);

    // Act
    const statement = signedStatementOf(large);

    // Assess
    expect(statement).toBe(`jit-access evidence manifest v1 sha256:${sha256Hex(large)}`);
    expect(large.length).toBeGreaterThan(4096);
  });

  it('names the SHA-256 of the UTF-8 bytes of the manifest text', () => {
    // Act
    const statement = signedStatementOf('Grüße ✓\n');

    // Assess
    expect(statement).toBe(
      'jit-access evidence manifest v1 sha256:e79611333cdf0d773bc61e5a989737df70f6222cb84318a97f101264259430f4',
    );
  });

  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const text = manifestOf(FILES, META);
  const signature = sign('sha256', Buffer.from(signedStatementOf(text)), pair.privateKey);

  it('is valid for the text it signed', () => {
    // Act & Assess
    expect(signatureValid(text, signature, pem)).toBe(true);
  });

  it('is invalid for a manifest changed by one character', () => {
    // Act & Assess
    expect(signatureValid(text.replace('carol', 'carl_'), signature, pem)).toBe(false);
  });

  it('is invalid under another key, and for a signature that is not one', () => {
    // Prepare
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' });

    // Act & Assess
    expect(signatureValid(text, signature, other.toString())).toBe(false);
    expect(signatureValid(text, Buffer.from('garbage'), pem)).toBe(false);
  });

  it('is invalid, not an error, when the public key is not a PEM key', () => {
    // Act & Assess
    expect(signatureValid(text, signature, 'not a key')).toBe(false);
  });

  it("verifies with the PEM made from the key's DER SubjectPublicKeyInfo, as KMS GetPublicKey returns it", () => {
    // Prepare
    const der = pair.publicKey.export({ format: 'der', type: 'spki' });

    // Act
    const fromDer = publicKeyPemOf(der);

    // Assess
    expect(fromDer).toBe(pem);
    expect(signatureValid(text, signature, fromDer)).toBe(true);
  });
});
