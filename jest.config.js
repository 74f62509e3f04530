const { availableParallelism } = require('node:os');

const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/helpers/jest-setup.ts'],
};

/**
 * Two projects: unit tests run alone; integration tests use local moto servers that globalSetup starts (and installs
 * into .venv on first use), one per worker, and globalTeardown stops.
 *
 * At least two workers: jest's default (one less than the cores) runs every file in band on a 2-core machine, where
 * the integration files spend most of their time waiting on moto, a child process or a real-time poll, leaving a
 * core idle. Test files never share AWS resources (unique names per world), so they may run side by side.
 * @type {import('jest').Config}
 */
module.exports = {
  testTimeout: 60000,
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testSequencer: '<rootDir>/test/helpers/slow-first-sequencer.js',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
    },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      setupFiles: [...shared.setupFiles, '<rootDir>/test/helpers/moto-worker-endpoint.ts'],
      globalSetup: '<rootDir>/test/helpers/moto-global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/moto-global-teardown.ts',
    },
  ],
};
