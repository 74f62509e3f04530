import { ArnFormat, Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GRANT_ROLE_TAG_KEYS } from '../../lambdas/domain/planner';
import { ENV } from '../../lambdas/shared/environment';
import type { JitAccessConfig } from '../config/schema';
import { CustomerManagedKey } from './customer-managed-key';
import type { ExpiryScheduler } from './expiry-scheduler';
import type { GrantPermissionsBoundary } from './grant-permissions-boundary';
import { JitFunction, type HandlerName } from './jit-function';
import type { JitIngressSecurityGroups } from './jit-ingress-security-groups';
import type { LedgerTable } from './ledger-table';
import { wildcardResourceFinding } from './nag-findings';
import { pascalCase } from './naming';
import type { Notifications } from './notifications';
import type { SessionLogging } from './session-logging';

/** Grant, revoke and sweeper call IAM, EC2, Scheduler and SSM in sequence, with retries. */
const LONG_TIMEOUT = Duration.minutes(5);

export interface LifecycleFunctionsProps {
  readonly config: JitAccessConfig;
  readonly ledger: LedgerTable;
  readonly notifications: Notifications;
  readonly sessionLogging: SessionLogging;
  readonly boundary: GrantPermissionsBoundary;
  readonly ingress: JitIngressSecurityGroups;
  readonly expiry: ExpiryScheduler;
}

/**
 * The seven lifecycle Lambdas, each with its own role holding only what its step needs. The IAM statements here are
 * the security model of the system: the grant Lambda can create roles only under the stack's IAM path and only with
 * the permissions boundary, so even a compromised grant Lambda cannot mint more than recorded session access.
 */
export class LifecycleFunctions extends Construct {
  public readonly validateRequest: JitFunction;
  public readonly requestApproval: JitFunction;
  public readonly decide: JitFunction;
  public readonly grant: JitFunction;
  public readonly revoke: JitFunction;
  public readonly sweeper: JitFunction;
  public readonly recordOutcome: JitFunction;
  /** Encrypts the functions' log groups; other operational log groups may share it. */
  public readonly logKey: CustomerManagedKey;

  private readonly props: LifecycleFunctionsProps;
  private readonly grantRoleArnPattern: string;
  private readonly scheduleArnPattern: string;
  private readonly sessionArnPattern: string;
  private readonly securityGroupRuleArnPattern: string;

  constructor(scope: Construct, id: string, props: LifecycleFunctionsProps) {
    super(scope, id);
    this.props = props;
    const { config, ledger, notifications, sessionLogging, boundary, ingress, expiry } = props;
    const stack = Stack.of(this);

    this.grantRoleArnPattern = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${config.iamPath.slice(1)}jit-*`,
    });
    this.scheduleArnPattern = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${expiry.scheduleGroupName}/jit-*`,
    });
    this.sessionArnPattern = stack.formatArn({ service: 'ssm', resource: 'session', resourceName: '*' });
    this.securityGroupRuleArnPattern = stack.formatArn({
      service: 'ec2',
      resource: 'security-group-rule',
      resourceName: '*',
    });

    this.logKey = new CustomerManagedKey(this, 'LogKey', {
      description: 'jit-access operational logs (Lambda, Step Functions)',
      allowCloudWatchLogs: true,
    });

    // Every handler reads REVOKE_FUNCTION_ARN at cold start (lambdas/shared/environment.ts), revoke included, and a
    // function cannot reference its own ARN in CloudFormation: so revoke gets a fixed name and a known ARN.
    const revokeFunctionName = `${stack.stackName}-revoke`.slice(0, 64);
    const revokeFunctionArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: revokeFunctionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const environment: Record<string, string> = {
      [ENV.ledgerTable]: ledger.table.tableName,
      [ENV.topicArn]: notifications.topic.topicArn,
      [ENV.accountId]: Aws.ACCOUNT_ID,
      [ENV.partition]: Aws.PARTITION,
      [ENV.boundaryArn]: boundary.policy.managedPolicyArn,
      [ENV.sessionDocument]: sessionLogging.documentName,
      [ENV.sessionKeyArn]: sessionLogging.key.key.keyArn,
      [ENV.scheduleGroup]: expiry.scheduleGroupName,
      [ENV.schedulerRoleArn]: expiry.role.roleArn,
      [ENV.schedulerDlqArn]: expiry.deadLetterQueue.queueArn,
      [ENV.securityGroups]: stack.toJsonString(ingress.securityGroupIds),
      [ENV.revokeFunctionArn]: revokeFunctionArn,
    };
    const create = (handlerName: HandlerName, timeout?: Duration, functionName?: string): JitFunction =>
      new JitFunction(this, pascalCase(handlerName), {
        handlerName,
        config,
        environment,
        logEncryptionKey: this.logKey.key,
        logRetention: config.logRetentionDays,
        timeout,
        functionName,
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

    this.decide = create('decide');
    ledger.grantReadWrite(this.decide.role);
    notifications.grantPublish(this.decide.role);

    this.recordOutcome = create('record-outcome');
    ledger.grantReadWrite(this.recordOutcome.role);
    notifications.grantPublish(this.recordOutcome.role);

    this.revoke = create('revoke', LONG_TIMEOUT, revokeFunctionName);
    this.allowTeardown(this.revoke);
    this.revoke.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules', 'ssm:DescribeSessions'],
      'revoke finds the grant live sessions and its tagged SG rules.',
    );

    this.grant = create('grant', LONG_TIMEOUT);
    this.allowTeardown(this.grant);
    this.allowGrantCreation(this.grant);
    this.grant.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules', 'ssm:DescribeSessions'],
      'grant checks its targets and existing rules, and compensates like revoke on failure.',
    );

    this.sweeper = create('sweeper', LONG_TIMEOUT);
    this.allowTeardown(this.sweeper);
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
  }

  /** What revoke does, so also what grant needs to compensate and the sweeper needs to clean up. */
  private allowTeardown(fn: JitFunction): void {
    const { ledger, notifications, boundary, ingress } = this.props;
    ledger.grantReadWrite(fn.role);
    notifications.grantPublish(fn.role);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PutPoliciesOnBoundedGrantRolesOnly',
        actions: ['iam:PutRolePolicy'],
        resources: [this.grantRoleArnPattern],
        conditions: { StringEquals: { 'iam:PermissionsBoundary': boundary.policy.managedPolicyArn } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'InspectAndDeleteGrantRoles',
        actions: [
          'iam:GetRole',
          'iam:GetRolePolicy',
          'iam:ListRolePolicies',
          'iam:ListAttachedRolePolicies',
          'iam:DeleteRolePolicy',
          // Detaching only removes permissions; teardown detaches anything attached before it deletes the role.
          'iam:DetachRolePolicy',
          'iam:DeleteRole',
        ],
        resources: [this.grantRoleArnPattern],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'NeverLoosenGrantRoles',
        effect: iam.Effect.DENY,
        actions: [
          'iam:DeleteRolePermissionsBoundary',
          'iam:PutRolePermissionsBoundary',
          'iam:AttachRolePolicy',
          'iam:UpdateAssumeRolePolicy',
          // SSMSessionRunAs decides the OS user; only role creation may set it (see CreateBoundedGrantRolesOnly).
          'iam:UntagRole',
        ],
        resources: [this.grantRoleArnPattern],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DeleteExpirySchedules',
        actions: ['scheduler:GetSchedule', 'scheduler:DeleteSchedule'],
        resources: [this.scheduleArnPattern],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RemoveTemporaryIngress',
        actions: ['ec2:RevokeSecurityGroupIngress'],
        resources: [...ingress.securityGroupArns],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TerminateGrantSessions',
        actions: ['ssm:TerminateSession'],
        resources: [this.sessionArnPattern],
      }),
    );
    this.acknowledgePatterns(fn, [
      [this.grantRoleArnPattern, 'Per-grant roles are created at run time as jit-<grantId> under the stack IAM path'],
      [
        this.scheduleArnPattern,
        'Per-grant expiry schedules are created at run time as jit-<grantId> in the stack group',
      ],
      [this.sessionArnPattern, 'Session ids are only known once a vendor starts a session; revoke ends them by id'],
    ]);
  }

  private allowGrantCreation(fn: JitFunction): void {
    const { boundary, ingress, expiry, config } = this.props;
    // Tags are set only as the role is created: SSMSessionRunAs may only name a configured vendor OS user, and only
    // the keys the planner writes are allowed, so no role can be made to run sessions as root or ssm-user.
    const tagRules = {
      'aws:RequestTag/SSMSessionRunAs': [...new Set(config.vendors.map((v) => v.osUser))],
    };
    const tagKeys = { 'aws:TagKeys': [...GRANT_ROLE_TAG_KEYS] };
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'CreateBoundedGrantRolesOnly',
        actions: ['iam:CreateRole'],
        resources: [this.grantRoleArnPattern],
        conditions: {
          StringEquals: { 'iam:PermissionsBoundary': boundary.policy.managedPolicyArn, ...tagRules },
          'ForAllValues:StringEquals': tagKeys,
        },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TagGrantRolesAtCreationOnly',
        actions: ['iam:TagRole'],
        resources: [this.grantRoleArnPattern],
        conditions: { StringEquals: tagRules, 'ForAllValues:StringEquals': tagKeys },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PassSchedulerRoleToSchedulerOnly',
        actions: ['iam:PassRole'],
        resources: [expiry.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'CreateExpirySchedules',
        actions: ['scheduler:CreateSchedule'],
        resources: [this.scheduleArnPattern],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AddTemporaryIngress',
        actions: ['ec2:AuthorizeSecurityGroupIngress'],
        resources: [...ingress.securityGroupArns],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TagIngressRulesWhenCreated',
        actions: ['ec2:CreateTags'],
        resources: [this.securityGroupRuleArnPattern, ...ingress.securityGroupArns],
        conditions: { StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' } },
      }),
    );
    this.acknowledgePatterns(fn, [
      [
        this.securityGroupRuleArnPattern,
        'Rule ids exist only after AuthorizeSecurityGroupIngress; tagging is limited to that call by ec2:CreateAction',
      ],
    ]);
  }

  private acknowledgePatterns(fn: JitFunction, patterns: readonly (readonly [string, string])[]): void {
    const defaultPolicy = fn.role.node.findChild('DefaultPolicy');
    for (const [arn, reason] of patterns) {
      Validations.of(defaultPolicy).acknowledge({ id: wildcardResourceFinding(this, arn), reason });
    }
  }
}
