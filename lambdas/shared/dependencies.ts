import { DynamoLedger, type Ledger } from '../adapters/ledger';
import { Ec2Network, type Network } from '../adapters/ec2';
import { IamGrantRoles, type GrantRoles } from '../adapters/iam';
import { SnsNotifier, type Notifier } from '../adapters/notifier';
import { SchedulerExpirySchedules, type ExpirySchedules } from '../adapters/scheduler';
import { CloudWatchSessionLogs, type SessionLogs } from '../adapters/logs';
import {
  SfnApprovalCallback,
  SfnWorkflowExecutions,
  type ApprovalCallback,
  type WorkflowExecutions,
} from '../adapters/sfn';
import { SsmOsAccountCommands, SsmSessionManager, type OsAccountCommands, type SessionManager } from '../adapters/ssm';
import type { PlanContext } from '../domain/planner';
import { awsClientConfig } from './aws-client-config';
import { systemClock, systemSleeper, type Clock, type Sleeper } from './clock';
import { readRuntimeSettings, type RuntimeSettings } from './environment';

/** Everything a handler talks to. Handlers receive it whole, so tests and the local harness can swap any part. */
export interface Dependencies {
  readonly settings: RuntimeSettings;
  readonly clock: Clock;
  /** Waits between the residue checks of a revoke (AWS lists what was just deleted for a while). */
  readonly sleep: Sleeper;
  readonly ledger: Ledger;
  readonly roles: GrantRoles;
  readonly network: Network;
  readonly schedules: ExpirySchedules;
  readonly sessions: SessionManager;
  readonly osAccounts: OsAccountCommands;
  readonly notifier: Notifier;
  readonly approvals: ApprovalCallback;
  readonly executions: WorkflowExecutions;
  readonly sessionLogs: SessionLogs;
}

/**
 * Builds the real adapters from the Lambda environment, each on first use: a function creates only the clients
 * its own work touches.
 */
export function createDependencies(settings: RuntimeSettings = readRuntimeSettings()): Dependencies {
  const config = awsClientConfig();
  const once = <T>(make: () => T): (() => T) => {
    let made: T | undefined;
    return () => (made ??= make());
  };
  const required = (value: string | undefined, name: string): string => {
    if (!value) throw new Error(`this function has no ${name}: it does not take part in that step`);
    return value;
  };
  const ledger = once(() => new DynamoLedger(settings.ledgerTableName, config));
  const roles = once(() => new IamGrantRoles(config));
  const network = once(() => new Ec2Network(config));
  const schedules = once(() => new SchedulerExpirySchedules(config));
  const sessions = once(() => new SsmSessionManager(config));
  const osAccounts = once(
    () => new SsmOsAccountCommands(config, settings.osAccountDocumentName, undefined, settings.evidenceBucketName),
  );
  const notifier = once(() => new SnsNotifier(settings.topicArn, config));
  const approvals = once(() => new SfnApprovalCallback(config));
  const executions = once(
    () => new SfnWorkflowExecutions(required(settings.stateMachineArn, 'STATE_MACHINE_ARN'), config),
  );
  const sessionLogs = once(
    () => new CloudWatchSessionLogs(required(settings.sessionLogGroupName, 'SESSION_LOG_GROUP_NAME'), config),
  );
  return {
    settings,
    clock: systemClock,
    sleep: systemSleeper,
    get ledger() {
      return ledger();
    },
    get roles() {
      return roles();
    },
    get network() {
      return network();
    },
    get schedules() {
      return schedules();
    },
    get sessions() {
      return sessions();
    },
    get osAccounts() {
      return osAccounts();
    },
    get notifier() {
      return notifier();
    },
    get approvals() {
      return approvals();
    },
    get executions() {
      return executions();
    },
    get sessionLogs() {
      return sessionLogs();
    },
  };
}

let cached: Dependencies | undefined;

/** The Lambda's dependencies, created on first use and kept for the container's life (clients reuse connections). */
export function lambdaDependencies(): Dependencies {
  cached ??= createDependencies();
  return cached;
}

/** What the planner needs to know about the deployed stack. */
export function planContext(settings: RuntimeSettings): PlanContext {
  return {
    env: settings.env,
    iamPath: settings.config.iamPath,
    permissionsBoundaryArn: settings.permissionsBoundaryArn,
    sessionDocumentName: settings.sessionDocumentName,
    sessionKeyArn: settings.sessionKeyArn,
    scheduleGroupName: settings.scheduleGroupName,
    securityGroups: settings.securityGroups,
  };
}
