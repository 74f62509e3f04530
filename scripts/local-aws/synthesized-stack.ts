import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../lib/config/load-config';
import type { JitAccessConfig } from '../../lib/config/schema';
import { JitAccessStack } from '../../lib/jit-access-stack';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-aws';

export { LOCAL_ACCOUNT, LOCAL_REGION };
const REPO_ROOT = path.resolve(__dirname, '..', '..');

type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, CfnValue>;
}

export interface SynthesizedStack {
  readonly config: JitAccessConfig;
  readonly templatePath: string;
  readonly resources: Readonly<Record<string, CfnResource>>;
}

/** The cdk.json of this repository: its example config and feature flags, exactly as `cdk synth` reads them. */
function readCdkJson(): { context: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
}

/**
 * Synthesizes the real stack from cdk.json into `outdir` (the bundles come from the shared cache; the handlers run
 * in-process) and reads back the CloudFormation template that `cdk synth` would write.
 */
export function synthesizeStack(outdir: string): SynthesizedStack {
  const { context } = readCdkJson();
  const config = parseConfig(context.jitAccess);
  // CDK's own template validation (seconds of CPU) runs in `cdk synth` and in its own test, not in every local run.
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  const stack = new JitAccessStack(app, 'JitAccess', { config });
  const assembly = app.synth();
  const templatePath = path.join(assembly.directory, stack.templateFile);
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, CfnResource> };
  return { config, templatePath, resources: template.Resources };
}

/** Values a local run gives to CloudFormation references: physical names and ARNs in the local account. */
export type ReferenceResolver = (logicalId: string, attribute?: string) => string;

/** Resolves intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub of pseudo parameters) into plain values. */
export function resolveIntrinsics(value: CfnValue, resolve: ReferenceResolver): CfnValue {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resolve));
  if (value === null || typeof value !== 'object') return value;
  if ('Ref' in value) return resolvePseudo(String(value.Ref)) ?? resolve(String(value.Ref));
  if ('Fn::GetAtt' in value) {
    const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
    return resolve(logicalId, attribute);
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, CfnValue[]];
    return parts.map((p) => String(resolveIntrinsics(p, resolve))).join(separator);
  }
  if ('Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') {
    return value['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => resolvePseudo(name) ?? resolve(name));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(v, resolve)]));
}

function resolvePseudo(name: string): string | undefined {
  return (
    {
      'AWS::Partition': 'aws',
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
    } as Record<string, string>
  )[name];
}

/** The logical id of the one resource of a type whose logical id starts with `prefix`. */
export function findResource(
  stack: SynthesizedStack,
  type: string,
  prefix = '',
): { logicalId: string; resource: CfnResource } {
  const matches = Object.entries(stack.resources).filter(([id, r]) => r.Type === type && id.startsWith(prefix));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} starting with "${prefix}" in the template, found ${matches.length}`);
  }
  const [logicalId, resource] = matches[0] as [string, CfnResource];
  return { logicalId, resource };
}

/** The handler module name (`grant`, `revoke`, ...) of a Lambda resource, from its `jit-access:handler` tag. */
export function handlerNameOf(resource: CfnResource): string | undefined {
  const tags = (resource.Properties?.Tags ?? []) as Array<{ Key: string; Value: string }>;
  return tags.find((t) => t.Key === 'jit-access:handler')?.Value;
}
