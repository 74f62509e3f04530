const { TestEnvironment } = require('jest-environment-node');
const { activeMutant, killed } = require('./mutation-bail');

/** The test environment of jest.mutation.config.js: a mutant stops at the first test that kills it (mutation-bail.js). */
class MutationEnvironment extends TestEnvironment {
  async handleTestEvent(event, state) {
    await super.handleTestEvent?.(event, state);
    const mutant = activeMutant();
    if (mutant === undefined) return;
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') killed.add(mutant);
    else if (event.name === 'test_start' && killed.has(mutant)) event.test.mode = 'skip';
  }
}

module.exports = MutationEnvironment;
