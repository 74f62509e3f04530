import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ConfigError, parseConfig } from '../lib/config/load-config';
import type { JitAccessConfig } from '../lib/config/schema';
import { guardrailServiceControlPolicy, type GuardrailServiceControlPolicy } from '../lib/guardrail-scp';
import { JitAccessStack } from '../lib/jit-access-stack';
import { openApiDocument } from '../lib/openapi';
import { validatesTemplate } from '../lib/template-validation';
import { version } from '../package.json';

let builtinCloudFormationValidation: boolean;
try {
  builtinCloudFormationValidation = validatesTemplate(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
// CDK's own template validation runs in CI and when asked (JIT_VALIDATE_TEMPLATE=1): see lib/template-validation.ts.
const app = new App({ builtinCloudFormationValidation });

let config: JitAccessConfig;
try {
  config = parseConfig(app.node.tryGetContext('jitAccess'));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// Env-agnostic unless the CLI knows the account and region: synth never needs an AWS account, and nothing is looked up.
const stack = new JitAccessStack(app, 'JitAccess', {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'jit-access: approved, recorded, self-expiring vendor access to EC2 through SSM Session Manager',
});

// Each pack fails synth on a finding that is neither fixed nor acknowledged (with its reason) on the construct.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));

// Before synth, so a policy AWS Organizations would refuse (over its size limit) stops synth with its reason.
let guardrailScp: GuardrailServiceControlPolicy;
try {
  guardrailScp = guardrailServiceControlPolicy(stack, config.iamPath, { ownTrail: config.cloudTrail.create });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const assembly = app.synth();
// The operator API's contract, beside the template it belongs to.
writeFileSync(
  path.join(assembly.directory, `${stack.artifactId}.openapi.json`),
  `${JSON.stringify(openApiDocument(version), null, 2)}\n`,
);
// Minified: AWS Organizations counts every character, whitespace included, against the SCP size limit.
writeFileSync(
  path.join(assembly.directory, `${stack.artifactId}.guardrail-scp.json`),
  `${JSON.stringify(guardrailScp)}\n`,
);
