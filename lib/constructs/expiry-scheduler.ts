import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CustomerManagedKey } from './customer-managed-key';
import { acknowledgeSingleRolePolicy } from './nag-findings';

const MAX_SCHEDULE_GROUP_NAME = 64;

export interface ExpirySchedulerProps {
  /** Topic the dead-letter alarm notifies. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Time between sweeper runs (1-60 minutes).
   * @default Duration.minutes(5)
   */
  readonly sweeperRate?: Duration;
  /**
   * Name of the schedule group that holds the per-grant expiry schedules (letters, digits, `-_.`; at most 64).
   * @default `jit-access-<stack name>`, truncated to 64 characters
   */
  readonly scheduleGroupName?: string;
}

/**
 * How access ends on time: the schedule group for the per-grant one-time `at(expiry)` schedules (created by the grant
 * Lambda), the role those schedules run as, their dead-letter queue with an alarm, and the sweeper's rate schedule,
 * the backstop that revokes whatever an expiry schedule missed.
 *
 * The functions are created after this construct (they need its names), so they are attached with
 * `targetRevokeFunction` and `runSweeper`; synthesis fails if either is missing.
 */
export class ExpiryScheduler extends Construct {
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  public readonly scheduleGroupName: string;
  /** The role per-grant schedules run as: it may only invoke the revoke function and dead-letter failures. */
  public readonly role: iam.Role;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  private readonly key: CustomerManagedKey;
  private readonly sweeperRate: Duration;
  private revokeFunction?: lambda.IFunction;
  private sweeperSchedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ExpirySchedulerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.sweeperRate = props.sweeperRate ?? Duration.minutes(5);
    this.scheduleGroupName =
      props.scheduleGroupName ??
      `jit-access-${stack.stackName}`.replace(/[^0-9A-Za-z_.-]/g, '-').slice(0, MAX_SCHEDULE_GROUP_NAME);
    validate(this.node.path, this.scheduleGroupName, this.sweeperRate);

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: this.scheduleGroupName,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.key = new CustomerManagedKey(this, 'Key', { description: 'jit-access expiry dead-letter queue (SQS)' });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM })
      .createAlarm(this, 'DeadLetterAlarm', {
        alarmDescription:
          'jit-access: an expiry or sweeper schedule could not invoke its function, or the function (or the OS-account result function) failed every retry; access may remain',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

    this.role = this.schedulerRole('Role', this.scheduleGroup.scheduleGroupArn);

    this.node.addValidation({
      validate: () => [
        ...(this.revokeFunction ? [] : ['ExpiryScheduler: call targetRevokeFunction(revoke) so expiry schedules work']),
        ...(this.sweeperSchedule ? [] : ['ExpiryScheduler: call runSweeper(sweeper) so the backstop runs']),
      ],
    });
  }

  /** Lets the per-grant schedules invoke the revoke function, and nothing else. */
  public targetRevokeFunction(revokeFunction: lambda.IFunction): void {
    if (this.revokeFunction) {
      throw new Error(`${this.node.path}: targetRevokeFunction was already called: expiry schedules have one target`);
    }
    this.revokeFunction = revokeFunction;
    this.allowInvoke(this.role, revokeFunction);
  }

  /** Invokes the sweeper at the configured rate, from its own role. */
  public runSweeper(sweeperFunction: lambda.IFunction): void {
    if (this.sweeperSchedule) {
      throw new Error(`${this.node.path}: runSweeper was already called: the stack has one sweeper`);
    }
    const stack = Stack.of(this);
    // The default group: the stack's group holds only per-grant schedules, which the sweeper reconciles.
    const defaultGroupArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule-group',
      resourceName: 'default',
    });
    const role = this.schedulerRole('SweeperRole', defaultGroupArn);
    this.allowInvoke(role, sweeperFunction);
    this.sweeperSchedule = new scheduler.Schedule(this, 'Sweeper', {
      description: 'jit-access sweeper: revokes expired or unknown grants the expiry schedules missed',
      schedule: scheduler.ScheduleExpression.rate(this.sweeperRate),
      target: {
        bind: () => ({
          arn: sweeperFunction.functionArn,
          role,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
          retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: this.sweeperRate.toSeconds() },
        }),
      },
    });
  }

  private schedulerRole(id: string, scheduleGroupArn: string): iam.Role {
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account, 'aws:SourceArn': scheduleGroupArn },
        },
      }),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.key.keyArn] }),
    );
    acknowledgeSingleRolePolicy(role.node.findChild('DefaultPolicy'), `the ${id} of EventBridge Scheduler`);
    return role;
  }

  private allowInvoke(role: iam.Role, fn: lambda.IFunction): void {
    // The unqualified ARN only (grantInvoke would add `<arn>:*`): schedules never target versions or aliases.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    );
  }
}

function validate(path: string, groupName: string, sweeperRate: Duration): void {
  if (!/^[0-9A-Za-z_.-]{1,64}$/.test(groupName)) {
    throw new Error(`${path}: scheduleGroupName "${groupName}" must be 1-64 letters, digits, '-', '_' or '.'`);
  }
  const minutes = sweeperRate.toMinutes({ integral: false });
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
    throw new Error(`${path}: sweeperRate must be a whole number of minutes from 1 to 60, got ${minutes}`);
  }
}
