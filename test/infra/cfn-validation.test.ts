import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type App, CfnResource, Stack } from 'aws-cdk-lib';
import { synthesizeApp } from '../helpers/app-synth';
import { scratchApp } from '../helpers/scratch-app';
import { featureFlags } from '../helpers/synth-stack';

/** A stack CloudFormation would refuse: an SQS queue with a property of the wrong type and one that does not exist. */
function badStackApp(builtinCloudFormationValidation: boolean): App {
  const app = scratchApp({ context: featureFlags(), builtinCloudFormationValidation });
  const stack = new Stack(app, 'Bad');
  new CfnResource(stack, 'Queue', {
    type: 'AWS::SQS::Queue',
    properties: { VisibilityTimeout: 'thirty', NoSuchProperty: 1 },
  });
  return app;
}

describe("CDK's built-in CloudFormation validation", () => {
  test('passes on the stack as `cdk synth` runs it in CI (JIT_VALIDATE_TEMPLATE=1, see test/helpers/app-synth.ts)', () => {
    // Act: the CDK app's own run, shared with the other tests that read what it writes
    const synth = synthesizeApp();

    // Assess: a plugin is listed in the report only when it found something
    expect(synth.status).toBe(0);
    expect(featureFlags()['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    const report = readFileSync(path.join(synth.outdir, 'validation-report.json'), 'utf8');
    expect(report).not.toContain('CloudFormation Validate');
  });

  test('with the same feature flags, fails a synth whose template CloudFormation would refuse, naming each problem', () => {
    // Act
    const synth = () => badStackApp(true).synth();

    // Assess
    expect(synth).toThrow(
      /NoSuchProperty: Additional properties are not allowed[\s\S]*VisibilityTimeout: 'thirty' is not of type 'integer'/,
    );
  });

  test('is off when the app turns it off, as a local synth does', () => {
    // Act
    const assembly = badStackApp(false).synth();

    // Assess
    expect(assembly.getStackByName('Bad').template).toMatchObject({
      Resources: { Queue: { Properties: { VisibilityTimeout: 'thirty' } } },
    });
  });
});
