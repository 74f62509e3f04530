import { z } from 'zod';
import { jitAccessConfigSchema, type JitAccessConfig } from '../../lib/config/schema';

/**
 * Names of the environment variables the stack sets on the Lambdas. The CDK side imports these names, so the two
 * sides cannot drift apart.
 */
export const ENV = {
  /** The validated stack config, inlined at bundle time (esbuild `define`), so it has no 4 KB environment limit. */
  config: 'JIT_CONFIG',
  ledgerTable: 'LEDGER_TABLE_NAME',
  topicArn: 'NOTIFICATION_TOPIC_ARN',
  accountId: 'ACCOUNT_ID',
  partition: 'PARTITION',
  region: 'AWS_REGION',
  boundaryArn: 'PERMISSIONS_BOUNDARY_ARN',
  sessionDocument: 'SESSION_DOCUMENT_NAME',
  sessionKeyArn: 'SESSION_KEY_ARN',
  scheduleGroup: 'SCHEDULE_GROUP_NAME',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  schedulerDlqArn: 'SCHEDULER_DLQ_ARN',
  revokeFunctionArn: 'REVOKE_FUNCTION_ARN',
  securityGroups: 'JIT_SECURITY_GROUPS',
  /** Only on the API functions that start executions. */
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** Only on the API function that reads session logs (watch). */
  sessionLogGroup: 'SESSION_LOG_GROUP_NAME',
  /** Optional: an AWS endpoint (for example a local moto server) every adapter talks to instead of AWS. */
  endpoint: 'JIT_AWS_ENDPOINT',
} as const;

const nonEmpty = z.string().min(1);

const runtimeSchema = z.object({
  [ENV.ledgerTable]: nonEmpty,
  [ENV.topicArn]: nonEmpty,
  [ENV.accountId]: z.string().regex(/^\d{12}$/),
  [ENV.partition]: nonEmpty.default('aws'),
  [ENV.region]: nonEmpty,
  [ENV.boundaryArn]: nonEmpty,
  [ENV.sessionDocument]: nonEmpty,
  [ENV.sessionKeyArn]: nonEmpty,
  [ENV.scheduleGroup]: nonEmpty,
  [ENV.schedulerRoleArn]: nonEmpty,
  [ENV.schedulerDlqArn]: nonEmpty,
  [ENV.revokeFunctionArn]: nonEmpty,
  [ENV.securityGroups]: nonEmpty,
  [ENV.stateMachineArn]: nonEmpty.optional(),
  [ENV.sessionLogGroup]: nonEmpty.optional(),
});

/** Everything a handler needs to know about the deployed stack. */
export interface RuntimeSettings {
  readonly config: JitAccessConfig;
  readonly ledgerTableName: string;
  readonly topicArn: string;
  readonly env: { readonly accountId: string; readonly region: string; readonly partition: string };
  readonly permissionsBoundaryArn: string;
  readonly sessionDocumentName: string;
  readonly sessionKeyArn: string;
  readonly scheduleGroupName: string;
  readonly schedulerRoleArn: string;
  readonly schedulerDlqArn: string;
  readonly revokeFunctionArn: string;
  /** JIT ingress security group id per target group name. */
  readonly securityGroups: Readonly<Record<string, string>>;
  /** The approval workflow; set only where executions are started. */
  readonly stateMachineArn?: string;
  /** The session log group; set only where session logs are read. */
  readonly sessionLogGroupName?: string;
}

/** Reads and checks the Lambda environment once; a missing variable fails the cold start with its name. */
export function readRuntimeSettings(): RuntimeSettings {
  const parsed = runtimeSchema.safeParse(process.env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`jit-access Lambda environment is incomplete or invalid: ${names}`);
  }
  const vars = parsed.data;
  // Spelled out (not process.env[ENV.config]) so that esbuild's `define` can replace it at bundle time.
  const rawConfig = process.env.JIT_CONFIG;
  if (!rawConfig) throw new Error(`jit-access Lambda environment is missing ${ENV.config}`);
  return {
    config: jitAccessConfigSchema.parse(JSON.parse(rawConfig)),
    ledgerTableName: vars[ENV.ledgerTable],
    topicArn: vars[ENV.topicArn],
    env: { accountId: vars[ENV.accountId], region: vars[ENV.region], partition: vars[ENV.partition] },
    permissionsBoundaryArn: vars[ENV.boundaryArn],
    sessionDocumentName: vars[ENV.sessionDocument],
    sessionKeyArn: vars[ENV.sessionKeyArn],
    scheduleGroupName: vars[ENV.scheduleGroup],
    schedulerRoleArn: vars[ENV.schedulerRoleArn],
    schedulerDlqArn: vars[ENV.schedulerDlqArn],
    revokeFunctionArn: vars[ENV.revokeFunctionArn],
    securityGroups: z.record(z.string(), z.string()).parse(JSON.parse(vars[ENV.securityGroups])),
    ...(vars[ENV.stateMachineArn] ? { stateMachineArn: vars[ENV.stateMachineArn] } : {}),
    ...(vars[ENV.sessionLogGroup] ? { sessionLogGroupName: vars[ENV.sessionLogGroup] } : {}),
  };
}
