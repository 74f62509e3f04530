const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/helpers/jest-setup.ts'],
};

/**
 * Two projects: unit tests run alone; integration tests share one local moto server that globalSetup starts (and
 * installs into .venv on first use) and globalTeardown stops.
 * @type {import('jest').Config}
 */
module.exports = {
  testTimeout: 60000,
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
      globalSetup: '<rootDir>/test/helpers/moto-global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/moto-global-teardown.ts',
    },
  ],
};
