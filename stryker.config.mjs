// Mutation testing (issue 9): `npm run mutation`. Not part of `npm test`; TESTING.md holds the latest score.
// Incremental: the result of every mutant is kept in reports/mutation/incremental.json, and a rerun tests again only
// the mutants whose code or covering tests changed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: ['lambdas/**/*.ts', 'lib/config/**/*.ts'],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutation.config.js',
    enableFindRelatedTests: false,
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  thresholds: { high: 90, low: 85, break: 85 },
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  concurrency: 2,
  timeoutMS: 20000,
  ignorePatterns: ['.venv', '.venv.lock', 'cdk.out', 'reports', 'coverage', '.local', 'docs', 'bench', 'security'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
