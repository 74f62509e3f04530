import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Ec2Network } from '../../lambdas/adapters/ec2';
import { ValidationError } from '../../lambdas/domain/errors';
import { grantWindow } from '../../lambdas/domain/expiry';
import { planHash } from '../../lambdas/domain/plan-hash';
import { planGrant } from '../../lambdas/domain/planner';
import { checkQuotas } from '../../lambdas/domain/quotas';
import {
  checkGrantId,
  findEnabledVendor,
  parseRequestBody,
  requestedInstanceIds,
  validateRequestBody,
} from '../../lambdas/domain/request-validation';
import type { RequestBody } from '../../lambdas/domain/types';
import { ConfigError, parseConfig } from '../config/load-config';
import type { JitAccessConfig } from '../config/schema';
import { ArgumentCheck, parseDuration, parsePorts, parseStart, parseTargets, requireText } from './arguments';
import type { CliContext } from './context';
import { badInput, CliError, EXIT } from './errors';
import { describePlan, planView, type PlanView } from './plan-view';
import { planContextFrom, readOutputsFile } from './stack-facts';

interface PlanOptions {
  readonly vendor?: string;
  readonly targets?: string;
  readonly duration?: string;
  readonly ports?: string;
  readonly start?: string;
  readonly config: string;
  readonly outputs?: string;
  readonly grantId: string;
}

/** A preview's grant id: a real one is given to a request by the API. */
const PREVIEW_GRANT_ID = 'g-preview';

export function registerPlan(program: Command, context: () => CliContext): void {
  program
    .command('plan')
    .description(
      'exactly what a grant creates: of a grant (from the API), or of a request you describe (offline, from cdk.json)',
    )
    .argument('[grant-id]', "a grant's plan and the hash approvers were sent (needs the API)")
    .option('--vendor <id>', 'offline: the vendor')
    .option('--targets <list>', 'offline: instance ids and/or group:<name>, comma-separated')
    .option('--duration <time>', 'offline: how long: minutes (90), or 2h, 1h30m')
    .option('--ports <list>', 'offline: ports, e.g. 5432,udp:514,tcp:8000-8010')
    .option('--start <when>', 'offline: ISO date-time with a zone, or +30m (default: now)')
    .option('--config <file>', 'offline: the cdk.json holding the jitAccess config', 'cdk.json')
    .option('--outputs <file>', 'offline: stack outputs (cdk deploy --outputs-file) for exact ARNs and ids')
    .option('--grant-id <id>', 'offline: the grant id to name things with', PREVIEW_GRANT_ID)
    .action(async (grantId: string | undefined, options: PlanOptions) => {
      const ctx = context();
      const view = grantId ? await grantPlanView(ctx, grantId) : await offlinePlan(ctx, options);
      if (ctx.options.json) {
        ctx.json(view);
        return;
      }
      for (const line of describePlan(view)) ctx.say(line);
    });
}

async function grantPlanView(ctx: CliContext, grantId: string): Promise<PlanView> {
  const result = await (await ctx.api()).call('grantPlan', { params: { grantId } });
  if (result.delta) ctx.say(`extension: ${result.delta}`);
  return planView(result.plan, result.planHash);
}

async function offlinePlan(ctx: CliContext, options: PlanOptions): Promise<PlanView> {
  const check = new ArgumentCheck();
  const vendorId = check.take('--vendor', () => requireText(options.vendor, 'the vendor id (or give a grant id)'));
  const targets = check.take('--targets', () => parseTargets(options.targets ?? ''));
  const duration = check.take('--duration', () => parseDuration(options.duration ?? ''));
  const ports = options.ports ? check.take('--ports', () => parsePorts(options.ports ?? '')) : undefined;
  const now = ctx.io.now();
  const startAt = options.start ? check.take('--start', () => parseStart(options.start ?? '', now)) : undefined;
  check.take('--grant-id', () => checkGrantId(options.grantId, '--grant-id'));
  if (check.problems.length > 0) throw badInput(check.problems);

  const config = readConfig(options.config);
  const outputs = options.outputs ? readOutputsFile(options.outputs, ctx.options.stackName) : undefined;
  const { context, exact } = planContextFrom(config, outputs, ctx.options.region ?? process.env.AWS_REGION);
  try {
    const body: RequestBody = parseRequestBody({
      vendorId,
      targets,
      durationMinutes: duration,
      ...(startAt ? { startAt } : {}),
      ...(ports ? { ports } : {}),
      ticket: 'PREVIEW',
      reason: 'a preview of what a grant would create',
    });
    const vendor = findEnabledVendor(body.vendorId, config, new Set());
    const instanceIds = requestedInstanceIds(body);
    if (instanceIds.length > 0) ctx.progress(`[plan] looking up the target groups of ${instanceIds.join(', ')} in EC2`);
    const instances = instanceIds.length > 0 ? await describeInstances(ctx, instanceIds, context.env.region) : [];
    const validated = validateRequestBody(body, vendor, { config, now, instances });
    const window = grantWindow(validated.startAt, body.durationMinutes, now);
    const plan = planGrant(
      { grantId: options.grantId, ...(body.ports ? { ports: body.ports } : {}) },
      validated.targets,
      vendor,
      window,
      context,
    );
    checkQuotas(plan, {});
    if (!exact) {
      ctx.progress("[plan] a preview: pass --outputs <cdk deploy --outputs-file> for the stack's real ARNs and ids");
    }
    return planView(plan, planHash(plan));
  } catch (error) {
    if (error instanceof ValidationError) {
      const field = optionFor(error.field);
      throw new CliError(EXIT.badInput, [`${field}: ${error.message.slice(error.field.length + 2)}`], {
        code: error.code,
        field,
        message: error.message,
      });
    }
    throw error;
  }
}

/** The option a request field came from: `targets[1]` → `--targets`. */
function optionFor(field: string): string {
  const name = field.replace(/[[.].*$/, '');
  const options: Record<string, string> = {
    vendorId: '--vendor',
    targets: '--targets',
    durationMinutes: '--duration',
    startAt: '--start',
    ports: '--ports',
  };
  return options[name] ?? field;
}

function readConfig(file: string): JitAccessConfig {
  let raw: unknown;
  try {
    raw = (JSON.parse(readFileSync(file, 'utf8')) as { context?: { jitAccess?: unknown } }).context?.jitAccess;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError(EXIT.badInput, [`--config: ${file}: ${why}`], {
      code: 'BAD_INPUT',
      field: '--config',
      message: why,
    });
  }
  try {
    return parseConfig(raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(EXIT.badInput, [...error.problems], {
      code: 'BAD_CONFIG',
      field: '--config',
      message: error.problems.join('; '),
    });
  }
}

async function describeInstances(ctx: CliContext, instanceIds: readonly string[], region: string) {
  const network = new Ec2Network({
    region: region.startsWith('<') ? (process.env.AWS_REGION ?? 'us-east-1') : region,
    maxAttempts: 3,
    ...(ctx.options.profile ? { profile: ctx.options.profile } : {}),
  });
  try {
    return await network.describeInstances(instanceIds);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CliError(
      EXIT.refused,
      [`--targets: instance ids need EC2 to find their target group (${why}): use group:<name>, or --profile/--region`],
      { code: 'EC2_UNAVAILABLE', field: '--targets', message: why },
    );
  }
}
