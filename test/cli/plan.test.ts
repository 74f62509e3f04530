import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { grantWindow } from '../../lambdas/domain/expiry';
import { planHash } from '../../lambdas/domain/plan-hash';
import { ingressRuleDescription, planGrant } from '../../lambdas/domain/planner';
import type { CliIo } from '../../lib/cli/context';
import { runCli } from '../../lib/cli/program';
import { exampleConfig, exampleConfigInput } from '../helpers/config-fixture';
import { scratchDir } from '../helpers/scratch-dir';

const NOW = new Date('2030-03-01T09:00:00.000Z');
const ROOT = path.resolve(__dirname, '..', '..');
const OUTPUTS = {
  JitAccess: {
    ApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/',
    SessionDocumentName: 'JitAccess-VendorShell',
    SessionKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
    PermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/jit-access/JitGrantBoundary',
    ScheduleGroupName: 'jit-access-expiry',
    JitSecurityGroupBillingDb: 'sg-0b1111111111111111',
    JitSecurityGroupWebFrontend: 'sg-0f2222222222222222',
  },
};

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    fetch: () => Promise.reject(new Error('no network in unit tests')),
    sleep: async () => undefined,
    now: () => NOW,
  };
  return { code: await runCli(argv, io), stdout, stderr };
}

function writeJson(name: string, value: unknown): string {
  const file = path.join(scratchDir('jit-plan-'), name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('jit-access plan (offline)', () => {
  test('prints, with the stack outputs, exactly the plan the grant function makes and its hash', async () => {
    // Prepare
    const outputs = writeJson('outputs.json', OUTPUTS);
    const config = exampleConfig();
    const vendor = config.vendors[0]!;
    const start = '2030-03-01T10:00:00.000Z';
    const expected = planGrant(
      { grantId: 'g-0123456789ab', ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }] },
      [{ kind: 'group', targetGroup: 'billing-db', tagKey: 'jit-access:target-group', tagValue: 'billing-db' }],
      vendor,
      grantWindow(start, 120, NOW),
      {
        env: { accountId: '111122223333', region: 'eu-west-1', partition: 'aws' },
        iamPath: config.iamPath,
        permissionsBoundaryArn: OUTPUTS.JitAccess.PermissionsBoundaryArn,
        sessionDocumentName: OUTPUTS.JitAccess.SessionDocumentName,
        sessionKeyArn: OUTPUTS.JitAccess.SessionKeyArn,
        scheduleGroupName: OUTPUTS.JitAccess.ScheduleGroupName,
        securityGroups: { 'billing-db': 'sg-0b1111111111111111', 'web-frontend': 'sg-0f2222222222222222' },
      },
    );

    // Act
    const run = await cli(
      '--json',
      'plan',
      '--vendor',
      'acme',
      '--targets',
      'group:billing-db',
      '--duration',
      '2h',
      '--ports',
      '5432',
      '--start',
      start,
      '--grant-id',
      'g-0123456789ab',
      '--config',
      path.join(ROOT, 'cdk.json'),
      '--outputs',
      outputs,
    );

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      role: {
        name: expected.role.name,
        path: expected.role.path,
        trustPolicy: expected.role.trustPolicy,
        maxSessionDuration: expected.role.maxSessionDurationSeconds,
        permissionsBoundary: expected.role.permissionsBoundaryArn,
        tags: expected.role.tags,
      },
      policies: [{ name: expected.role.inlinePolicyName, document: expected.role.inlinePolicy }],
      securityGroupRules: expected.ingressRules.map((r) => ({
        groupId: r.securityGroupId,
        ipProtocol: r.protocol,
        fromPort: r.fromPort,
        toPort: r.toPort,
        cidr: r.cidr,
        description: ingressRuleDescription('g-0123456789ab'),
      })),
      schedule: expected.schedule,
      startsAt: expected.window.startAt,
      expiresAt: expected.window.expiresAt,
      hash: planHash(expected),
    });
    expect(run.stderr).toBe('');
  });

  test('without the stack outputs, shows placeholders and says it is a preview', async () => {
    // Act
    const run = await cli(
      '--json',
      'plan',
      '--vendor',
      'globex',
      '--targets',
      'group:web-frontend',
      '--duration',
      '30',
    );

    // Assess
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout) as { role: { permissionsBoundary: string }; schedule: { groupName: string } };
    expect(view.role.permissionsBoundary).toBe('<PermissionsBoundaryArn>');
    expect(view.schedule.groupName).toBe('<ScheduleGroupName>');
    expect(run.stderr).toContain('a preview: pass --outputs');
  });

  test('refuses what a request would be refused, naming the option and the fix (exit 2)', async () => {
    // Act
    const run = await cli('plan', '--vendor', 'globex', '--targets', 'group:web-frontend', '--duration', '10h');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      '--duration: 600 minutes is longer than vendor "globex" allows: request at most 240 minutes (4 h)',
    );
  });

  test('refuses a target group the vendor is not eligible for', async () => {
    // Act
    const run = await cli('plan', '--vendor', 'acme', '--targets', 'group:web-frontend', '--duration', '1h');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      '--targets: vendor "acme" is not eligible for target group "web-frontend": request one of billing-db',
    );
  });

  test('stops on a bad config with one line per problem, each naming the path', async () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.approvers.people = ['alice', 'zoe'];
    const file = writeJson('cdk.json', { context: { jitAccess: raw } });

    // Act
    const run = await cli(
      'plan',
      '--vendor',
      'acme',
      '--targets',
      'group:billing-db',
      '--duration',
      '1h',
      '--config',
      file,
    );

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'jitAccess.approvers.people[1]: "zoe" is not in jitAccess.people: add the person with their AWS identities, or fix the name',
    ]);
  });

  test('refuses a grant id that could not name a role', async () => {
    // Act
    const run = await cli(
      'plan',
      '--vendor',
      'acme',
      '--targets',
      'group:billing-db',
      '--duration',
      '1h',
      '--grant-id',
      'Bad Id',
    );

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--grant-id: "Bad Id" is not a grant id');
  });
});
