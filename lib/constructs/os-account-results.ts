import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { COMMAND_INVOCATION_STATUS_CHANGE, RUNNING_INVOCATION_STATUSES } from '../../lambdas/domain/os-accounts';
import type { JitAccessConfig } from '../config/schema';
import type { LedgerTable } from './ledger-table';
import { JitFunction } from './jit-function';
import type { LifecycleFunctions } from './lifecycle-functions';
import type { Notifications } from './notifications';

/** Results arrive one per instance; two at a time keep up with a revoke of a large group, and bound its cost. */
const RESULTS_CONCURRENCY = 2;

export interface OsAccountResultsProps {
  readonly config: JitAccessConfig;
  readonly functions: LifecycleFunctions;
  readonly ledger: LedgerTable;
  readonly notifications: Notifications;
  /** The stack's OS-account document: only its commands' events are delivered. */
  readonly documentName: string;
  /** Where Lambda sends an event the function failed on after its retries (its alarm notifies). */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * The event pattern of the results rule: SSM's status change of one invocation of the stack's OS-account document,
 * once it has a result. `source` `aws.ssm` cannot be put on the bus by anyone but SSM.
 */
export function osAccountResultPattern(documentName: string): events.EventPattern {
  return {
    source: ['aws.ssm'],
    detailType: [COMMAND_INVOCATION_STATUS_CHANGE],
    detail: {
      'document-name': [documentName],
      status: events.Match.anythingBut(...RUNNING_INVOCATION_STATUSES),
    },
  };
}

/**
 * How a revoke's lock of the vendor's OS user ended on each instance, without the revoke waiting for it: an
 * EventBridge rule hands SSM's command invocation status-change events of the stack's OS-account document to the
 * `os-account-result` function, which checks that the grant the command names really sent it as a lock and records
 * the result in the ledger. A failed or timed-out lock reopens the grant for the sweeper, counts
 * `OsAccountLocksFailed` (its alarm is in TeardownAlarms) and alerts.
 */
export class OsAccountResults extends Construct {
  public readonly function: JitFunction;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: OsAccountResultsProps) {
    super(scope, id);
    const { config, functions } = props;
    this.function = new JitFunction(this, 'Function', {
      handlerName: 'os-account-result',
      config,
      environment: functions.environment,
      logEncryptionKey: functions.logKey.key,
      logRetention: config.logRetentionDays,
      reservedConcurrency: RESULTS_CONCURRENCY,
      deadLetterQueue: props.deadLetterQueue,
    });
    // A result that arrives before the revoke's last write recorded its command is retried (at most 2 by Lambda).
    this.function.function.configureAsyncInvoke({ retryAttempts: 2 });
    props.ledger.grantReadWrite(this.function.role);
    props.notifications.grantPublish(this.function.role);
    this.function.allowUnscoped(
      ['ssm:ListCommands', 'ssm:GetCommandInvocation'],
      "the result function reads the command's comment to find its grant, and whether the end snapshot step failed; neither action has a resource type.",
    );

    this.rule = new events.Rule(this, 'Rule', {
      description: "jit-access: results of the OS-account document's commands (SSM status-change events)",
      eventPattern: osAccountResultPattern(props.documentName),
      targets: [
        new targets.LambdaFunction(this.function.function, { retryAttempts: 10, maxEventAge: Duration.hours(1) }),
      ],
    });
  }
}
