import { randomBytes } from 'node:crypto';
import type { OsAccountCommand, OsAccountCommands, SentCommands } from '../../lambdas/adapters/ssm';
import {
  COMMAND_INVOCATION_STATUS_CHANGE,
  commandComment,
  commandOrigin,
  type CommandOrigin,
} from '../../lambdas/domain/os-accounts';
import type { OsAccountOutcome } from '../../lambdas/domain/types';

/** What the OS-account script leaves on one instance for one user. */
export interface LocalOsAccount {
  readonly instanceId: string;
  readonly osUser: string;
  readonly state: 'unlocked' | 'locked';
  readonly imdsBlocked: boolean;
}

/** SSM's status-change event of one command on one instance, as EventBridge hands it to a rule's target. */
export interface CommandInvocationEvent {
  readonly source: 'aws.ssm';
  readonly 'detail-type': typeof COMMAND_INVOCATION_STATUS_CHANGE;
  readonly detail: {
    readonly 'command-id': string;
    readonly 'document-name': string;
    readonly 'instance-id': string;
    readonly status: string;
  };
}

/** One run of the document on one instance, in the words the demo prints. */
export interface OsAccountRun {
  readonly instanceId: string;
  readonly osUser: string;
  readonly action: OsAccountCommand['action'];
  readonly commandId: string;
  readonly summary: string;
}

const LOCK_SUMMARY =
  'locked (processes killed, crontab removed, linger disabled, authorized_keys cleared, account locked and expired)';

/**
 * TEST DOUBLE. moto records SendCommand but runs nothing and has no ListCommandInvocations, so this in-memory stand-in
 * plays the instances' side of the stack's OS-account document behind the ssm adapter's interface: it keeps, per
 * instance and user, what the script would leave (unlocked or locked, metadata blocked or not) and every run. The
 * script itself is tested on its own (test/infra/os-account-script.test.ts).
 *
 * @param record told of each call, so local runs count and fault them with the real AWS ones
 * @param instancesTagged the instances a tag group reaches (the real EC2 inventory in moto)
 */
export class InMemoryOsAccountsDouble implements OsAccountCommands {
  readonly runs: OsAccountRun[] = [];
  /** Instances where the lock fails (the script exits non-zero), for tests of a lock that did not hold. */
  readonly lockFailsOn = new Set<string>();
  private readonly accounts = new Map<string, LocalOsAccount>();
  private readonly commands = new Map<string, OsAccountOutcome[]>();
  private readonly comments = new Map<string, string>();
  /** Status-change events of the runs, not yet handed to the stack's rule target (see `takeEvents`). */
  private events: CommandInvocationEvent[] = [];

  constructor(
    private readonly record: (call: `ssm:${string}`) => void,
    private readonly instancesTagged: (tagKey: string, tagValue: string) => Promise<string[]>,
    private readonly documentName = 'JitAccess-OsAccount',
  ) {}

  async send(command: OsAccountCommand): Promise<SentCommands> {
    const ids: string[] = [];
    const targetSets = [
      ...(command.targets.instanceIds.length > 0 ? [async () => [...command.targets.instanceIds]] : []),
      ...command.targets.groups.map((g) => () => this.instancesTagged(g.tagKey, g.tagValue)),
    ];
    for (const resolve of targetSets) {
      this.record('ssm:SendCommand');
      const commandId = randomBytes(16).toString('hex');
      const outcomes: OsAccountOutcome[] = [];
      for (const instanceId of await resolve()) {
        const fails = command.action === 'lock' && this.lockFailsOn.has(instanceId);
        if (!fails) this.run(command, instanceId, commandId);
        outcomes.push({ instanceId, commandId, status: fails ? 'failed' : 'succeeded' });
        this.events.push({
          source: 'aws.ssm',
          'detail-type': COMMAND_INVOCATION_STATUS_CHANGE,
          detail: {
            'command-id': commandId,
            'document-name': this.documentName,
            'instance-id': instanceId,
            status: fails ? 'Failed' : 'Success',
          },
        });
      }
      this.commands.set(commandId, outcomes);
      this.comments.set(commandId, commandComment(command.action, command.osUser, command.grantId));
      ids.push(commandId);
    }
    return { commandIds: ids, unreachable: [] };
  }

  async outcomes(commandIds: readonly string[]): Promise<OsAccountOutcome[]> {
    const outcomes: OsAccountOutcome[] = [];
    for (const commandId of commandIds) {
      this.record('ssm:ListCommandInvocations');
      outcomes.push(...(this.commands.get(commandId) ?? []));
    }
    return outcomes;
  }

  async origin(commandId: string): Promise<CommandOrigin | undefined> {
    this.record('ssm:ListCommands');
    return commandOrigin(this.comments.get(commandId));
  }

  /** The status-change events SSM has emitted since the last call: EventBridge delivers them after the sender returns. */
  takeEvents(): CommandInvocationEvent[] {
    const taken = this.events;
    this.events = [];
    return taken;
  }

  /** The users the script left unlocked: what a revoke must not leave behind. */
  unlocked(): LocalOsAccount[] {
    return [...this.accounts.values()].filter((a) => a.state === 'unlocked');
  }

  account(instanceId: string, osUser: string): LocalOsAccount | undefined {
    return this.accounts.get(`${instanceId}/${osUser}`);
  }

  private run(command: OsAccountCommand, instanceId: string, commandId: string): void {
    const { action, osUser } = command;
    const unlock = action === 'unlock';
    this.accounts.set(`${instanceId}/${osUser}`, {
      instanceId,
      osUser,
      state: unlock ? 'unlocked' : 'locked',
      imdsBlocked: unlock && command.blockImds,
    });
    const summary = unlock ? `unlocked${command.blockImds ? ' (instance metadata blocked for it)' : ''}` : LOCK_SUMMARY;
    this.runs.push({ instanceId, osUser, action, commandId, summary });
  }
}
