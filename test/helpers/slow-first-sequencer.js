const Sequencer = require('@jest/test-sequencer').default;

/**
 * The test files that run longest (moto worlds, child processes), longest first. Jest orders files by the durations
 * it cached on earlier runs, or else by file size; a fresh clone (CI) has no durations, and these files are not the
 * largest, so one of them could start last and run alone while the other worker idles. They start first instead.
 */
const SLOW_FIRST = [
  'test/integration/faults.test.ts',
  'test/integration/cli.test.ts',
  'test/integration/demo.test.ts',
  'test/integration/hostile-requests.test.ts',
  'test/integration/lifecycle.test.ts',
  'test/integration/overlap-and-revoke.test.ts',
];

function rank(test) {
  const path = test.path.split('\\').join('/');
  const index = SLOW_FIRST.findIndex((file) => path.endsWith(`/${file}`));
  return index === -1 ? SLOW_FIRST.length : index;
}

/** The slow files first, in SLOW_FIRST's order; Array.prototype.sort is stable, so the others keep their order. */
function slowFirst(tests) {
  return [...tests].sort((a, b) => rank(a) - rank(b));
}

class SlowFirstSequencer extends Sequencer {
  async sort(tests) {
    return slowFirst(await super.sort(tests));
  }
}

module.exports = SlowFirstSequencer;
module.exports.slowFirst = slowFirst;
module.exports.SLOW_FIRST = SLOW_FIRST;
