import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exampleConfig } from '../helpers/config-fixture';
import { scratchDir } from '../helpers/scratch-dir';
import { buildStack } from '../helpers/synth-stack';
import { CFN_LINT } from '../../scripts/local-aws/local-aws';

interface LintMatch {
  readonly Level: string;
  readonly Rule: { readonly Id: string };
  readonly Message: string;
}

/**
 * cfn-lint's findings on a template, as `<level> <rule>: <message>`. cfn-lint exits non-zero when it finds something;
 * a cfn-lint that did not run (missing, crashed, no JSON report) throws, so no test passes for want of the tool.
 */
function lint(templatePath: string, binary = CFN_LINT): string[] {
  // W3005 flags the DependsOn that CDK itself adds next to a GetAtt (a role before its function): harmless, CDK's.
  const args = ['--format', 'json', '--ignore-checks', 'W3005', '--', templatePath];
  let output: string;
  try {
    output = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { status, stdout } = error as { status?: number | null; stdout?: string };
    if (typeof status !== 'number' || !stdout) throw error;
    output = stdout;
  }
  return (JSON.parse(output) as LintMatch[]).map((m) => `${m.Level} ${m.Rule.Id}: ${m.Message}`);
}

describe('the synthesized template under cfn-lint', () => {
  it('has no errors and no warnings', () => {
    // Prepare
    // The example with the options that add resources or properties on: its own trail, archiving evidence.
    const { app, stack } = buildStack(
      exampleConfig((raw) => {
        raw.cloudTrail = { create: true };
        raw.objectLockDays = 400;
        raw.archiveAfterDays = 90;
      }),
    );
    const templatePath = app.synth().getStackByName(stack.stackName).templateFullPath;

    // Act
    const findings = lint(templatePath);

    // Assess
    expect(findings).toEqual([]);
  });

  it('reports a broken template, so an empty report means cfn-lint read the template', () => {
    // Prepare: a bucket with a property S3 does not have, and a reference to nothing.
    const templatePath = path.join(scratchDir('jit-cfn-lint-broken-'), 'broken.json');
    writeFileSync(
      templatePath,
      JSON.stringify({
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket', Properties: { NoSuchProperty: true, BucketName: { Ref: 'Missing' } } },
        },
      }),
    );

    // Act
    const findings = lint(templatePath);

    // Assess
    expect(findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Error E3002: /), expect.stringMatching(/^Error E1020: /)]),
    );
  });

  it('fails, instead of passing, when cfn-lint cannot run', () => {
    // Act
    const running = () => lint(__filename, path.join(tmpdir(), 'no-such-cfn-lint'));

    // Assess
    expect(running).toThrow(/ENOENT/);
  });
});
