import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  changeSnapshotPrefix,
  OS_ACCOUNT_STEP_NAME,
  snapshotPhaseOf,
  SNAPSHOT_STEP_NAMES,
} from '../domain/change-snapshot-layout';
import {
  commandComment,
  commandOrigin,
  type CommandOrigin,
  type OsAccountAction,
  type OsAccountTargets,
} from '../domain/os-accounts';
import type { OsAccountOutcome } from '../domain/types';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { logger, metrics } from '../shared/powertools';
import { lazyClient } from './lazy-client';
import type { AdapterMaker } from '../shared/dependencies';

export interface LiveSession {
  readonly sessionId: string;
  readonly target: string;
  /** The ARN of who started it: for a vendor, `arn:aws:sts::<account>:assumed-role/jit-<grantId>/<session>`. */
  readonly owner: string;
}

/** Live Session Manager sessions: list them, end them. */
export interface SessionManager {
  listActiveSessions(): Promise<LiveSession[]>;
  /** Sessions started at or after `since`, live or ended (Session Manager keeps ended ones for 30 days). */
  listSessionsSince(since: string): Promise<LiveSession[]>;
  /** Ends the session at once; one already ended is not an error. */
  terminateSession(sessionId: string): Promise<void>;
}

export class SsmSessionManager implements SessionManager {
  private readonly aws;

  constructor(config: AwsClientConfig) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-ssm'),
      (sdk) => new sdk.SSMClient(config),
    );
  }

  async listActiveSessions(): Promise<LiveSession[]> {
    return this.describe('Active');
  }

  async listSessionsSince(since: string): Promise<LiveSession[]> {
    const filters = [{ key: 'InvokedAfter' as const, value: since }];
    return [...(await this.describe('Active', filters)), ...(await this.describe('History', filters))];
  }

  private async describe(
    state: 'Active' | 'History',
    filters?: Array<{ key: 'InvokedAfter'; value: string }>,
  ): Promise<LiveSession[]> {
    const { sdk, client } = await this.aws();
    const sessions: LiveSession[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.DescribeSessionsCommand({ State: state, NextToken: token, ...(filters ? { Filters: filters } : {}) }),
      );
      for (const session of page.Sessions ?? []) {
        sessions.push({
          sessionId: session.SessionId as string,
          target: session.Target as string,
          owner: session.Owner as string,
        });
      }
      token = page.NextToken;
    } while (token);
    return sessions;
  }

  async terminateSession(sessionId: string): Promise<void> {
    const { sdk, client } = await this.aws();
    // TerminateSession succeeds for sessions already ended, so a retry is harmless.
    await client.send(new sdk.TerminateSessionCommand({ SessionId: sessionId }));
  }
}

/** Sessions started with a grant's role credentials. */
export function sessionsOfRole(sessions: readonly LiveSession[], roleName: string): LiveSession[] {
  return sessions.filter((s) => s.owner.includes(`:assumed-role/${roleName}/`));
}

/** One unlock or lock of a vendor's OS user, sent with the stack's OS-account document. */
export interface OsAccountCommand {
  /**
   * The grant it acts for: named in the command's comment (the results function checks it), and its change snapshot
   * goes to `change-snapshots/<grantId>/<start|end>/`.
   */
  readonly grantId: string;
  readonly action: OsAccountAction;
  readonly osUser: string;
  readonly blockImds: boolean;
  readonly targets: OsAccountTargets;
}

/** The stack's OS-account document on the instances: send it, then read how it ended on each. */
export interface OsAccountCommands {
  /** Sends the command (one call for the named instances, one per tag group). */
  send(command: OsAccountCommand): Promise<SentCommands>;
  /** How each command ended on each instance, waiting (bounded) while any still runs; still running is `pending`. */
  outcomes(commandIds: readonly string[]): Promise<OsAccountOutcome[]>;
  /** What the command's comment says it is (action, user, grant); undefined for a command jit-access did not word. */
  origin(commandId: string): Promise<CommandOrigin | undefined>;
  /**
   * Whether the lock's end snapshot on this instance recorded a failure (its step exits 0, so the command's status
   * does not say): read once the lock's result has arrived, to count it as SnapshotFailed.
   */
  endSnapshotFailed(commandId: string, instanceId: string): Promise<boolean>;
}

export interface SentCommands {
  readonly commandIds: readonly string[];
  /** Named instances SSM would not send to (`InvalidInstanceId`: terminated, or not managed by a running agent). */
  readonly unreachable: readonly string[];
}

/** Statuses after which an invocation changes no more. */
const FINAL_INVOCATION_STATUSES = ['Success', 'Failed', 'Cancelled', 'TimedOut'];
const SEND_COMMAND_INSTANCE_LIMIT = 50;

export interface OsAccountPolling {
  /** Between two reads of a command still running. @default 2000 */
  readonly intervalMs: number;
  /**
   * Reads of a command before it counts as pending. About 15 s in all: the kill switch runs behind API Gateway's 29 s
   * limit, and a lock still pending is residue the sweeper sends again, never a silent gap. @default 8
   */
  readonly maxReads: number;
}

export class SsmOsAccountCommands implements OsAccountCommands {
  private readonly aws;

  constructor(
    config: AwsClientConfig,
    private readonly documentName: string,
    private readonly polling: OsAccountPolling = { intervalMs: 2000, maxReads: 8 },
    /** Where the agent uploads the command's output (the change snapshots); none: the snapshots are not kept. */
    private readonly evidenceBucket?: string,
  ) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-ssm'),
      (sdk) => new sdk.SSMClient(config),
    );
  }

  async send(command: OsAccountCommand): Promise<SentCommands> {
    const { sdk, client } = await this.aws();
    const base = {
      DocumentName: this.documentName,
      Parameters: {
        action: [command.action],
        osUser: [command.osUser],
        blockImds: [String(command.blockImds)],
      },
      Comment: commandComment(command.action, command.osUser, command.grantId),
      TimeoutSeconds: 600,
      // The same call carries the snapshot: the agent uploads each step's output under a key the audit derives from
      // the grant, the phase and the instance (no call of its own on the grant or revoke path).
      ...(this.evidenceBucket
        ? {
            OutputS3BucketName: this.evidenceBucket,
            OutputS3KeyPrefix: changeSnapshotPrefix(command.grantId, snapshotPhaseOf(command.action)),
          }
        : {}),
    };
    const commandIds: string[] = [];
    const unreachable: string[] = [];
    const sendTo = async (targets: object): Promise<void> => {
      const sent = await client.send(new sdk.SendCommandCommand({ ...base, ...targets }));
      commandIds.push(sent.Command?.CommandId as string);
    };
    for (const instanceIds of chunk(command.targets.instanceIds, SEND_COMMAND_INSTANCE_LIMIT)) {
      try {
        await sendTo({ InstanceIds: instanceIds });
      } catch (error) {
        if ((error as Error)?.name !== 'InvalidInstanceId') throw error;
        // One instance SSM cannot reach refuses the whole call: the others are sent one at a time.
        for (const instanceId of instanceIds) {
          try {
            await sendTo({ InstanceIds: [instanceId] });
          } catch (single) {
            if ((single as Error)?.name !== 'InvalidInstanceId') throw single;
            unreachable.push(instanceId);
          }
        }
      }
    }
    for (const group of command.targets.groups) {
      await sendTo({ Targets: [{ Key: `tag:${group.tagKey}`, Values: [group.tagValue] }] });
    }
    return { commandIds, unreachable };
  }

  async outcomes(commandIds: readonly string[]): Promise<OsAccountOutcome[]> {
    const outcomes: OsAccountOutcome[] = [];
    for (const commandId of commandIds) outcomes.push(...(await this.outcomesOf(commandId)));
    return outcomes;
  }

  private async outcomesOf(commandId: string): Promise<OsAccountOutcome[]> {
    const { sdk, client } = await this.aws();
    let invocations: { instanceId: string; status: string; snapshotFailed: boolean }[] = [];
    for (let read = 1; read <= this.polling.maxReads; read++) {
      invocations = [];
      let token: string | undefined;
      do {
        // Details: the steps' own statuses and output heads, in the same call, tell a failed snapshot apart.
        const page = await client.send(
          new sdk.ListCommandInvocationsCommand({ CommandId: commandId, NextToken: token, Details: true }),
        );
        for (const invocation of page.CommandInvocations ?? []) {
          const plugins = invocation.CommandPlugins ?? [];
          // The unlock or lock is its own step: once it has ended, the end snapshot still running after it does not
          // keep the lock waiting. Without step details, the whole command's status.
          const osAccountStep = plugins.find((p) => p.Name === OS_ACCOUNT_STEP_NAME)?.Status;
          invocations.push({
            instanceId: invocation.InstanceId as string,
            status:
              osAccountStep && FINAL_INVOCATION_STATUSES.includes(osAccountStep)
                ? osAccountStep
                : (invocation.Status ?? 'Pending'),
            snapshotFailed: plugins.some(isFailedSnapshotStep),
          });
        }
        token = page.NextToken;
      } while (token);
      const running = invocations.some((i) => !FINAL_INVOCATION_STATUSES.includes(i.status));
      // No invocation yet: a tag group not resolved yet, or one with no instance; the command's own status says.
      if (!running && (invocations.length > 0 || (await this.commandFinished(commandId)))) break;
      if (read < this.polling.maxReads) await sleep(this.polling.intervalMs);
    }
    countFailedSnapshots(commandId, invocations);
    return invocations.map(({ instanceId, status }) => ({
      instanceId,
      commandId,
      status: status === 'Success' ? 'succeeded' : FINAL_INVOCATION_STATUSES.includes(status) ? 'failed' : 'pending',
    }));
  }

  async origin(commandId: string): Promise<CommandOrigin | undefined> {
    const { sdk, client } = await this.aws();
    const { Commands } = await client.send(new sdk.ListCommandsCommand({ CommandId: commandId }));
    return commandOrigin(Commands?.[0]?.Comment);
  }

  async endSnapshotFailed(commandId: string, instanceId: string): Promise<boolean> {
    const { sdk, client } = await this.aws();
    const name = SNAPSHOT_STEP_NAMES.end;
    const step = await client.send(
      new sdk.GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId, PluginName: name }),
    );
    return isFailedSnapshotStep({ Name: name, Status: step.Status, Output: step.StandardOutputContent });
  }

  private async commandFinished(commandId: string): Promise<boolean> {
    const { sdk, client } = await this.aws();
    const { Commands } = await client.send(new sdk.ListCommandsCommand({ CommandId: commandId }));
    const status = Commands?.[0]?.Status;
    return status !== undefined && FINAL_INVOCATION_STATUSES.includes(status);
  }
}

/** A snapshot step's output begins so when the collector recorded a failure (lib/constructs/change-snapshot.sh). */
const FAILED_SNAPSHOT_OUTPUT = /^\s*\{"schemaVersion":\d+,"status":"failed"/;
const SNAPSHOT_STEPS: readonly string[] = Object.values(SNAPSHOT_STEP_NAMES);

function isFailedSnapshotStep(plugin: { Name?: string; Status?: string; Output?: string }): boolean {
  if (!SNAPSHOT_STEPS.includes(plugin.Name ?? '')) return false;
  const stepFailed = plugin.Status !== undefined && FINAL_INVOCATION_STATUSES.includes(plugin.Status);
  return (stepFailed && plugin.Status !== 'Success') || FAILED_SNAPSHOT_OUTPUT.test(plugin.Output ?? '');
}

/**
 * A failed snapshot never fails the lock (its step exits 0); it is counted here, where the command's result is read
 * anyway, as the metric SnapshotFailed, and the audit states it per instance from the evidence bucket.
 */
function countFailedSnapshots(
  commandId: string,
  invocations: readonly { instanceId: string; snapshotFailed: boolean }[],
) {
  const failed = invocations.filter((i) => i.snapshotFailed).map((i) => i.instanceId);
  if (failed.length === 0) return;
  logger.warn('change snapshot failed', { commandId, instanceIds: failed });
  metrics.addMetric('SnapshotFailed', MetricUnit.Count, failed.length);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Live sessions, through SSM Session Manager. */
export const makeSessions: AdapterMaker<'sessions'> = (_settings, config) => new SsmSessionManager(config);

/** The OS-account command (unlock, lock, change snapshots), through SSM Run Command. */
export const makeOsAccounts: AdapterMaker<'osAccounts'> = (settings, config) =>
  new SsmOsAccountCommands(config, settings.osAccountDocumentName, undefined, settings.evidenceBucketName);
