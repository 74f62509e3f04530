import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { processLocalIdentities, removeProcessLocalIdentities } from '../../scripts/local-aws/local-identities';

const DANA_ARN = 'arn:aws:sts::111122223333:assumed-role/Engineers/dana';

describe("the process's local identities", () => {
  afterEach(removeProcessLocalIdentities);

  it('are one set for the whole process, in a directory of their own under the OS temp dir', () => {
    // Act
    const first = processLocalIdentities();
    const second = processLocalIdentities();

    // Assess
    expect(second).toBe(first);
    expect(path.dirname(first.directory)).toBe(tmpdir());
    expect(path.basename(first.directory)).toMatch(/^jit-access-identities-[A-Za-z0-9]{6}$/);
  });

  it('are removed with their credential files by removeProcessLocalIdentities, and the next use makes new ones', () => {
    // Prepare
    const removed = processLocalIdentities();
    removed.profile('local-dana', DANA_ARN);
    expect(readFileSync(removed.credentialsFile, 'utf8')).toMatch(/^\[local-dana\]\n/);

    // Act
    removeProcessLocalIdentities();
    const next = processLocalIdentities();

    // Assess
    expect(existsSync(removed.directory)).toBe(false);
    expect(next).not.toBe(removed);
    expect(next.directory).not.toBe(removed.directory);
    expect(existsSync(next.directory)).toBe(true);
  });

  it('are removed when the process exits, by one exit listener that their removal takes away again', () => {
    // Act
    processLocalIdentities();
    processLocalIdentities();
    const whileKept = process.listeners('exit').filter((listener) => listener === removeProcessLocalIdentities);
    removeProcessLocalIdentities();
    const afterRemoval = process.listeners('exit').filter((listener) => listener === removeProcessLocalIdentities);

    // Assess
    expect(whileKept).toHaveLength(1);
    expect(afterRemoval).toEqual([]);
  });

  it('removing them when none were made changes nothing', () => {
    // Prepare
    removeProcessLocalIdentities();
    const listeners = process.listeners('exit').length;

    // Act
    const removing = () => removeProcessLocalIdentities();

    // Assess
    expect(removing).not.toThrow();
    expect(process.listeners('exit')).toHaveLength(listeners);
  });
});
