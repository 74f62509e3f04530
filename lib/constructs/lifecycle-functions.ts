import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/shared/environment';
import type { JitAccessConfig } from '../config/schema';
import { CustomerManagedKey } from './customer-managed-key';
import type { ExpiryScheduler } from './expiry-scheduler';
import type { GrantPermissionsBoundary } from './grant-permissions-boundary';
import { GrantRolePermissions } from './grant-role-permissions';
import { JitFunction, jitFunctionName, type HandlerName, type JitFunctionProps } from './jit-function';
import type { JitIngressSecurityGroups } from './jit-ingress-security-groups';
import type { LedgerTable } from './ledger-table';
import { operationalLogGroupName, pascalCase } from './naming';
import type { Notifications } from './notifications';
import type { OsAccountDocument } from './os-account-document';
import type { SessionLogging } from './session-logging';

/** Grant, revoke and sweeper call IAM, EC2, Scheduler and SSM in sequence, with retries. */
const LONG_TIMEOUT = Duration.minutes(5);

/**
 * Executions reserved for teardown, so that a busy account cannot starve it: revoke runs once per expiring grant
 * (expiries may coincide; the rest wait in Lambda's asynchronous queue, which retries throttled events), the sweeper
 * one run at a time, so two sweeps never race.
 */
const REVOKE_CONCURRENCY = 10;
const SWEEPER_CONCURRENCY = 1;

/** Why the workflow steps reserve no concurrency (a NIST 800-53 R5 acknowledgement). */
const WORKFLOW_STEP_CONCURRENCY =
  'it runs once per step of a request, and requests start only through the operator API, whose stage throttle ' +
  '(api.throttleRatePerSecond, api.throttleBurst) bounds them; reservations go to what ends access (revoke, sweeper, ' +
  "the API's kill switch), and more would withdraw capacity from the account's other workloads.";

export interface LifecycleFunctionsProps {
  readonly config: JitAccessConfig;
  readonly ledger: LedgerTable;
  readonly notifications: Notifications;
  readonly sessionLogging: SessionLogging;
  readonly boundary: GrantPermissionsBoundary;
  readonly ingress: JitIngressSecurityGroups;
  readonly expiry: ExpiryScheduler;
  readonly osAccountDocument: OsAccountDocument;
}

/**
 * The lifecycle Lambdas, invoked only by the state machine (validate, request approval, grant, record outcome) and the
 * scheduler (revoke at expiry, the sweeper), never by people. Each has its own role holding only what its step needs;
 * the statements of granting and tearing down are in GrantRolePermissions.
 */
export class LifecycleFunctions extends Construct {
  public readonly validateRequest: JitFunction;
  public readonly requestApproval: JitFunction;
  public readonly grant: JitFunction;
  public readonly revoke: JitFunction;
  public readonly sweeper: JitFunction;
  public readonly recordOutcome: JitFunction;
  /** Encrypts the functions' log groups; other operational log groups may share it. */
  public readonly logKey: CustomerManagedKey;

  /** The environment every function of the stack starts with (names from `ENV`). */
  public readonly environment: Readonly<Record<string, string>>;
  /** The IAM statements of granting and tearing down, for any function that takes part. */
  public readonly permissions: GrantRolePermissions;

  constructor(scope: Construct, id: string, props: LifecycleFunctionsProps) {
    super(scope, id);
    const { config, ledger, notifications, sessionLogging, boundary, ingress, expiry } = props;
    const stack = Stack.of(this);
    this.permissions = new GrantRolePermissions(this, props);

    this.logKey = new CustomerManagedKey(this, 'LogKey', {
      description: 'jit-access operational logs (Lambda, Step Functions)',
      cloudWatchLogGroups: [`${operationalLogGroupName(this)}/*`],
    });

    // Every handler reads REVOKE_FUNCTION_ARN at cold start (lambdas/shared/environment.ts), revoke included, and a
    // function cannot reference its own ARN in CloudFormation: its name, known at synth, gives its ARN.
    const revokeFunctionArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: jitFunctionName(this, 'revoke'),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.environment = {
      [ENV.ledgerTable]: ledger.table.tableName,
      [ENV.topicArn]: notifications.topic.topicArn,
      [ENV.accountId]: Aws.ACCOUNT_ID,
      [ENV.partition]: Aws.PARTITION,
      [ENV.boundaryArn]: boundary.policy.managedPolicyArn,
      [ENV.revokedPolicyArn]: boundary.revokedPolicy.managedPolicyArn,
      [ENV.sessionDocument]: sessionLogging.documentName,
      [ENV.osAccountDocument]: props.osAccountDocument.documentName,
      [ENV.sessionKeyArn]: sessionLogging.key.key.keyArn,
      [ENV.scheduleGroup]: expiry.scheduleGroupName,
      [ENV.schedulerRoleArn]: expiry.role.roleArn,
      [ENV.schedulerDlqArn]: expiry.deadLetterQueue.queueArn,
      [ENV.securityGroups]: stack.toJsonString(ingress.securityGroupIds),
      [ENV.revokeFunctionArn]: revokeFunctionArn,
      [ENV.evidenceBucket]: sessionLogging.bucket.bucketName,
    };
    type Options = Pick<JitFunctionProps, 'timeout' | 'reservedConcurrency' | 'deadLetterQueue'>;
    const create = (handlerName: HandlerName, options: Options = {}): JitFunction =>
      new JitFunction(this, pascalCase(handlerName), {
        handlerName,
        config,
        environment: this.environment,
        logEncryptionKey: this.logKey.key,
        logRetention: config.logRetentionDays,
        ...options,
      });

    this.validateRequest = create('validate-request');
    ledger.grantRead(this.validateRequest.role);
    this.validateRequest.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules'],
      'validation resolves target instances and counts SG rule headroom.',
    );

    this.requestApproval = create('request-approval');
    ledger.grantReadWrite(this.requestApproval.role);
    notifications.grantPublish(this.requestApproval.role);

    this.recordOutcome = create('record-outcome');
    ledger.grantReadWrite(this.recordOutcome.role);
    notifications.grantPublish(this.recordOutcome.role);

    // Expiry schedules invoke revoke asynchronously: a failure after Lambda's retries lands in their dead-letter queue.
    this.revoke = create('revoke', {
      timeout: LONG_TIMEOUT,
      reservedConcurrency: REVOKE_CONCURRENCY,
      deadLetterQueue: expiry.deadLetterQueue,
    });
    this.permissions.allowTeardown(this.revoke);
    this.revoke.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules', 'ssm:DescribeSessions'],
      'revoke finds the grant live sessions and its tagged SG rules.',
    );

    this.grant = create('grant', { timeout: LONG_TIMEOUT });
    this.permissions.allowTeardown(this.grant);
    this.permissions.allowGrantCreation(this.grant);
    this.grant.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules', 'ssm:DescribeSessions'],
      'grant checks its targets and existing rules, and compensates like revoke on failure.',
    );

    this.sweeper = create('sweeper', {
      timeout: LONG_TIMEOUT,
      reservedConcurrency: SWEEPER_CONCURRENCY,
      deadLetterQueue: expiry.deadLetterQueue,
    });
    this.permissions.allowTeardown(this.sweeper);
    this.sweeper.allowUnscoped(
      [
        'ec2:DescribeInstances',
        'ec2:DescribeSecurityGroupRules',
        'ssm:DescribeSessions',
        'iam:ListRoles',
        'scheduler:ListSchedules',
      ],
      'the sweeper lists roles, schedules, rules and sessions to find what no active grant owns.',
    );

    for (const step of [this.validateRequest, this.requestApproval, this.grant, this.recordOutcome]) {
      step.acknowledgeSynchronousOnly(
        "the approval workflow's LambdaInvoke tasks, each of which waits for the result and retries, catches or fails on the error",
      );
      step.acknowledgeUnreservedConcurrency(WORKFLOW_STEP_CONCURRENCY);
    }
  }
}
