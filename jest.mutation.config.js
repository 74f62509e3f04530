const base = require('./jest.config');

const unit = base.projects.find((project) => project.displayName === 'unit');

/**
 * The tests StrykerJS runs against each mutant: the unit project without the tests that synthesize the stack (they
 * bundle the functions with esbuild, so a mutant in a function never reaches them) or that time the benchmarks.
 * @type {import('jest').Config}
 */
module.exports = {
  ...unit,
  displayName: undefined,
  rootDir: __dirname,
  testTimeout: base.testTimeout,
  testPathIgnorePatterns: [
    ...unit.testPathIgnorePatterns,
    '<rootDir>/test/infra/',
    '<rootDir>/test/bench/',
    '<rootDir>/test/security/stack-iam.test.ts',
  ],
};
