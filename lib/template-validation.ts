/** The variable that turns CDK's own template validation on (`1`) or off (`0`) for one synth. */
export const VALIDATE_TEMPLATE_VARIABLE = 'JIT_VALIDATE_TEMPLATE';

/**
 * Whether `cdk synth` runs CDK's own CloudFormation template validation (the `@aws-cdk/core:validateAgainstDefaultRules`
 * flag: cfn-lint's rules compiled to WebAssembly, about half of a synth's time on 2 cores). It runs where it protects:
 * in CI (`CI` set, as every CI service sets it) and whenever `JIT_VALIDATE_TEMPLATE=1`, for example in the pipeline that
 * deploys; `JIT_VALIDATE_TEMPLATE=0` turns it off. cdk-nag's checks run on every synth regardless, and `npm test`
 * runs cfn-lint itself on the synthesized template.
 */
export function validatesTemplate(env: NodeJS.ProcessEnv): boolean {
  const asked = env[VALIDATE_TEMPLATE_VARIABLE];
  if (asked === '1') return true;
  if (asked === '0') return false;
  if (asked !== undefined && asked !== '') {
    throw new Error(`${VALIDATE_TEMPLATE_VARIABLE} must be 1 (validate the template) or 0 (skip it), not "${asked}"`);
  }
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
