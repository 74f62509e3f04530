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
