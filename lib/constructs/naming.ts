import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The name of one of the stack's log groups, `/jit-access/<stack>/<parts>`: known before the group exists, so the KMS
 * key policies can name exactly the stack's log groups (no cycle through the group's ARN).
 */
export function stackLogGroupName(scope: IConstruct, ...parts: readonly string[]): string {
  return ['', 'jit-access', Stack.of(scope).stackName, ...parts].join('/');
}

/** The operational log groups (functions, workflow, API access logs), all under one prefix the log key names. */
export function operationalLogGroupName(scope: IConstruct, ...parts: readonly string[]): string {
  return stackLogGroupName(scope, 'ops', ...parts);
}

/** `billing-db` → `BillingDb`: construct ids and output names from config names. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * `<stack>-<suffix>`: the physical name of a resource the guardrail SCP names. An SCP cannot hold CloudFormation
 * tokens, so these resources get names known at synth instead of generated ones.
 */
export function stackResourceName(scope: IConstruct, suffix: string): string {
  return `${Stack.of(scope).stackName}-${suffix}`;
}

/**
 * `/jit-access-stack/<stack>/`: the IAM path of every role and managed policy the stack itself deploys (never a grant
 * role: those live under the configured `iamPath`). The guardrail SCP and the ledger's resource policy recognise the
 * stack's own principals by it.
 */
export function stackIamPath(scope: IConstruct): string {
  return `/jit-access-stack/${Stack.of(scope).stackName}/`;
}

/**
 * The session transcript bucket's name, `<stack>-sessions-<account>-<region>` in lower case: bucket names are global,
 * so account and region make it unique. Pass `*` for an account or region unknown at synth to get the SCP's pattern.
 */
export function sessionBucketName(
  scope: IConstruct,
  account: string = Stack.of(scope).account,
  region: string = Stack.of(scope).region,
): string {
  return `${Stack.of(scope).stackName.toLowerCase()}-sessions-${account}-${region}`;
}

/** The optional trail's bucket name, `<stack>-trail-<account>-<region>` in lower case, like `sessionBucketName`. */
export function trailBucketName(
  scope: IConstruct,
  account: string = Stack.of(scope).account,
  region: string = Stack.of(scope).region,
): string {
  return `${Stack.of(scope).stackName.toLowerCase()}-trail-${account}-${region}`;
}
