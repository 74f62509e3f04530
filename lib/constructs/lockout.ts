import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLOUDTRAIL_API_CALL, DENIED_ERROR_CODES, DENIED_ERROR_SUFFIX } from '../../lambdas/domain/lockout';
import type { JitAccessConfig } from '../config/schema';
import { CustomerManagedKey } from './customer-managed-key';
import { JitFunction } from './jit-function';
import type { LifecycleFunctions } from './lifecycle-functions';

/**
 * Executions reserved for the lockout function: it ends access, so a busy account cannot starve it, and a flood of
 * denied calls cannot take more (Lambda queues the rest of its asynchronous invocations and retries them).
 */
const LOCKOUT_CONCURRENCY = 2;

/**
 * Matches only refused calls: IAM's codes, and EC2's `UnauthorizedOperation` (recorded as `Client.…`), by suffix.
 * Both rules receive read-only management events too (see `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`): a denied
 * Describe or a failed AssumeRole is an attempt as much as a denied write.
 */
const DENIED = [...DENIED_ERROR_CODES, ...events.Match.suffix(DENIED_ERROR_SUFFIX)];

/**
 * The two patterns of the lockout rules, for grant roles whose ARNs start with `grantRoleArnPrefix`
 * (`arn:<partition>:iam::<account>:role<iamPath>jit-`). `source` must start with `aws.`: EventBridge refuses such
 * sources from PutEvents, so only AWS services' records match, never events someone put on the bus.
 */
export function lockoutEventPatterns(grantRoleArnPrefix: string): {
  readonly deniedCalls: events.EventPattern;
  readonly failedAssumeRole: events.EventPattern;
} {
  return {
    // A grant role's session was refused a call: CloudTrail names the role (with its path) as the session issuer.
    deniedCalls: {
      source: events.Match.prefix('aws.'),
      detailType: [CLOUDTRAIL_API_CALL],
      detail: {
        errorCode: DENIED,
        userIdentity: {
          type: ['AssumedRole'],
          sessionContext: { sessionIssuer: { arn: events.Match.prefix(grantRoleArnPrefix) } },
        },
      },
    },
    // Someone failed to assume a grant role (wrong external id, address, MFA, or time): recorded in this account.
    failedAssumeRole: {
      source: ['aws.sts'],
      detailType: [CLOUDTRAIL_API_CALL],
      detail: {
        eventSource: ['sts.amazonaws.com'],
        eventName: ['AssumeRole'],
        errorCode: DENIED,
        requestParameters: { roleArn: events.Match.prefix(grantRoleArnPrefix) },
      },
    },
  };
}

export interface LockoutProps {
  readonly config: JitAccessConfig;
  /** The stack's functions: their shared environment, log key and the teardown permissions. */
  readonly functions: LifecycleFunctions;
  /** Topic the dead-letter alarm notifies. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Times EventBridge retries delivering a record to the function (0-185).
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Oldest record EventBridge still delivers (1 minute to 24 hours); older ones go to the dead-letter queue.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
}

/**
 * Lockout after repeated denied attempts: two EventBridge rules on the default bus pick CloudTrail's records of
 * calls refused to a grant role's session and of failed AssumeRole of a grant role, and hand them to the `lockout`
 * function, which counts them in the ledger and, at `lockout.threshold` within `lockout.windowMinutes`, revokes the
 * grant, locks the vendor and notifies approvers. Needs a CloudTrail trail logging management events (read and write)
 * in the stack's region.
 *
 * A record that EventBridge cannot deliver, or that the function fails on after Lambda's retries, lands in the
 * dead-letter queue, whose alarm notifies the topic.
 */
export class Lockout extends Construct {
  public readonly function: JitFunction;
  public readonly deniedCallsRule: events.Rule;
  public readonly failedAssumeRoleRule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LockoutProps) {
    super(scope, id);
    const { config, functions } = props;
    const retryAttempts = props.retryAttempts ?? 10;
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    validate(this.node.path, retryAttempts, maxEventAge);
    const stack = Stack.of(this);

    // Rule names are fixed so that the key policy can name the rules' ARNs without a dependency cycle
    // (key → rules → queue → key).
    const ruleNames = {
      deniedCalls: `${stack.stackName.slice(0, 40)}-lockout-denied-calls`,
      failedAssumeRole: `${stack.stackName.slice(0, 40)}-lockout-assume-role`,
    };
    const ruleArn = (name: string) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: name });

    const key = new CustomerManagedKey(this, 'Key', { description: 'jit-access lockout dead-letter queue (SQS)' });
    key.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowTheLockoutRulesToDeadLetter',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { ArnEquals: { 'aws:SourceArn': Object.values(ruleNames).map(ruleArn) } },
      }),
    );
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM })
      .createAlarm(this, 'DeadLetterAlarm', {
        alarmDescription:
          'jit-access: a CloudTrail record of a denied attempt was not counted (see the lockout dead-letter queue); a lockout may have been missed',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.deadLetterAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

    this.function = new JitFunction(this, 'Function', {
      handlerName: 'lockout',
      config,
      environment: functions.environment,
      logEncryptionKey: functions.logKey.key,
      logRetention: config.logRetentionDays,
      // The revoke path: teardown and vendor disable call IAM, EC2, Scheduler and SSM in sequence.
      timeout: Duration.minutes(5),
      reservedConcurrency: LOCKOUT_CONCURRENCY,
      deadLetterQueue: this.deadLetterQueue,
    });
    // Lambda's own retries of a failed run (at most 2); then the record goes to the dead-letter queue.
    this.function.function.configureAsyncInvoke({ retryAttempts: 2 });
    functions.permissions.allowTeardown(this.function);
    this.function.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules', 'ssm:DescribeSessions'],
      'the lockout revokes grants as revoke does: it finds their live sessions and tagged SG rules.',
    );

    const prefix = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${config.iamPath.slice(1)}jit-`,
    });
    const patterns = lockoutEventPatterns(prefix);
    const target = new targets.LambdaFunction(this.function.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts,
      maxEventAge,
    });
    const rule = (ruleId: string, ruleName: string, eventPattern: events.EventPattern, description: string) => {
      const created = new events.Rule(this, ruleId, { ruleName, description, eventPattern, targets: [target] });
      // Failed AssumeRole and denied Describe/Get/List calls are read-only management events.
      (created.node.defaultChild as events.CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
      return created;
    };
    this.deniedCallsRule = rule(
      'DeniedCallsRule',
      ruleNames.deniedCalls,
      patterns.deniedCalls,
      'jit-access lockout: calls refused to a grant role session (CloudTrail)',
    );
    this.failedAssumeRoleRule = rule(
      'FailedAssumeRoleRule',
      ruleNames.failedAssumeRole,
      patterns.failedAssumeRole,
      'jit-access lockout: failed AssumeRole of a grant role (CloudTrail)',
    );
  }
}

function validate(path: string, retryAttempts: number, maxEventAge: Duration): void {
  if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
    throw new Error(`${path}: retryAttempts must be a whole number from 0 to 185, got ${retryAttempts}`);
  }
  const seconds = maxEventAge.toSeconds();
  if (seconds < 60 || seconds > 86_400) {
    throw new Error(`${path}: maxEventAge must be 1 minute to 24 hours, got ${maxEventAge.toHumanString()}`);
  }
}
