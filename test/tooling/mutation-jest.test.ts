import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads these helpers as CommonJS
const { filesNamingTests, likelyKillersFirst } = require('../helpers/mutation-test-map.js') as {
  filesNamingTests<T extends { path: string }>(
    tests: readonly T[],
    testNamePattern: string | undefined,
    map: ReadonlyMap<string, readonly string[]>,
  ): T[];
  likelyKillersFirst<T extends { path: string }>(tests: readonly T[], mutatedFiles: readonly string[]): T[];
};

const ROOT = path.resolve(__dirname, '..', '..');
const at = (file: string) => ({ path: path.join(ROOT, file) });
const names = (tests: readonly { path: string }[]) => tests.map((t) => path.relative(ROOT, t.path));

describe('the test files a mutant runs (npm run mutation)', () => {
  const map = new Map([
    [path.join(ROOT, 'test/domain/planner.test.ts'), ['planPolicy scopes StartSession to the grant targets']],
    [path.join(ROOT, 'test/handlers/grant.test.ts'), ['grant creates the role', 'grant opens one ingress rule']],
  ]);

  it('keeps only the files holding a test the pattern names, matching case-insensitively as jest does', () => {
    // Act
    const kept = filesNamingTests(
      [at('test/domain/planner.test.ts'), at('test/handlers/grant.test.ts')],
      '(GRANT opens one ingress rule)',
      map,
    );

    // Assess
    expect(names(kept)).toEqual(['test/handlers/grant.test.ts']);
  });

  it('keeps a file the dry run did not record, since it may hold a covering test', () => {
    // Act
    const kept = filesNamingTests(
      [at('test/domain/planner.test.ts'), at('test/domain/quotas.test.ts')],
      '(grant creates the role)',
      map,
    );

    // Assess
    expect(names(kept)).toEqual(['test/domain/quotas.test.ts']);
  });

  it('keeps every file when no pattern is given, when nothing was recorded, or when no recorded file matches', () => {
    // Prepare
    const tests = [at('test/domain/planner.test.ts'), at('test/handlers/grant.test.ts')];

    // Act and assess
    expect(names(filesNamingTests(tests, undefined, map))).toEqual(names(tests));
    expect(names(filesNamingTests(tests, '(grant creates the role)', new Map()))).toEqual(names(tests));
    expect(names(filesNamingTests(tests, '(a test nobody wrote)', map))).toEqual(names(tests));
  });

  it('runs the test file named after the mutated file first, then the smaller files first', () => {
    // Act
    const ordered = likelyKillersFirst(
      [at('test/handlers/grant.test.ts'), at('test/domain/arn.test.ts'), at('test/domain/grant-state.test.ts')],
      [path.join(ROOT, 'lambdas/domain/grant-state.ts')],
    );

    // Assess: arn.test.ts is smaller than grant.test.ts
    expect(names(ordered)).toEqual([
      'test/domain/grant-state.test.ts',
      'test/domain/arn.test.ts',
      'test/handlers/grant.test.ts',
    ]);
  });
});

interface JestJson {
  readonly testResults: readonly {
    readonly name: string;
    readonly assertionResults: readonly { readonly title: string; readonly status: string }[];
  }[];
}

/** Runs jest on the bail fixtures with the mutation environment and runner, as Stryker would (in band). */
function runFixtures(activeMutant: string | undefined): Record<string, Record<string, string>> {
  const fixtures = path.join(ROOT, 'test/tooling/fixtures/bail');
  const config = {
    rootDir: fixtures,
    testMatch: ['**/*.fixture.ts'],
    transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
    testEnvironment: path.join(ROOT, 'test/helpers/mutation-environment.js'),
    runner: path.join(ROOT, 'test/helpers/mutation-runner.js'),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, __STRYKER_ACTIVE_MUTANT__: activeMutant };
  if (activeMutant === undefined) delete env.__STRYKER_ACTIVE_MUTANT__;
  const run = spawnSync(
    process.execPath,
    [require.resolve('jest/bin/jest'), '--config', JSON.stringify(config), '--runInBand', '--no-cache', '--json'],
    { cwd: ROOT, env, encoding: 'utf8' },
  );
  const json = JSON.parse(run.stdout) as JestJson;
  return Object.fromEntries(
    json.testResults.map((file) => [
      path.basename(file.name),
      Object.fromEntries(file.assertionResults.map((test) => [test.title, test.status])),
    ]),
  );
}

describe('a mutant stops at the first test that kills it (npm run mutation)', () => {
  it('skips the rest of the file and starts no further file once a test has failed against the mutant', () => {
    // Act
    const results = runFixtures('7');

    // Assess
    expect(results).toEqual({ 'first.fixture.ts': { fails: 'failed', passes: 'pending' } });
  });

  it('runs every test outside a mutant run, as in the dry run', () => {
    // Act
    const results = runFixtures(undefined);

    // Assess
    expect(results).toEqual({
      'first.fixture.ts': { fails: 'failed', passes: 'passed' },
      'second.fixture.ts': { 'passes too': 'passed' },
    });
  });
});
