import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { scratchApp } from '../helpers/scratch-app';
import { removeScratchDirs, scratchDir } from '../helpers/scratch-dir';

describe('scratch directories of a test file', () => {
  it('are new, empty and under the OS temp dir, named by their prefix', () => {
    // Act
    const first = scratchDir('jit-scratch-test-');
    const second = scratchDir('jit-scratch-test-');

    // Assess
    expect(first).not.toBe(second);
    for (const dir of [first, second]) {
      expect(path.dirname(dir)).toBe(tmpdir());
      expect(path.basename(dir)).toMatch(/^jit-scratch-test-[A-Za-z0-9]{6}$/);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('are all removed by removeScratchDirs, with the files and directories in them', () => {
    // Prepare
    const dirs = [scratchDir('jit-scratch-test-'), scratchDir('jit-scratch-test-')];
    for (const dir of dirs) {
      mkdirSync(path.join(dir, 'nested'));
      writeFileSync(path.join(dir, 'nested', 'file.json'), '{}');
    }

    // Act
    removeScratchDirs();

    // Assess
    expect(dirs.filter((dir) => existsSync(dir))).toEqual([]);
  });
});

describe('scratchApp', () => {
  it('synthesizes into a scratch directory that removeScratchDirs removes', () => {
    // Prepare: CDK's template validation off, as in buildStack (it costs seconds even on one resource)
    const app = scratchApp({ builtinCloudFormationValidation: false });
    new CfnResource(new Stack(app, 'Probe'), 'Topic', { type: 'AWS::SNS::Topic' });

    // Act
    const assembly = app.synth();

    // Assess
    expect(assembly.directory).toBe(app.outdir);
    expect(path.dirname(app.outdir)).toBe(tmpdir());
    expect(path.basename(app.outdir)).toMatch(/^jit-test-cdk-out-[A-Za-z0-9]{6}$/);
    expect(existsSync(path.join(app.outdir, 'Probe.template.json'))).toBe(true);
    removeScratchDirs();
    expect(existsSync(app.outdir)).toBe(false);
  });

  it('keeps the props it is given', () => {
    // Act
    const app = scratchApp({ context: { 'jit:probe': 'kept' } });

    // Assess
    expect(app.node.tryGetContext('jit:probe')).toBe('kept');
  });
});
