import { generateKeyPairSync, sign } from 'node:crypto';
import {
  digestProblems,
  isSafeBundlePath,
  manifestOf,
  parseManifest,
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
});
