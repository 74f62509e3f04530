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
    expect(Object.keys(report)).toEqual([
      'scenario',
      'grantId',
      'outcome',
      'finalStatus',
      'timeline',
      'awsCalls',
      'created',
      'osAccount',
      'residue',
    ]);
    expect(report).toMatchObject({
      scenario: 'approve',
      grantId: expect.stringMatching(/^g-[0-9a-f]{12}$/),
      outcome: { status: 'SUCCEEDED' },
      finalStatus: 'REVOKED',
    });
    expect(report.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'dana', step: `request` }),
        expect.objectContaining({ actor: 'alice', step: `approve ${String(report.grantId)}` }),
        expect.objectContaining({ actor: 'workflow', step: 'Grant access' }),
        expect.objectContaining({ actor: 'scheduler', step: `expiry schedule jit-${String(report.grantId)} fired` }),
      ]),
    );
    const awsCalls = report.awsCalls as { grant: number; revoke: number; byOperation: Record<string, unknown> };
    expect(awsCalls.grant).toBeGreaterThan(3);
    expect(awsCalls.byOperation).toMatchObject({
      grant: { 'iam:CreateRole': 1, 'scheduler:CreateSchedule': 1 },
      revoke: { 'iam:DeleteRole': 1, 'scheduler:DeleteSchedule': 1 },
    });
    expect(report.created).toEqual(
      expect.objectContaining({ roleArn: expect.stringContaining(':role/'), scheduleArn: expect.any(String) }),
    );
    const [unlock] = report.osAccount as { instanceId: string }[];
    const instanceId = unlock?.instanceId ?? '';
    expect(instanceId).toMatch(/^i-[0-9a-f]+$/);
    expect(report.osAccount).toEqual([
      { instanceId, action: 'unlock', line: `on ${instanceId}: vendor OS user acme-support unlocked` },
      {
        instanceId,
        action: 'lock',
        line: `on ${instanceId}: vendor OS user acme-support locked (processes killed, crontab removed, linger disabled, authorized_keys cleared, account locked and expired)`,
      },
    ]);
    expect(report.residue).toEqual({
      roles: [],
      policies: [],
      securityGroupRules: [],
      schedules: [],
      sessions: [],
      osAccounts: [],
    });
  });

  test('refuses an unknown scenario by name in one line, listing the ones there are, and starts nothing', () => {
    // Act
    const run = demo('--scenario', 'nope');

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      '--scenario: "nope" is not a scenario: use one of approve, deny, timeout, kill, overlap, fault, break-glass\n',
    );
    expect(run.stdout).toBe('');
  });

  test('refuses an unknown option in one line, without a stack trace', () => {
    // Act
    const run = demo('--scenari', 'approve');

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^demo: .*--scenari.*see npm run demo -- --help/),
    ]);
    expect(run.stdout).toBe('');
  });

  test('-h prints the usage and exits 0', () => {
    // Act
    const run = demo('-h');

    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^Usage: npm run demo -- \[--scenario approve\|deny\|timeout\|kill\|overlap\|fault\|break-glass\] \[--json\]/,
    );
    expect(run.stderr).toBe('');
  });
});
