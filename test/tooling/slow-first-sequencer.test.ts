import { existsSync } from 'node:fs';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads the sequencer as CommonJS
const { slowFirst, SLOW_FIRST } = require('../helpers/slow-first-sequencer.js') as {
  slowFirst<T extends { path: string }>(tests: readonly T[]): T[];
  SLOW_FIRST: readonly string[];
};

const ROOT = path.resolve(__dirname, '..', '..');

describe("jest's order of test files", () => {
  it('starts the slowest integration files first, longest first, and keeps the order of the others', () => {
    // Prepare
    const files = [
      'test/domain/planner.test.ts',
      'test/integration/demo.test.ts',
      'test/config/schema.test.ts',
      'test/integration/faults.test.ts',
    ];

    // Act
    const sorted = slowFirst(files.map((file) => ({ path: path.join(ROOT, file) })));

    // Assess
    expect(sorted.map((t) => path.relative(ROOT, t.path))).toEqual([
      'test/integration/faults.test.ts',
      'test/integration/demo.test.ts',
      'test/domain/planner.test.ts',
      'test/config/schema.test.ts',
    ]);
  });

  it('names only files that exist', () => {
    expect(SLOW_FIRST.length).toBeGreaterThan(3);
    expect(SLOW_FIRST.filter((file) => !existsSync(path.join(ROOT, file)))).toEqual([]);
  });
});
