import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs the CDK app as `cdk synth` would, with the cdk.json context and the given jitAccess config. */
function runApp(jitAccess: unknown) {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/jit-access.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, jitAccess }),
    },
  });
}

describe('the CDK app (bin/jit-access.ts)', () => {
  test('stops a bad config before synth with one line per problem, each naming the path and the fix', () => {
    // Prepare
    const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as {
      context: { jitAccess: { vendors: Array<{ allowedCidrs: string[]; maxGrantHours: number }> } };
    };
    const bad = structuredClone(cdkJson.context.jitAccess);
    bad.vendors[0]!.allowedCidrs[1] = '10.0.0.0/33';
    bad.vendors[0]!.maxGrantHours = 48;

    // Act
    const run = runApp(bad);

    // Assess
    expect(run.status).toBe(1);
    const problems = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('  jitAccess.'))
      .map((line) => line.trim());
    expect(problems).toEqual([
      'jitAccess.vendors[0].allowedCidrs[1]: "10.0.0.0/33" is not a valid CIDR: use a.b.c.d/n with n from 8 to 32',
      'jitAccess.vendors[0].maxGrantHours: must be between 1 and 24 hours',
    ]);
  });
});
