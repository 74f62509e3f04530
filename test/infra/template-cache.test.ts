import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cachedOutdir, cachedTemplate, templateCachePath } from '../helpers/template-cache';

/** A variant no other test file uses, so runs and workers never share these entries. */
function uniqueVariant(): string[] {
  return ['template-cache.test', randomBytes(8).toString('hex')];
}

describe('the shared template cache', () => {
  const written: string[] = [];
  afterEach(() => {
    for (const file of written.splice(0)) rmSync(file, { recursive: true, force: true });
  });

  it('synthesizes a variant once and hands every later caller the kept template', () => {
    // Prepare
    const variant = uniqueVariant();
    written.push(templateCachePath(variant));
    let synths = 0;
    const synthesize = () => ({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } }, synth: ++synths });

    // Act
    const first = cachedTemplate(variant, synthesize);
    const second = cachedTemplate(variant, synthesize);

    // Assess
    expect(synths).toBe(1);
    expect(second).toEqual(first);
    expect(JSON.parse(readFileSync(templateCachePath(variant), 'utf8'))).toEqual(first);
  });

  it('synthesizes again for another variant (e.g. another config)', () => {
    // Prepare
    const [one, other] = [uniqueVariant(), uniqueVariant()];
    written.push(templateCachePath(one), templateCachePath(other));

    // Act
    const a = cachedTemplate(one, () => ({ config: 'one' }));
    const b = cachedTemplate(other, () => ({ config: 'other' }));

    // Assess
    expect(templateCachePath(one)).not.toBe(templateCachePath(other));
    expect([a, b]).toEqual([{ config: 'one' }, { config: 'other' }]);
  });

  it('keeps nothing when the synth fails, so the next caller synthesizes', () => {
    // Prepare
    const variant = uniqueVariant();
    written.push(templateCachePath(variant));

    // Act
    const failing = () =>
      cachedTemplate(variant, () => {
        throw new Error('synth failed');
      });

    // Assess
    expect(failing).toThrow('synth failed');
    expect(existsSync(templateCachePath(variant))).toBe(false);
    expect(cachedTemplate(variant, () => ({ retried: true }))).toEqual({ retried: true });
  });

  it('keeps the cloud assembly of a successful synth, and every later caller reads it without synthesizing', () => {
    // Prepare
    const variant = uniqueVariant();
    let synths = 0;
    const synthesize = (outdir: string) => {
      writeFileSync(path.join(outdir, 'JitAccess.template.json'), '{"Resources":{}}');
      return { status: 0, synth: ++synths };
    };

    // Act
    const first = cachedOutdir(variant, synthesize, (run) => run.status === 0);
    const second = cachedOutdir(variant, synthesize, (run) => run.status === 0);
    written.push(path.dirname(first.outdir));

    // Assess
    expect(synths).toBe(1);
    expect(second).toEqual(first);
    expect(readFileSync(path.join(second.outdir, 'JitAccess.template.json'), 'utf8')).toBe('{"Resources":{}}');
  });

  it('keeps no cloud assembly of a failed synth, so the next caller runs it again', () => {
    // Prepare
    const variant = uniqueVariant();
    let synths = 0;
    const failing = () => ({ status: 1, synth: ++synths });

    // Act
    const first = cachedOutdir(variant, failing, (run) => run.status === 0);
    const second = cachedOutdir(variant, failing, (run) => run.status === 0);
    written.push(path.dirname(first.outdir), path.dirname(second.outdir));

    // Assess
    expect([first.result, second.result]).toEqual([
      { status: 1, synth: 1 },
      { status: 1, synth: 2 },
    ]);
  });
});
