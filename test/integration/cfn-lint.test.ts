import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { exampleConfig } from '../helpers/config-fixture';
import { buildStack } from '../helpers/synth-stack';

const CFN_LINT = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'cfn-lint');

interface LintMatch {
  readonly Level: string;
  readonly Rule: { readonly Id: string };
  readonly Message: string;
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
    // W3005 flags the DependsOn that CDK itself adds next to a GetAtt (a role before its function): harmless, CDK's.
    let output: string;
    try {
      output = execFileSync(CFN_LINT, ['--format', 'json', '--ignore-checks', 'W3005', '--', templatePath], {
        encoding: 'utf8',
      });
    } catch (error) {
      // cfn-lint exits non-zero when it finds something; a cfn-lint that did not run fails the test.
      const { status, stdout } = error as { status?: number | null; stdout?: string };
      if (typeof status !== 'number' || !stdout) throw error;
      output = stdout;
    }

    // Assess
    const findings = (JSON.parse(output) as LintMatch[]).map((m) => `${m.Level} ${m.Rule.Id}: ${m.Message}`);
    expect(findings).toEqual([]);
  });
});
