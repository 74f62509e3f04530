import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

/**
 * A new empty directory under the OS temp dir, named `<prefix>XXXXXX`, for a test file's scratch files; it is removed,
 * with everything in it, after the file's last test (the hook below).
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory `scratchDir` made so far, whatever it holds. */
export function removeScratchDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// Registered when a test file imports this module: imports run before the file's tests are collected.
afterAll(removeScratchDirs);
