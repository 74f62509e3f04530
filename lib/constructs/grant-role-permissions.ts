import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { GRANT_ROLE_TAG_KEYS, MANAGED_TAG, RUN_AS_TAG } from '../../lambdas/domain/planner';
import type { JitAccessConfig } from '../config/schema';
import type { ExpiryScheduler } from './expiry-scheduler';
import type { GrantPermissionsBoundary } from './grant-permissions-boundary';
import type { JitFunction } from './jit-function';
import type { JitIngressSecurityGroups } from './jit-ingress-security-groups';
import type { LedgerTable } from './ledger-table';
import { wildcardResourceFinding } from './nag-findings';
import type { Notifications } from './notifications';
import type { OsAccountDocument } from './os-account-document';

export interface GrantRolePermissionsProps {
  readonly config: JitAccessConfig;
  readonly ledger: LedgerTable;
  readonly notifications: Notifications;
  readonly boundary: GrantPermissionsBoundary;
  readonly ingress: JitIngressSecurityGroups;
  readonly expiry: ExpiryScheduler;
  readonly osAccountDocument: OsAccountDocument;
}

/**
 * The IAM statements that are the security model of the system, in one place for every function that needs them:
 * the grant function creates roles only under the stack's IAM path and only with the permissions boundary, so even a
 * compromised grant function cannot mint more than recorded session access; teardown (revoke, the sweeper, the API's
 * kill switch) can only take access away.
 */
export class GrantRolePermissions {
  private readonly grantRoleArnPattern: string;
  /** `jit-*` also matches `jit-x/Admin`: a role on a path below a grant role's name, which no grant ever makes. */
  private readonly nestedRoleArnPattern: string;
  private readonly scheduleArnPattern: string;
  private readonly sessionArnPattern: string;
  private readonly securityGroupRuleArnPattern: string;
  private readonly instanceArnPattern: string;
  private readonly osAccountDocumentArn: string;

  constructor(
    private readonly scope: Construct,
    private readonly props: GrantRolePermissionsProps,
  ) {
    const stack = Stack.of(scope);
    this.grantRoleArnPattern = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${props.config.iamPath.slice(1)}jit-*`,
    });
    this.nestedRoleArnPattern = `${this.grantRoleArnPattern}/*`;
    this.scheduleArnPattern = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${props.expiry.scheduleGroupName}/jit-*`,
    });
    this.sessionArnPattern = stack.formatArn({ service: 'ssm', resource: 'session', resourceName: '*' });
    this.instanceArnPattern = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    this.osAccountDocumentArn = stack.formatArn({
      service: 'ssm',
      resource: 'document',
      resourceName: props.osAccountDocument.documentName,
    });
    this.securityGroupRuleArnPattern = stack.formatArn({
      service: 'ec2',
      resource: 'security-group-rule',
      resourceName: '*',
    });
  }

  /**
   * What revoke does, so also what grant needs to compensate and the sweeper needs to clean up. Teardown can only take
   * away: it may attach the stack's deny-all and nothing else, may remove only roles that carry the managed tag and
   * the boundary, and can write no policy of its own.
   */
  public allowTeardown(fn: JitFunction): void {
    const { ledger, notifications, boundary, ingress } = this.props;
    ledger.grantReadWrite(fn.role);
    notifications.grantPublish(fn.role);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'InspectGrantRoles',
        actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'],
        resources: [this.grantRoleArnPattern],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AttachOnlyTheDenyAllToJitAccessRoles',
        actions: ['iam:AttachRolePolicy'],
        resources: [this.grantRoleArnPattern],
        conditions: {
          ...this.madeByJitAccess(),
          ArnEquals: { 'iam:PolicyARN': boundary.revokedPolicy.managedPolicyArn },
        },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DeleteOnlyJitAccessRoles',
        // Removing policies only takes permissions away; a role without the managed tag and the boundary is not ours.
        actions: ['iam:DeleteRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRole'],
        resources: [this.grantRoleArnPattern],
        conditions: this.madeByJitAccess(),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'NeverLoosenGrantRoles',
        effect: iam.Effect.DENY,
        actions: [
          'iam:DeleteRolePermissionsBoundary',
          'iam:PutRolePermissionsBoundary',
          'iam:UpdateAssumeRolePolicy',
          'iam:UpdateRole',
          // SSMSessionRunAs decides the OS user; only role creation may set it (see TagGrantRolesAtCreationOnly).
          'iam:UntagRole',
        ],
        resources: [this.grantRoleArnPattern],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AttachNothingButTheDenyAll',
        effect: iam.Effect.DENY,
        actions: ['iam:AttachRolePolicy'],
        resources: [this.grantRoleArnPattern],
        conditions: { ArnNotEquals: { 'iam:PolicyARN': boundary.revokedPolicy.managedPolicyArn } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'NothingOnPathsBelowGrantRoleNames',
        effect: iam.Effect.DENY,
        actions: [
          'iam:CreateRole',
          'iam:PutRolePolicy',
          'iam:TagRole',
          'iam:AttachRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:DetachRolePolicy',
          'iam:DeleteRole',
        ],
        resources: [this.nestedRoleArnPattern],
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
        // A shared rule's description names the grants holding it; rewriting it opens nothing.
        sid: 'NameIngressRuleHolders',
        actions: ['ec2:UpdateSecurityGroupRuleDescriptionsIngress'],
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
    this.allowOsAccountCommands(fn);
    this.acknowledgePatterns(fn, [
      [this.grantRoleArnPattern, 'Per-grant roles are created at run time as jit-<grantId> under the stack IAM path'],
      [
        this.scheduleArnPattern,
        'Per-grant expiry schedules are created at run time as jit-<grantId> in the stack group',
      ],
      [this.sessionArnPattern, 'Session ids are only known once a vendor starts a session; revoke ends them by id'],
      [
        this.instanceArnPattern,
        'Instance ids are only known per grant; commands reach only instances carrying a target-group tag',
      ],
      [
        '*',
        'ssm:ListCommandInvocations and ssm:ListCommands have no resource-level permissions: they read how the OS-account command ended',
      ],
    ]);
  }

  /**
   * The stack's OS-account document, and no other, on instances of the configured target groups alone (the grant
   * unlocks the vendor's OS user with it, teardown locks it). IAM cannot tell unlock from lock: both are in the
   * document, whose parameters admit nothing but a plain user name.
   */
  private allowOsAccountCommands(fn: JitFunction): void {
    const tagValuesByKey = new Map<string, string[]>();
    for (const { tagKey, tagValue } of this.props.config.targetGroups) {
      tagValuesByKey.set(tagKey, [...new Set([...(tagValuesByKey.get(tagKey) ?? []), tagValue])]);
    }
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SendOnlyTheOsAccountDocument',
        actions: ['ssm:SendCommand'],
        resources: [this.osAccountDocumentArn],
      }),
    );
    [...tagValuesByKey].forEach(([tagKey, tagValues], index) =>
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: `SendOsAccountCommandsToTargetGroups${index}`,
          actions: ['ssm:SendCommand'],
          resources: [this.instanceArnPattern],
          conditions: { StringEquals: { [`ssm:resourceTag/${tagKey}`]: tagValues } },
        }),
      ),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadOsAccountCommandResults',
        actions: ['ssm:ListCommandInvocations', 'ssm:ListCommands'],
        resources: ['*'],
      }),
    );
  }

  /** What only the grant function may do: create bounded grant roles, their rules and their expiry schedules. */
  public allowGrantCreation(fn: JitFunction): void {
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
        conditions: {
          StringEquals: tagRules,
          'ForAllValues:StringEquals': tagKeys,
          // Only a role that has none of these tags yet (one being created): an existing grant role can never be
          // switched to another vendor's OS user.
          Null: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true', [`aws:ResourceTag/${RUN_AS_TAG}`]: 'true' },
        },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PutSessionPoliciesOnJitAccessRolesOnly',
        actions: ['iam:PutRolePolicy'],
        resources: [this.grantRoleArnPattern],
        conditions: this.madeByJitAccess(),
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

  /** The conditions that tell a role jit-access made: its managed tag and the stack's permissions boundary. */
  private madeByJitAccess(): { StringEquals: Record<string, string> } {
    return {
      StringEquals: {
        [`aws:ResourceTag/${MANAGED_TAG}`]: 'true',
        'iam:PermissionsBoundary': this.props.boundary.policy.managedPolicyArn,
      },
    };
  }

  private acknowledgePatterns(fn: JitFunction, patterns: readonly (readonly [string, string])[]): void {
    const defaultPolicy = fn.role.node.findChild('DefaultPolicy');
    for (const [arn, reason] of patterns) {
      Validations.of(defaultPolicy).acknowledge({ id: wildcardResourceFinding(this.scope, arn), reason });
    }
  }
}
