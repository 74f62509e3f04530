/**
 * Mutation testing only (jest.mutation.config.js): the mutants a test has already killed in this worker process.
 *
 * StrykerJS's jest runner cannot stop jest at the first failing test (jest has no bail through its API), so every test
 * covering a mutant would run even after one has killed it: for code that hundreds of tests reach, a killed mutant
 * would cost as much as a surviving one. Stryker runs a mutant's test files in band, in one worker process that loads
 * this module once, outside the per-file sandboxes: mutation-environment.js adds a mutant here when a test fails and
 * skips the rest of that file's tests; mutation-runner.js then starts no further test file.
 */
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
const killed = new Set();

/** The mutant under test in this process, or undefined outside a mutant run (the dry run, npm test). */
const activeMutant = () => process.env[ACTIVE_MUTANT];

module.exports = { killed, activeMutant };
