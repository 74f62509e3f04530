const { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/**
 * Mutation testing (scripts/mutation.ts) only: which test file holds which test, so that a mutant runs only the files
 * that hold the tests covering it.
 *
 * StrykerJS's jest runner gives jest, for each mutant, the mutated file (--findRelatedTests) and the names of the
 * covering tests (--testNamePattern). Jest then loads every test file that imports the mutated file, directly or not,
 * and skips the tests whose names do not match: for a file that most tests import, each mutant would load most of the
 * suite. During Stryker's dry run (every related test, no mutant active) `record` notes each test's name and file in
 * the sandbox; for each mutant the sequencer keeps only the files holding a test that the pattern names. A file it
 * knows nothing about is kept, and so is every file when none would be: a gap in the map costs time, never a result.
 *
 * It also orders them so that the test most likely to kill the mutant runs first (a killed mutant runs no further
 * file, mutation-bail.js): the test file named after the mutated file, then the smaller files.
 */
const MAP_DIR = path.join(__dirname, '..', '..', '.stryker-test-map');
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';

const inStrykerDryRun = () =>
  process.env.STRYKER_MUTATOR_WORKER !== undefined && process.env[ACTIVE_MUTANT] === undefined;

/** In a test file (setupFilesAfterEnv): during the dry run, records the names of the tests it ran. */
function record() {
  if (!inStrykerDryRun()) return;
  const names = new Set();
  let testPath;
  beforeEach(() => {
    const state = expect.getState();
    testPath = state.testPath;
    if (state.currentTestName) names.add(state.currentTestName);
  });
  afterAll(() => {
    if (!testPath || names.size === 0) return;
    mkdirSync(MAP_DIR, { recursive: true });
    appendFileSync(path.join(MAP_DIR, `${process.pid}.jsonl`), `${JSON.stringify({ testPath, names: [...names] })}\n`);
  });
}

/** Test file → the names of its tests, from every record of the dry run. */
function readMap() {
  const map = new Map();
  if (!existsSync(MAP_DIR)) return map;
  for (const name of readdirSync(MAP_DIR)) {
    for (const line of readFileSync(path.join(MAP_DIR, name), 'utf8').split('\n')) {
      if (!line) continue;
      const { testPath, names } = JSON.parse(line);
      map.set(testPath, [...(map.get(testPath) ?? []), ...names]);
    }
  }
  return map;
}

/** Keeps the test files that hold a test the pattern names (jest matches testNamePattern case-insensitively). */
function filesNamingTests(tests, testNamePattern, map) {
  if (!testNamePattern || map.size === 0) return tests;
  const pattern = new RegExp(testNamePattern, 'i');
  const kept = tests.filter((test) => {
    const names = map.get(test.path);
    return names === undefined || names.some((name) => pattern.test(name));
  });
  return kept.length > 0 ? kept : tests;
}

/** The test file named after a mutated file first (grant-state.ts → grant-state.test.ts), then the smaller ones. */
function likelyKillersFirst(tests, mutatedFiles) {
  const names = new Set(mutatedFiles.map((file) => path.basename(file).replace(/\.ts$/, '.test.ts')));
  const rank = (test) => [names.has(path.basename(test.path)) ? 0 : 1, statSync(test.path).size];
  return tests
    .map((test) => ({ test, rank: rank(test) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1])
    .map(({ test }) => test);
}

class MutationSequencer extends Sequencer {
  constructor(options) {
    super(options);
    this.testNamePattern = options?.globalConfig?.testNamePattern;
    this.mutatedFiles = options?.globalConfig?.nonFlagArgs ?? [];
  }

  async sort(tests) {
    if (process.env[ACTIVE_MUTANT] === undefined) return super.sort(tests);
    return likelyKillersFirst(filesNamingTests(tests, this.testNamePattern, readMap()), this.mutatedFiles);
  }
}

module.exports = MutationSequencer;
module.exports.record = record;
module.exports.filesNamingTests = filesNamingTests;
module.exports.likelyKillersFirst = likelyKillersFirst;
module.exports.MAP_DIR = MAP_DIR;
