import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config/load-config';
import type { JitAccessConfig } from '../../lib/config/schema';
import { JitAccessStack } from '../../lib/jit-access-stack';
import { scratchApp } from './scratch-app';
import { cachedTemplate } from './template-cache';

interface CdkJson {
  readonly context: Record<string, unknown>;
}

const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as CdkJson;

/** The feature flags of cdk.json (every context key but the jitAccess config), so tests synthesize like `cdk synth`. */
export function featureFlags(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(cdkJson.context).filter(([key]) => key !== 'jitAccess'));
}

/** The example config of cdk.json, parsed with defaults applied. */
export function exampleStackConfig(): JitAccessConfig {
  return parseConfig(cdkJson.context.jitAccess);
}

export interface SynthesizedStack {
  readonly app: App;
  readonly stack: JitAccessStack;
  readonly config: JitAccessConfig;
}

/**
 * Builds the stack as `bin/jit-access.ts` does, from the cdk.json example and feature flags. The function bundles come
 * from one cached esbuild pass; CDK's own template validation runs in its own test (test/infra/cfn-validation), not
 * in every synth here, so a test file synthesizes in about a second. The app synthesizes into a scratch directory
 * that is removed after the test file.
 */
export function buildStack(config: JitAccessConfig = exampleStackConfig()): SynthesizedStack {
  const app = scratchApp({ context: featureFlags(), builtinCloudFormationValidation: false });
  const stack = new JitAccessStack(app, 'JitAccess', { config });
  return { app, stack, config };
}

/**
 * The synthesized CloudFormation template of the stack for `config` (the cdk.json example by default), synthesized
 * once per change of the sources and shared by every test file and jest worker (see template-cache.ts).
 */
export function synthTemplate(config: JitAccessConfig = exampleStackConfig()): Template {
  return Template.fromJSON(
    cachedTemplate(['synthTemplate', config], () => Template.fromStack(buildStack(config).stack).toJSON()),
  );
}

/** One IAM policy statement as it appears in the template (values may be CloudFormation intrinsics). */
export interface TemplateStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

interface PolicyDocument {
  readonly Statement: TemplateStatement[];
}

function resources(template: Template): Record<string, TemplateResource> {
  return (template.toJSON() as { Resources: Record<string, TemplateResource> }).Resources;
}

/** A statement's actions as a list, whether the template holds one string or many. */
export function actionsOf(statement: TemplateStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** A statement's resources as a list. */
export function resourcesOf(statement: TemplateStatement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Logical id of the Lambda function tagged `jit-access:handler = <handlerName>`. */
export function functionLogicalId(template: Template, handlerName: string): string {
  const matches = Object.entries(resources(template)).filter(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      ((resource.Properties?.Tags ?? []) as { Key: string; Value: string }[]).some(
        (tag) => tag.Key === 'jit-access:handler' && tag.Value === handlerName,
      ),
  );
  if (matches.length !== 1) throw new Error(`expected one function tagged ${handlerName}, found ${matches.length}`);
  return matches[0]![0];
}

/** Every statement of every policy attached to the role of the function for `handlerName`. */
export function statementsOfHandler(template: Template, handlerName: string): TemplateStatement[] {
  const all = resources(template);
  const fn = all[functionLogicalId(template, handlerName)]!;
  const [roleId] = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return Object.values(all)
    .filter((resource) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type))
    .filter((resource) => ((resource.Properties!.Roles ?? []) as unknown[]).some((r) => isRef(r, roleId)))
    .flatMap((resource) => (resource.Properties!.PolicyDocument as PolicyDocument).Statement);
}

/** Every statement of every IAM policy in the template: policies, managed policies and inline role policies. */
export function allStatements(
  template: Template,
): { readonly source: string; readonly statement: TemplateStatement }[] {
  return Object.entries(resources(template)).flatMap(([id, resource]) => {
    const documents: PolicyDocument[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resource.Properties!.PolicyDocument as PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      const inline = (resource.Properties!.Policies ?? []) as { PolicyDocument: PolicyDocument }[];
      documents.push(...inline.map((policy) => policy.PolicyDocument));
    }
    return documents.flatMap((document) => document.Statement.map((statement) => ({ source: id, statement })));
  });
}

/** Logical id of the only resource of `type` whose properties match `properties`. */
export function onlyLogicalId(template: Template, type: string, properties?: object): string {
  const ids = Object.keys(template.findResources(type, properties ? { Properties: properties } : undefined));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0]!;
}

function isRef(value: unknown, logicalId: string): boolean {
  return typeof value === 'object' && value !== null && (value as { Ref?: unknown }).Ref === logicalId;
}
