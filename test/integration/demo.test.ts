import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Runs `npm run demo -- <args>` as a user would (the same script, in its own process). */
function demo(...args: string[]) {
  return spawnSync(process.execPath, [TSX, 'scripts/demo.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('npm run demo', () => {
  test('--json prints the documented report of a whole lifecycle, ending with no residue', () => {
    // Act
    const run = demo('--json');

    // Assess
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['scenario', 'grantId', 'timeline', 'awsCalls', 'created', 'residue']);
    expect(report.scenario).toBe('approve');
    expect(report.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'workflow', step: 'Grant access' }),
        expect.objectContaining({ actor: 'scheduler', step: expect.stringMatching(/^expiry schedule jit-.* fired$/) }),
      ]),
    );
    expect(report.awsCalls).toEqual({ grant: expect.any(Number), revoke: expect.any(Number) });
    expect((report.awsCalls as { grant: number }).grant).toBeGreaterThan(3);
    expect(report.created).toEqual(
      expect.objectContaining({ roleArn: expect.stringContaining(':role/'), scheduleArn: expect.any(String) }),
    );
    expect(report.residue).toEqual({ roles: [], policies: [], securityGroupRules: [], schedules: [], sessions: [] });
  });

  test('refuses an unknown scenario by name, listing the ones there are, and starts nothing', () => {
    // Act
    const run = demo('--scenario', 'nope');

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--scenario: "nope" is not a scenario: use one of approve, deny, timeout, kill');
    expect(run.stdout).toBe('');
  });
});
