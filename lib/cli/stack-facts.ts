import { readFileSync } from 'node:fs';
import type { PlanContext } from '../../lambdas/domain/planner';
import type { JitAccessConfig } from '../config/schema';
import { OUTPUTS, securityGroupOutput } from '../stack-outputs';
import { CliError, EXIT } from './errors';

/**
 * What the planner needs to know about the deployed stack, from the outputs `cdk deploy --outputs-file` writes (or
 * that `npm run local` writes for the local stack). Without them, placeholders stand in and the plan is a preview.
 */
export function planContextFrom(
  config: JitAccessConfig,
  outputs: Readonly<Record<string, string>> | undefined,
  region: string | undefined,
): { readonly context: PlanContext; readonly exact: boolean } {
  const value = (key: string) => outputs?.[key] ?? `<${key}>`;
  const keyArn = outputs?.[OUTPUTS.sessionKeyArn];
  const [, partition, , arnRegion, accountId] = keyArn?.split(':') ?? [];
  const groups = Object.fromEntries(
    config.targetGroups.map((g) => [g.name, g.securityGroupId ?? value(securityGroupOutput(g.name))]),
  );
  const context: PlanContext = {
    env: {
      accountId: accountId ?? '<account>',
      region: arnRegion ?? region ?? '<region>',
      partition: partition ?? 'aws',
    },
    // What the deployed stack uses, if the outputs say: the local cdk.json may have moved on.
    iamPath: outputs?.[OUTPUTS.grantRolePath] ?? config.iamPath,
    permissionsBoundaryArn: value(OUTPUTS.permissionsBoundaryArn),
    sessionDocumentName: value(OUTPUTS.sessionDocumentName),
    sessionKeyArn: value(OUTPUTS.sessionKeyArn),
    scheduleGroupName: value(OUTPUTS.scheduleGroupName),
    securityGroups: groups,
  };
  const exact = JSON.stringify(context).indexOf('<') === -1;
  return { context, exact };
}

/** The stack's outputs from a `cdk deploy --outputs-file` JSON file: `{ "<stack>": { "<output>": "<value>" } }`. */
export function readOutputsFile(file: string, stackName: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw fileError(file, error instanceof Error ? error.message : String(error));
  }
  const stacks = parsed as Record<string, Record<string, string>>;
  const outputs = stacks[stackName] ?? (Object.keys(stacks).length === 1 ? Object.values(stacks)[0] : undefined);
  if (!outputs || typeof outputs !== 'object') {
    throw fileError(
      file,
      `has no outputs of stack ${stackName}: pass --stack-name, or the file cdk deploy --outputs-file wrote`,
    );
  }
  return outputs;
}

function fileError(file: string, why: string): CliError {
  return new CliError(EXIT.badInput, [`--outputs: ${file} ${why}`], {
    code: 'BAD_INPUT',
    field: '--outputs',
    message: why,
  });
}
