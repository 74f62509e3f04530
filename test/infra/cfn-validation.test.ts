import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { JitAccessStack } from '../../lib/jit-access-stack';
import { exampleStackConfig, featureFlags } from '../helpers/synth-stack';

interface ValidationReport {
  readonly pluginReports: readonly { readonly pluginName: string; readonly violations: readonly unknown[] }[];
}

describe("CDK's built-in CloudFormation validation", () => {
  test('passes on the stack, with violations as errors (validateAgainstDefaultRules), as `cdk synth` runs it', () => {
    // Prepare: the other tests and local runs synthesize without it, to save its seconds of CPU; this one keeps it.
    const app = new App({ context: featureFlags() });
    new JitAccessStack(app, 'JitAccess', { config: exampleStackConfig() });

    // Act
    const assembly = app.synth();

    // Assess
    expect(featureFlags()['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    const report = JSON.parse(
      readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    expect(
      report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${JSON.stringify(v)}`)),
    ).toEqual([]);
  });
});
