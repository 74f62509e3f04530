import { createHash, randomBytes } from 'node:crypto';
import type { OsAccountCommand, OsAccountCommands, SentCommands } from '../../lambdas/adapters/ssm';
import { CHANGE_SNAPSHOT_SCHEMA_VERSION, type ChangeSnapshot } from '../../lambdas/domain/change-delta';
import {
  changeSnapshotPrefix,
  snapshotPhaseOf,
  SNAPSHOT_STEP_NAMES,
} from '../../lambdas/domain/change-snapshot-layout';
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

/** What an instance's configuration holds, as the change snapshot collector reads it. */
export type InstanceConfiguration = Omit<
  ChangeSnapshot,
  'schemaVersion' | 'status' | 'phase' | 'takenAt' | 'instanceId'
>;

/** Where the SSM agent would upload the command's output (the evidence bucket), and the clock it would read. */
export interface SnapshotEvidence {
  put(key: string, body: string): Promise<void>;
  now(): Date;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A plausible Amazon Linux 2023 database instance, as its change snapshot would show it before any vendor work. */
function baselineConfiguration(): InstanceConfiguration {
  return {
    packages: {
      'amazon-ssm-agent': '3.3.1142.0-1.amzn2023.x86_64',
      bash: '5.2.15-1.amzn2023.0.2.x86_64',
      openssl: '3.0.8-1.amzn2023.0.14.x86_64',
      'postgresql15-server': '15.8-1.amzn2023.0.1.x86_64',
      sudo: '1.9.15-1.p5.amzn2023.0.1.x86_64',
    },
    services: ['amazon-ssm-agent.service', 'chronyd.service', 'postgresql.service', 'sshd.service'],
    users: {
      root: 'uid=0 gid=0 home=/root shell=/bin/bash',
      'ec2-user': 'uid=1000 gid=1000 home=/home/ec2-user shell=/bin/bash',
      'acme-support': 'uid=1001 gid=1001 home=/home/acme-support shell=/bin/bash',
      postgres: 'uid=26 gid=26 home=/var/lib/pgsql shell=/bin/bash',
    },
    groups: { wheel: 'gid=10 members=ec2-user', postgres: 'gid=26 members=acme-support' },
    sudoers: {
      '/etc/sudoers': sha256('root ALL=(ALL) ALL\n'),
      '/etc/sudoers.d/90-cloud-init-users': sha256('ec2-user ALL=(ALL) NOPASSWD:ALL\n'),
    },
    crontabs: {
      '/etc/crontab': sha256('SHELL=/bin/bash\n'),
      '/etc/cron.d/0hourly': sha256('01 * * * * root run-parts\n'),
    },
    listeningPorts: ['tcp 0.0.0.0:22 sshd', 'tcp 0.0.0.0:5432 postgres', 'udp 127.0.0.1:323 chronyd'],
    files: {
      '/etc/hosts': sha256('127.0.0.1 localhost\n'),
      '/etc/ssh/sshd_config': sha256('PasswordAuthentication no\n'),
      '/etc/postgresql/postgresql.conf': sha256('max_connections = 100\n'),
    },
  };
}

const LOCK_SUMMARY =
  'locked (processes killed, crontab removed, linger disabled, authorized_keys cleared, account locked and expired)';

/**
 * TEST DOUBLE. moto records SendCommand but runs nothing and has no ListCommandInvocations, so this in-memory stand-in
 * plays the instances' side of the stack's OS-account document behind the ssm adapter's interface: it keeps, per
 * instance and user, what the script would leave (unlocked or locked, metadata blocked or not) and every run. The
 * script itself is tested on its own (test/infra/os-account-script.test.ts).
 *
 * With `evidence`, it also plays the document's change snapshot steps: each instance has a configuration (a plausible
 * baseline that `changeConfiguration` alters, as a vendor's work would), and the unlock and the lock upload its
 * snapshot where the agent would, `change-snapshots/<grant>/<phase>/<command>/<instance>/awsrunShellScript/<step>/stdout`
 * in the evidence bucket. The collector itself is tested on its own (test/infra/change-snapshot-script.test.ts).
 *
 * @param record told of each call, so local runs count and fault them with the real AWS ones
 * @param instancesTagged the instances a tag group reaches (the real EC2 inventory in moto)
 * @param evidence where snapshots go; none: the document takes none (change tracking off)
 */
export class InMemoryOsAccountsDouble implements OsAccountCommands {
  readonly runs: OsAccountRun[] = [];
  /** Instances where the lock fails (the script exits non-zero), for tests of a lock that did not hold. */
  readonly lockFailsOn = new Set<string>();
  private readonly accounts = new Map<string, LocalOsAccount>();
  private readonly commands = new Map<string, OsAccountOutcome[]>();
  private readonly configurations = new Map<string, InstanceConfiguration>();
  private readonly comments = new Map<string, string>();
  /** Status-change events of the runs, not yet handed to the stack's rule target (see `takeEvents`). */
  private events: CommandInvocationEvent[] = [];

  constructor(
    private readonly record: (call: `ssm:${string}`) => void,
    private readonly instancesTagged: (tagKey: string, tagValue: string) => Promise<string[]>,
    private readonly evidence?: SnapshotEvidence,
    private readonly documentName: string = 'JitAccess-OsAccount',
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
        // The document's order: the start snapshot before the unlock, the end snapshot after the lock.
        if (command.action === 'unlock') await this.snapshot(command, instanceId, commandId);
        if (!fails) this.run(command, instanceId, commandId);
        if (command.action === 'lock') await this.snapshot(command, instanceId, commandId);
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

  /** What a vendor's work changed on an instance (files, packages, users, ...), for the next snapshot to show. */
  changeConfiguration(instanceId: string, change: Partial<InstanceConfiguration>): void {
    const current = this.configurationOf(instanceId);
    const merged = { ...current } as Record<string, unknown>;
    for (const [category, value] of Object.entries(change)) {
      const before = current[category as keyof InstanceConfiguration];
      merged[category] = Array.isArray(value)
        ? [...new Set([...(before as string[]), ...value])].sort()
        : { ...(before as Record<string, string>), ...value };
    }
    this.configurations.set(instanceId, merged as InstanceConfiguration);
  }

  async endSnapshotFailed(_commandId: string, _instanceId: string): Promise<boolean> {
    this.record('ssm:GetCommandInvocation');
    // The double's collector always succeeds: its snapshots are written whole to the evidence bucket.
    return false;
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

  private configurationOf(instanceId: string): InstanceConfiguration {
    let configuration = this.configurations.get(instanceId);
    if (!configuration) {
      configuration = baselineConfiguration();
      this.configurations.set(instanceId, configuration);
    }
    return configuration;
  }

  private async snapshot(command: OsAccountCommand, instanceId: string, commandId: string): Promise<void> {
    if (!this.evidence) return;
    const phase = snapshotPhaseOf(command.action);
    const snapshot: ChangeSnapshot = {
      schemaVersion: CHANGE_SNAPSHOT_SCHEMA_VERSION,
      status: 'ok',
      phase,
      takenAt: this.evidence
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      instanceId,
      ...this.configurationOf(instanceId),
    };
    const key = `${changeSnapshotPrefix(command.grantId, phase)}${commandId}/${instanceId}/awsrunShellScript/${SNAPSHOT_STEP_NAMES[phase]}/stdout`;
    await this.evidence.put(key, `${JSON.stringify(snapshot)}\n`);
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
