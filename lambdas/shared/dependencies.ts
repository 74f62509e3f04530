import { DynamoLedger, type Ledger } from '../adapters/ledger';
import { Ec2Network, type Network } from '../adapters/ec2';
import { IamGrantRoles, type GrantRoles } from '../adapters/iam';
import { SnsNotifier, type Notifier } from '../adapters/notifier';
import { SchedulerExpirySchedules, type ExpirySchedules } from '../adapters/scheduler';
import { SfnApprovalCallback, type ApprovalCallback } from '../adapters/sfn';
import { SsmSessionManager, type SessionManager } from '../adapters/ssm';
import type { PlanContext } from '../domain/planner';
import { awsClientConfig } from './aws-client-config';
import { systemClock, type Clock } from './clock';
import { readRuntimeSettings, type RuntimeSettings } from './environment';

/** Everything a handler talks to. Handlers receive it whole, so tests and the local harness can swap any part. */
export interface Dependencies {
  readonly settings: RuntimeSettings;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly roles: GrantRoles;
  readonly network: Network;
  readonly schedules: ExpirySchedules;
  readonly sessions: SessionManager;
  readonly notifier: Notifier;
  readonly approvals: ApprovalCallback;
}

/** Builds the real adapters from the Lambda environment. */
export function createDependencies(settings: RuntimeSettings = readRuntimeSettings()): Dependencies {
  const config = awsClientConfig();
  return {
    settings,
    clock: systemClock,
    ledger: new DynamoLedger(settings.ledgerTableName, config),
    roles: new IamGrantRoles(config),
    network: new Ec2Network(config),
    schedules: new SchedulerExpirySchedules(config),
    sessions: new SsmSessionManager(config),
    notifier: new SnsNotifier(settings.topicArn, config),
    approvals: new SfnApprovalCallback(config),
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
