import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Runs `npm run demo -- <args>` as a user would (the same script, in its own process, starting its own moto). */
function demo(...args: string[]) {
  const { JIT_AWS_ENDPOINT: _workerMoto, ...env } = process.env;
  return spawnSync(process.execPath, [TSX, 'scripts/demo.ts', ...args], { cwd: ROOT, encoding: 'utf8', env });
}

/**
 * The same against this jest worker's moto (JIT_AWS_ENDPOINT), as after `npm run local-aws -- start`: for the tests
 * about what a scenario shows, which need no moto of their own (starting one costs seconds of CPU).
 */
function demoOnWorkerMoto(...args: string[]) {
  // Passed on explicitly: jest's process.env is this file's own copy, where the worker's endpoint was set.
  const env = { ...process.env };
  return spawnSync(process.execPath, [TSX, 'scripts/demo.ts', ...args], { cwd: ROOT, encoding: 'utf8', env });
}

describe('npm run demo', () => {
  test('--json prints the documented report of a whole lifecycle, ending with no residue', () => {
    // Act
    const run = demo('--json');

    // Assess
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('[demo] starting local AWS (moto)');
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([
      'scenario',
      'grantId',
      'outcome',
      'finalStatus',
      'timeline',
      'awsCalls',
      'created',
      'vendorIam',
      'osAccount',
      'changes',
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
        expect.objectContaining({
          actor: 'vendor',
          step: '6 own calls judged by IAM (simulator): 2 allowed, 4 refused',
        }),
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
    expect(
      (report.vendorIam as { expected: string; decision: string }[]).map(({ expected, decision }) => [
        expected,
        decision,
      ]),
    ).toEqual([
      ['allowed', 'Allowed'],
      ['refused', 'ImplicitlyDenied'],
      ['refused', 'ImplicitlyDenied'],
      ['refused', 'ImplicitlyDenied'],
      ['allowed', 'Allowed'],
      ['refused', 'ImplicitlyDenied'],
    ]);
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
    // What the vendor changed: the double's snapshots at unlock and after the lock, read back from moto S3 and diffed.
    expect(report.changes).toEqual([expect.objectContaining({ instanceId, status: 'compared', changes: 2 })]);
    const delta = (report.changes as { delta: Record<string, { added: unknown[]; changed: { key: string }[] }> }[])[0]
      ?.delta;
    expect(delta?.packages?.added).toEqual([{ key: 'pg_repack', value: '1.4.8-1.amzn2023.x86_64' }]);
    expect(delta?.files?.changed.map((c) => c.key)).toEqual(['/etc/postgresql/postgresql.conf']);
    expect(report.residue).toEqual({
      roles: [],
      policies: [],
      securityGroupRules: [],
      schedules: [],
      sessions: [],
      osAccounts: [],
    });
  });

  test("judges the vendor's own calls with the IAM simulator on the grant's policies, one line each", () => {
    // Act
    const run = demoOnWorkerMoto();

    // Assess: the run before this one left cdk.out synthesized from the same sources, so this one reuses it
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('[demo] cdk.out holds the stack as synthesized from these sources: reusing it');
    expect(run.stderr).toContain(
      `[demo] using local AWS (moto) at ${process.env.JIT_AWS_ENDPOINT} from JIT_AWS_ENDPOINT`,
    );
    const section = run.stdout
      .split("the vendor's own calls, judged by IAM")[1]
      ?.split('\n')
      .slice(1, 7)
      .map((line) => line.trim());
    expect(section).toEqual([
      expect.stringMatching(
        /^sts:AssumeRole jit-g-\w+ with acme's external id from 203\.0\.113\.10, in the window: allowed$/,
      ),
      expect.stringMatching(
        /^sts:AssumeRole with a wrong external id: refused by IAM: the trust policy requires sts:ExternalId "acme-7f3c9a1e5b2d" \(ImplicitlyDenied\)$/,
      ),
      expect.stringMatching(
        /^sts:AssumeRole from a foreign IP \(198\.51\.100\.200\): refused by IAM: aws:SourceIp is outside acme's CIDRs .* \(ImplicitlyDenied\)$/,
      ),
      expect.stringMatching(
        /^sts:AssumeRole after expiry \(.*\): refused by IAM: aws:CurrentTime is past the window's end .* \(ImplicitlyDenied\)$/,
      ),
      expect.stringMatching(/^ssm:StartSession on granted i-\w+ with JitAccess-Session-\w+: allowed$/),
      expect.stringMatching(
        /^ssm:StartSession on i-\w+ \(billing-db, not granted\): refused by IAM: the session policy names only the granted instances \(ImplicitlyDenied\)$/,
      ),
    ]);
    expect(run.stdout).not.toContain('UNEXPECTED');
  });

  test('--scenario lockout: five denied calls revoke the grant with nothing left, and erin unlocks the vendor', () => {
    // Act
    const run = demoOnWorkerMoto('--scenario', 'lockout', '--json');

    // Assess
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { timeline: { actor: string; step: string }[] } & Record<string, unknown>;
    expect(report).toMatchObject({ scenario: 'lockout', outcome: { status: 'SUCCEEDED' }, finalStatus: 'REVOKED' });
    const steps = report.timeline.map((e) => `${e.actor} ${e.step}`);
    expect(steps.filter((s) => s.startsWith('cloudtrail CloudTrail: ssm:StartSession refused'))).toHaveLength(5);
    expect(steps.indexOf('erin vendor unlock acme')).toBeGreaterThan(steps.findIndex((s) => s.includes('(5 of 5)')));
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
      '--scenario: "nope" is not a scenario: use one of approve, deny, timeout, kill, overlap, fault, break-glass, lockout\n',
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
      /^Usage: npm run demo -- \[--scenario approve\|deny\|timeout\|kill\|overlap\|fault\|break-glass\|lockout\] \[--json\]/,
    );
    expect(run.stderr).toBe('');
  });
});
