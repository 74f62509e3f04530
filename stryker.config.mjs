// Mutation testing (issue 9): `npm run mutation` (scripts/mutation.ts) runs Stryker one directory of source files at a
// time (a file named on its command line is a run of its own), each run its own incremental chunk under
// reports/mutation/chunks/, then sums the chunks into one score. Not part of `npm test`; TESTING.md holds the latest
// score. A run stopped halfway keeps every chunk it finished, and a rerun tests again only the mutants whose code or
// covering tests changed.
const chunk = process.env.MUTATION_CHUNK;
const reports = chunk
  ? `${process.env.MUTATION_CHUNKS ?? 'reports/mutation/chunks'}/${chunk}`
  : 'reports/mutation/mutation';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: ['lambdas/**/*.ts', 'lib/config/**/*.ts'],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutation.config.js',
    // Only the test files that import the mutated file, directly or not: a mutant elsewhere cannot change the others.
    enableFindRelatedTests: true,
  },
  // The TypeScript checker (`--checkers typescript`) would drop mutants that do not compile before they run; off by
  // default because it multiplies a run's time on 2 cores. Without it such a mutant runs (swc strips types) and is
  // counted killed or survived like any other.
  checkers: [],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `${reports}.incremental.json`,
  thresholds: { high: 90, low: 85, break: chunk ? null : 85 },
  reporters: chunk ? ['json', 'progress'] : ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `${reports}.json` },
  htmlReporter: { fileName: `${reports}.html` },
  concurrency: 2,
  timeoutMS: 5000,
  // Anchored at the project root: an unanchored 'docs' would also leave test/docs out of the sandbox, with its tests.
  ignorePatterns: ['/.venv', '/.venv.lock', '/cdk.out', '/reports', '/coverage', '/.local', '/.stryker-test-map'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
