import type { JitAccessConfig } from '../../lib/config/schema';

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
  revokedPolicyArn: 'REVOKED_POLICY_ARN',
  sessionDocument: 'SESSION_DOCUMENT_NAME',
  osAccountDocument: 'OS_ACCOUNT_DOCUMENT_NAME',
  sessionKeyArn: 'SESSION_KEY_ARN',
  scheduleGroup: 'SCHEDULE_GROUP_NAME',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  schedulerDlqArn: 'SCHEDULER_DLQ_ARN',
  revokeFunctionArn: 'REVOKE_FUNCTION_ARN',
  securityGroups: 'JIT_SECURITY_GROUPS',
  /** The evidence bucket: where the OS-account command's output (the change snapshots) goes. */
  evidenceBucket: 'EVIDENCE_BUCKET_NAME',
  /** Only on the API functions that start executions. */
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** Only on the API function that reads session logs (watch). */
  sessionLogGroup: 'SESSION_LOG_GROUP_NAME',
  /** Only on the audit function: the stack's asymmetric evidence key it signs manifests with. */
  evidenceKeyArn: 'EVIDENCE_KEY_ARN',
  /** Only on the audit function: the bucket Session Manager uploads transcripts to. */
  sessionBucket: 'SESSION_BUCKET_NAME',
  /** Optional: an AWS endpoint (for example a local moto server) every adapter talks to instead of AWS. */
  endpoint: 'JIT_AWS_ENDPOINT',
} as const;

/** Everything a handler needs to know about the deployed stack. */
export interface RuntimeSettings {
  readonly config: JitAccessConfig;
  readonly ledgerTableName: string;
  readonly topicArn: string;
  readonly env: { readonly accountId: string; readonly region: string; readonly partition: string };
  readonly permissionsBoundaryArn: string;
  /** The stack's deny-all managed policy: the only policy teardown may attach to a grant role. */
  readonly revokedPolicyArn: string;
  readonly sessionDocumentName: string;
  /** The Command document that unlocks and locks the vendor's OS user on the instances. */
  readonly osAccountDocumentName: string;
  readonly sessionKeyArn: string;
  readonly scheduleGroupName: string;
  readonly schedulerRoleArn: string;
  readonly schedulerDlqArn: string;
  readonly revokeFunctionArn: string;
  /** JIT ingress security group id per target group name. */
  readonly securityGroups: Readonly<Record<string, string>>;
  /** The evidence bucket, the OS-account command's output (change snapshots); without it, snapshots are not kept. */
  readonly evidenceBucketName?: string;
  /** The approval workflow; set only where executions are started. */
  readonly stateMachineArn?: string;
  /** The session log group; set only where session logs are read. */
  readonly sessionLogGroupName?: string;
}

const REQUIRED = [
  ENV.ledgerTable,
  ENV.topicArn,
  ENV.accountId,
  ENV.region,
  ENV.boundaryArn,
  ENV.revokedPolicyArn,
  ENV.sessionDocument,
  ENV.osAccountDocument,
  ENV.sessionKeyArn,
  ENV.scheduleGroup,
  ENV.schedulerRoleArn,
  ENV.schedulerDlqArn,
  ENV.revokeFunctionArn,
  ENV.securityGroups,
] as const;

function securityGroupsOf(json: string): Record<string, string> {
  const parsed = JSON.parse(json) as unknown;
  const valid =
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((id) => typeof id === 'string');
  if (!valid) throw new Error(`${ENV.securityGroups} must be a JSON object of target group → security group id`);
  return parsed as Record<string, string>;
}

/**
 * Reads the Lambda environment once; a missing variable fails the cold start with its name. The config is the one
 * synth validated and esbuild inlined into the bundle: it is not parsed again at every cold start.
 */
export function readRuntimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const missing = REQUIRED.filter((name) => !env[name]);
  if (!/^\d{12}$/.test(env[ENV.accountId] ?? '')) missing.push(ENV.accountId);
  if (missing.length > 0) {
    throw new Error(`jit-access Lambda environment is incomplete or invalid: ${[...new Set(missing)].join(', ')}`);
  }
  const value = (name: (typeof REQUIRED)[number]) => env[name] as string;
  // Spelled out (not process.env[ENV.config]) so that esbuild's `define` can replace it at bundle time.
  const rawConfig = process.env.JIT_CONFIG;
  if (!rawConfig) throw new Error(`jit-access Lambda environment is missing ${ENV.config}`);
  return {
    config: JSON.parse(rawConfig) as JitAccessConfig,
    ledgerTableName: value(ENV.ledgerTable),
    topicArn: value(ENV.topicArn),
    env: { accountId: value(ENV.accountId), region: value(ENV.region), partition: env[ENV.partition] || 'aws' },
    permissionsBoundaryArn: value(ENV.boundaryArn),
    revokedPolicyArn: value(ENV.revokedPolicyArn),
    sessionDocumentName: value(ENV.sessionDocument),
    osAccountDocumentName: value(ENV.osAccountDocument),
    sessionKeyArn: value(ENV.sessionKeyArn),
    scheduleGroupName: value(ENV.scheduleGroup),
    schedulerRoleArn: value(ENV.schedulerRoleArn),
    schedulerDlqArn: value(ENV.schedulerDlqArn),
    revokeFunctionArn: value(ENV.revokeFunctionArn),
    securityGroups: securityGroupsOf(value(ENV.securityGroups)),
    ...(env[ENV.evidenceBucket] ? { evidenceBucketName: env[ENV.evidenceBucket] } : {}),
    ...(env[ENV.stateMachineArn] ? { stateMachineArn: env[ENV.stateMachineArn] } : {}),
    ...(env[ENV.sessionLogGroup] ? { sessionLogGroupName: env[ENV.sessionLogGroup] } : {}),
  };
}
