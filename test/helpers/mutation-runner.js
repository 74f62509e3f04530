const TestRunner = require('jest-runner').default;
const { activeMutant, killed } = require('./mutation-bail');

/** The test runner of jest.mutation.config.js: no test file starts once the mutant is killed (mutation-bail.js). */
class MutationRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const mutant = activeMutant();
    if (mutant === undefined || !options.serial) return super.runTests(tests, watcher, options);
    for (const test of tests) {
      if (killed.has(mutant)) return;
      await super.runTests([test], watcher, options);
    }
  }
}

module.exports = MutationRunner;
