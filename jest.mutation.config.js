const path = require('node:path');
const base = require('./jest.config');

const unit = base.projects.find((project) => project.displayName === 'unit');

/**
 * The tests StrykerJS runs against each mutant: the unit project without the tests that synthesize the stack (they
 * bundle the functions with esbuild, so a mutant in a function never reaches them) or that time the benchmarks, plus
 * the ledger's tests on local AWS (test/integration/ledger-*): the only tests in which DynamoDB itself evaluates the
 * ledger's condition and update expressions. scripts/mutation.ts starts the moto server they use (JIT_AWS_ENDPOINT).
 * The other integration files run whole worlds or child processes, too slow to run once per mutant.
 * @type {import('jest').Config}
 */
module.exports = {
  ...unit,
  displayName: 'mutation',
  rootDir: __dirname,
  // A mutant that leaves a promise pending would otherwise hold each covering test for npm test's whole minute, and
  // Stryker would wait for its own timeout; at 30 s the test fails, which is what it is: the mutant was noticed.
  testTimeout: 30000,
  // Every directory of source code, not only test/: jest's --findRelatedTests follows imports only through files it
  // has mapped, so a test reaching lambdas/shared/ through lambdas/handlers/ would otherwise not count as related, and
  // a mutant there would run no test at all (and "survive").
  roots: ['<rootDir>/test', '<rootDir>/lambdas', '<rootDir>/lib', '<rootDir>/scripts', '<rootDir>/bin'],
  setupFiles: [...unit.setupFiles, '<rootDir>/test/helpers/moto-worker-endpoint.ts'],
  // A mutant stops at the first test that kills it (test/helpers/mutation-bail.js). Absolute paths: Stryker loads the
  // environment itself, before jest would resolve <rootDir>.
  testEnvironment: path.join(__dirname, 'test/helpers/mutation-environment.js'),
  runner: path.join(__dirname, 'test/helpers/mutation-runner.js'),
  // Each mutant runs only the test files that hold a test covering it (test/helpers/mutation-test-map.js).
  setupFilesAfterEnv: ['<rootDir>/test/helpers/mutation-test-recorder.js'],
  testSequencer: '<rootDir>/test/helpers/mutation-test-map.js',
  testPathIgnorePatterns: [
    ...unit.testPathIgnorePatterns.filter((pattern) => pattern !== '<rootDir>/test/integration/'),
    '<rootDir>/test/integration/(?!ledger-)',
    '<rootDir>/test/infra/',
    '<rootDir>/test/bench/',
    '<rootDir>/test/security/stack-iam.test.ts',
  ],
};
