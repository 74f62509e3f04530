import { ConfigError, parseConfig } from '../../lib/config/load-config';
import { exampleConfigInput } from '../helpers/config-fixture';

/** The problem lines parseConfig reports for the example with `changeTracking` set, or none when it accepts it. */
function problemsWithChangeTracking(changeTracking: unknown): readonly string[] {
  try {
    parseConfig({ ...exampleConfigInput(), changeTracking });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('the changeTracking config', () => {
  test('defaults to snapshots on, checksumming /etc', () => {
    // Act
    const config = parseConfig(exampleConfigInput());

    // Assess
    expect(config.changeTracking).toEqual({ enabled: true, directories: ['/etc'] });
  });

  test('accepts its own directories and keeps snapshots on', () => {
    // Act
    const config = parseConfig({
      ...exampleConfigInput(),
      changeTracking: { directories: ['/etc', '/opt/app/conf/'] },
    });

    // Assess
    expect(config.changeTracking).toEqual({ enabled: true, directories: ['/etc', '/opt/app/conf/'] });
  });

  test.each([
    [['etc'], 'jitAccess.changeTracking.directories[0]: "etc" is not absolute: write the full path, such as "/etc"'],
    [
      ['/etc/../root'],
      'jitAccess.changeTracking.directories[0]: "/etc/../root" has a ".." segment: write the directory\'s own path',
    ],
    [
      ['/etc', "/opt/a'b"],
      'jitAccess.changeTracking.directories[1]: "/opt/a\'b" must name a directory below / with letters, digits and . _ @ + - only, such as "/etc" or "/opt/app/conf"',
    ],
    [
      ['/'],
      'jitAccess.changeTracking.directories[0]: "/" must name a directory below / with letters, digits and . _ @ + - only, such as "/etc" or "/opt/app/conf"',
    ],
    [['/etc', '/etc'], 'jitAccess.changeTracking.directories: lists a directory twice: list each once'],
    [
      Array.from({ length: 21 }, (_, i) => `/opt/d${i}`),
      'jitAccess.changeTracking.directories: list at most 20 directories',
    ],
  ])('refuses the directories %j, naming the field and the fix', (directories, problem) => {
    // Assess
    expect(problemsWithChangeTracking({ directories })).toEqual([problem]);
  });

  test('refuses a field it does not know', () => {
    // Act
    const problems = problemsWithChangeTracking({ enabled: true, paths: ['/etc'] });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^jitAccess\.changeTracking: .*paths/);
  });
});
