import { App } from 'aws-cdk-lib';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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

/** What the local template is made of: the app, the stack and function code, cdk.json, the lock file, this file. */
const SYNTH_INPUTS = [
  'bin',
  'lib',
  'lambdas',
  'cdk.json',
  'package-lock.json',
  'scripts/local-aws/synthesized-stack.ts',
];
/** Beside the template in `outdir`: the digest of its inputs and of the template itself, when this file wrote it. */
const STAMP_FILE = '.jit-local-synth';

function filesUnder(entry: string): string[] {
  if (!existsSync(entry)) return [];
  if (!statSync(entry).isDirectory()) return [entry];
  return readdirSync(entry)
    .sort()
    .flatMap((name) => filesUnder(path.join(entry, name)));
}

function inputsDigest(): string {
  const hash = createHash('sha256');
  for (const file of SYNTH_INPUTS.flatMap((input) => filesUnder(path.join(REPO_ROOT, input)))) {
    hash.update(path.relative(REPO_ROOT, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface SynthesizeOptions {
  /** Called with `true` when the template in `outdir` was reused (nothing it is made of changed), else `false`. */
  readonly reused?: (reused: boolean) => void;
}

/**
 * Synthesizes the real stack from cdk.json into `outdir` (the bundles come from the shared cache; the handlers run
 * in-process) and reads back the CloudFormation template that `cdk synth` would write. When `outdir` already holds
 * the template this function wrote from the same inputs (the digest in `.jit-local-synth` matches both the inputs and
 * the template), it is read back instead: a second `npm run demo` with nothing changed does not synthesize again.
 */
export function synthesizeStack(outdir: string, options: SynthesizeOptions = {}): SynthesizedStack {
  const { context } = readCdkJson();
  const config = parseConfig(context.jitAccess);
  const digest = inputsDigest();
  const templatePath = path.join(outdir, 'JitAccess.template.json');
  const stampPath = path.join(outdir, STAMP_FILE);
  if (existsSync(stampPath) && existsSync(templatePath)) {
    const text = readFileSync(templatePath, 'utf8');
    if (readFileSync(stampPath, 'utf8') === `${digest} ${sha256(text)}\n`) {
      options.reused?.(true);
      const template = JSON.parse(text) as { Resources: Record<string, CfnResource> };
      return { config, templatePath, resources: template.Resources };
    }
  }
  options.reused?.(false);
  // CDK's own template validation (seconds of CPU) runs in `cdk synth` in CI and in its own test, not in local runs.
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  const stack = new JitAccessStack(app, 'JitAccess', { config });
  const assembly = app.synth();
  const written = path.join(assembly.directory, stack.templateFile);
  const text = readFileSync(written, 'utf8');
  const partial = `${stampPath}.${process.pid}`;
  writeFileSync(partial, `${digest} ${sha256(text)}\n`);
  renameSync(partial, stampPath);
  const template = JSON.parse(text) as { Resources: Record<string, CfnResource> };
  return { config, templatePath: written, resources: template.Resources };
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
