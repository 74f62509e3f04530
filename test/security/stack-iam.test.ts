import { GRANT_ROLE_TAG_KEYS, MANAGED_TAG, RUN_AS_TAG } from '../../lambdas/domain/planner';
import { evaluateCase, type IamActor, type IamCase, type IamContext } from '../helpers/iam-cases';
import { stackPolicies } from '../helpers/stack-policies';

/**
 * The synthesized stack's own policies, evaluated by an IAM policy simulator with every CloudFormation reference
 * resolved to its deployed ARN: what the functions may do to roles, what teardown may never do, who may use the
 * session key, and what the evidence bucket admits.
 */
const stack = stackPolicies();
const ACCOUNT = stack.account;
const REGION = stack.planContext.env.region;
const role = (pathAndName: string) => `arn:aws:iam::${ACCOUNT}:role/${pathAndName}`;
const GRANT_ROLE = role('jit-access/jit-g-0123456789ab');
/** A customer's own role that happens to match `jit-*` under the stack's path: never jit-access's to touch. */
const CUSTOMER_ROLE = role('jit-access/jit-readonly');
/** `jit-*` matches `jit-x/Admin` too: a role on a path below a grant role's name. */
const NESTED_ROLE = role('jit-access/jit-x/Admin');
const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';
const OTHER_BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/SomeOtherBoundary`;
const TRANSCRIPT = `${stack.sessionBucketArn}/sessions/g-0123456789ab/vendor-engineer-0a1b.log`;
const NOW = '2026-03-02T09:30:00Z';
const securityGroup = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${id}`;
const JIT_SECURITY_GROUP = securityGroup(stack.planContext.securityGroups['billing-db']!);
const OTHER_SECURITY_GROUP = securityGroup('sg-0123456789abcdef0');
const schedule = (group: string) => `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/jit-g-0123456789ab`;
const SESSION = `arn:aws:ssm:${REGION}:${ACCOUNT}:session/vendor-engineer-0a1b2c3d4e5f6a7b8`;

type Who =
  | 'grant function'
  | 'revoke function'
  | 'sweeper function'
  | 'api-decide function'
  | 'CloudWatch Logs'
  | 'target instance';

const functionActor = (handler: string): IamActor => {
  const fnRole = stack.functionRole(handler);
  return { principal: fnRole.arn, resourceAccount: ACCOUNT, policies: { identity: { [handler]: fnRole.policy } } };
};
const actors: Record<Who, IamActor> = {
  'grant function': functionActor('grant'),
  'revoke function': functionActor('revoke'),
  'sweeper function': functionActor('sweeper'),
  'api-decide function': functionActor('api-decide'),
  'CloudWatch Logs': {
    principal: `logs.${REGION}.amazonaws.com`,
    resourceAccount: ACCOUNT,
    policies: { resourcePolicy: stack.sessionKeyPolicy },
  },
  'target instance': {
    principal: role('BillingDbInstanceRole'),
    resourceAccount: ACCOUNT,
    policies: { identity: { 'jit-access-instance': stack.instancePolicy } },
  },
};

/** A role jit-access made: the managed tag and the stack's boundary. */
const managedRole: IamContext = {
  [`aws:ResourceTag/${MANAGED_TAG}`]: 'true',
  'iam:PermissionsBoundary': stack.boundaryArn,
  'aws:CurrentTime': NOW,
};
/** A customer's role: no managed tag, no boundary of ours. */
const customerRole: IamContext = { 'aws:CurrentTime': NOW };
const creating: IamContext = {
  'iam:PermissionsBoundary': stack.boundaryArn,
  [`aws:RequestTag/${RUN_AS_TAG}`]: 'acme-support',
  'aws:TagKeys': [...GRANT_ROLE_TAG_KEYS],
  'aws:CurrentTime': NOW,
};
const tagging: IamContext = {
  [`aws:RequestTag/${RUN_AS_TAG}`]: 'acme-support',
  'aws:TagKeys': [...GRANT_ROLE_TAG_KEYS],
  'aws:CurrentTime': NOW,
};
const attachDenyAll: IamContext = { ...managedRole, 'iam:PolicyARN': stack.revokedPolicyArn };
const attachAdmin: IamContext = { ...managedRole, 'iam:PolicyARN': ADMIN_POLICY };
const overTls: IamContext = { 'aws:SecureTransport': 'true', 'aws:CurrentTime': NOW };

const grantFunctionCases: IamCase<Who>[] = [
  {
    who: 'grant function',
    action: 'iam:CreateRole',
    resource: GRANT_ROLE,
    context: creating,
    expect: 'Allowed',
    because: 'a jit- role under the stack path, with the boundary and the planner tags',
  },
  {
    who: 'grant function',
    action: 'iam:CreateRole',
    resource: GRANT_ROLE,
    context: { ...creating, 'iam:PermissionsBoundary': OTHER_BOUNDARY },
    expect: 'ImplicitlyDenied',
    because: 'another boundary',
  },
  {
    who: 'grant function',
    action: 'iam:CreateRole',
    resource: GRANT_ROLE,
    context: Object.fromEntries(Object.entries(creating).filter(([key]) => key !== 'iam:PermissionsBoundary')),
    expect: 'ImplicitlyDenied',
    because: 'no boundary',
  },
  {
    who: 'grant function',
    action: 'iam:CreateRole',
    resource: role('Admin'),
    context: creating,
    expect: 'ImplicitlyDenied',
    because: 'outside the stack path',
  },
  {
    who: 'grant function',
    action: 'iam:CreateRole',
    resource: NESTED_ROLE,
    context: creating,
    expect: 'ExplicitlyDenied',
    because: 'a path below a grant role name (jit-x/Admin)',
  },
  {
    who: 'grant function',
    action: 'iam:CreateRole',
    resource: GRANT_ROLE,
    context: { ...creating, [`aws:RequestTag/${RUN_AS_TAG}`]: 'root' },
    expect: 'ImplicitlyDenied',
    because: 'sessions run as root',
  },
  {
    who: 'grant function',
    action: 'iam:CreateRole',
    resource: GRANT_ROLE,
    context: { ...creating, 'aws:TagKeys': [...GRANT_ROLE_TAG_KEYS, 'Owner'] },
    expect: 'ImplicitlyDenied',
    because: 'a tag key the planner does not write',
  },
  {
    who: 'grant function',
    action: 'iam:PutRolePolicy',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'Allowed',
    because: 'the session policy on a role jit-access made',
  },
  {
    who: 'grant function',
    action: 'iam:PutRolePolicy',
    resource: CUSTOMER_ROLE,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: "a customer's jit- role without the managed tag",
  },
  {
    who: 'grant function',
    action: 'iam:PutRolePolicy',
    resource: NESTED_ROLE,
    context: managedRole,
    expect: 'ExplicitlyDenied',
    because: 'a nested path, even tagged',
  },
  {
    who: 'grant function',
    action: 'iam:TagRole',
    resource: GRANT_ROLE,
    context: tagging,
    expect: 'Allowed',
    because: 'a role being created has none of the tags yet',
  },
  {
    who: 'grant function',
    action: 'iam:TagRole',
    resource: GRANT_ROLE,
    context: {
      ...tagging,
      [`aws:ResourceTag/${MANAGED_TAG}`]: 'true',
      [`aws:ResourceTag/${RUN_AS_TAG}`]: 'globex-ops',
    },
    expect: 'ImplicitlyDenied',
    because: 'no re-tagging SSMSessionRunAs of an existing role',
  },
  {
    who: 'grant function',
    action: 'iam:TagRole',
    resource: GRANT_ROLE,
    context: { ...tagging, [`aws:ResourceTag/${RUN_AS_TAG}`]: 'acme-support' },
    expect: 'ImplicitlyDenied',
    because: 'a role that already has a run-as user',
  },
  {
    who: 'grant function',
    action: 'iam:TagRole',
    resource: NESTED_ROLE,
    context: tagging,
    expect: 'ExplicitlyDenied',
    because: 'a nested path',
  },
  {
    who: 'grant function',
    action: 'iam:UntagRole',
    resource: GRANT_ROLE,
    context: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true', 'aws:TagKeys': [RUN_AS_TAG] },
    expect: 'ExplicitlyDenied',
    because: 'removing SSMSessionRunAs',
  },
  {
    who: 'grant function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachAdmin,
    expect: 'ExplicitlyDenied',
    because: 'any managed policy but the deny-all',
  },
  {
    who: 'grant function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachDenyAll,
    expect: 'Allowed',
    because: 'compensation attaches the deny-all',
  },
  {
    who: 'grant function',
    action: 'iam:DeleteRolePermissionsBoundary',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'ExplicitlyDenied',
    because: 'the boundary can never be removed',
  },
  {
    who: 'grant function',
    action: 'iam:PutRolePermissionsBoundary',
    resource: GRANT_ROLE,
    context: { ...managedRole, 'iam:PermissionsBoundary': OTHER_BOUNDARY },
    expect: 'ExplicitlyDenied',
    because: 'the boundary can never be replaced',
  },
  {
    who: 'grant function',
    action: 'iam:UpdateAssumeRolePolicy',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'ExplicitlyDenied',
    because: 'trust is written once, at creation',
  },
  {
    who: 'grant function',
    action: 'iam:CreateUser',
    resource: `arn:aws:iam::${ACCOUNT}:user/backdoor`,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'no IAM escalation beyond grant roles',
  },
  {
    who: 'grant function',
    action: 'iam:CreatePolicyVersion',
    resource: stack.boundaryArn,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'the boundary cannot be rewritten',
  },
  {
    who: 'grant function',
    action: 'iam:PassRole',
    resource: stack.schedulerRoleArn,
    context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    expect: 'Allowed',
    because: 'the scheduler role, to EventBridge Scheduler',
  },
  {
    who: 'grant function',
    action: 'iam:PassRole',
    resource: stack.schedulerRoleArn,
    context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
    expect: 'ImplicitlyDenied',
    because: 'the scheduler role to any other service',
  },
  {
    who: 'grant function',
    action: 'iam:PassRole',
    resource: role('OrganizationAccountAccessRole'),
    context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    expect: 'ImplicitlyDenied',
    because: 'any other role',
  },
  {
    who: 'grant function',
    action: 'scheduler:CreateSchedule',
    resource: schedule(stack.planContext.scheduleGroupName),
    context: customerRole,
    expect: 'Allowed',
    because: "the grant's expiry schedule in the stack's group",
  },
  {
    who: 'grant function',
    action: 'scheduler:CreateSchedule',
    resource: schedule('default'),
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'a schedule in any other group',
  },
  {
    who: 'grant function',
    action: 'ec2:AuthorizeSecurityGroupIngress',
    resource: JIT_SECURITY_GROUP,
    context: customerRole,
    expect: 'Allowed',
    because: "the target group's JIT ingress security group",
  },
  {
    who: 'grant function',
    action: 'ec2:AuthorizeSecurityGroupIngress',
    resource: OTHER_SECURITY_GROUP,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'any other security group',
  },
  {
    who: 'grant function',
    action: 'ec2:CreateTags',
    resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group-rule/sgr-0123456789abcdef0`,
    context: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' },
    expect: 'Allowed',
    because: 'tagging a rule as it is created',
  },
  {
    who: 'grant function',
    action: 'ec2:CreateTags',
    resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group-rule/sgr-0123456789abcdef0`,
    context: {},
    expect: 'ImplicitlyDenied',
    because: 're-tagging an existing rule',
  },
  {
    who: 'grant function',
    action: 'dynamodb:PutItem',
    resource: stack.ledgerTableArn,
    context: customerRole,
    expect: 'Allowed',
    because: 'recording what it created in the ledger',
  },
  {
    who: 'grant function',
    action: 'iam:GetRole',
    resource: GRANT_ROLE,
    context: customerRole,
    expect: 'Allowed',
    because: 'reading a grant role back',
  },
  {
    who: 'grant function',
    action: 'ssm:SendCommand',
    resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0aaaaaaaaaaaaaaa1`,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'functions never run commands on instances',
  },
];

const teardownCases: IamCase<Who>[] = [
  {
    who: 'revoke function',
    action: 'iam:DeleteRole',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'Allowed',
    because: 'a role with the managed tag and the boundary',
  },
  {
    who: 'revoke function',
    action: 'iam:DeleteRolePolicy',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'Allowed',
    because: 'its session policy',
  },
  {
    who: 'revoke function',
    action: 'iam:DetachRolePolicy',
    resource: GRANT_ROLE,
    context: { ...managedRole, 'iam:PolicyARN': stack.revokedPolicyArn },
    expect: 'Allowed',
    because: 'the deny-all, before deleting the role',
  },
  {
    who: 'revoke function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachDenyAll,
    expect: 'Allowed',
    because: "the stack's deny-all",
  },
  {
    who: 'revoke function',
    action: 'iam:DeleteRole',
    resource: CUSTOMER_ROLE,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: "a customer's /jit-access/jit-readonly without the managed tag",
  },
  {
    who: 'revoke function',
    action: 'iam:DeleteRole',
    resource: CUSTOMER_ROLE,
    context: { ...customerRole, [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' },
    expect: 'ImplicitlyDenied',
    because: "the managed tag without the stack's boundary",
  },
  {
    who: 'revoke function',
    action: 'iam:DeleteRole',
    resource: CUSTOMER_ROLE,
    context: { ...customerRole, 'iam:PermissionsBoundary': stack.boundaryArn },
    expect: 'ImplicitlyDenied',
    because: 'the boundary without the managed tag',
  },
  {
    who: 'revoke function',
    action: 'iam:DeleteRolePolicy',
    resource: CUSTOMER_ROLE,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: "a customer role's policies",
  },
  {
    who: 'revoke function',
    action: 'iam:DetachRolePolicy',
    resource: CUSTOMER_ROLE,
    context: { ...customerRole, 'iam:PolicyARN': ADMIN_POLICY },
    expect: 'ImplicitlyDenied',
    because: "a customer role's attachments",
  },
  {
    who: 'revoke function',
    action: 'iam:DeleteRole',
    resource: NESTED_ROLE,
    context: managedRole,
    expect: 'ExplicitlyDenied',
    because: 'a nested path, even tagged',
  },
  {
    who: 'revoke function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachAdmin,
    expect: 'ExplicitlyDenied',
    because: 'AdministratorAccess (iam:PolicyARN is not the deny-all)',
  },
  {
    who: 'revoke function',
    action: 'iam:AttachRolePolicy',
    resource: CUSTOMER_ROLE,
    context: { ...customerRole, 'iam:PolicyARN': stack.revokedPolicyArn },
    expect: 'ImplicitlyDenied',
    because: "even the deny-all, on a customer's role",
  },
  {
    who: 'revoke function',
    action: 'iam:PutRolePolicy',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'ImplicitlyDenied',
    because: 'teardown writes no policy of its own',
  },
  {
    who: 'revoke function',
    action: 'iam:CreateRole',
    resource: GRANT_ROLE,
    context: creating,
    expect: 'ImplicitlyDenied',
    because: 'teardown only takes away',
  },
  {
    who: 'revoke function',
    action: 'iam:UpdateAssumeRolePolicy',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'ExplicitlyDenied',
    because: 'trust never changes',
  },
  {
    who: 'revoke function',
    action: 'ssm:TerminateSession',
    resource: SESSION,
    context: customerRole,
    expect: 'Allowed',
    because: "ending the grant's live sessions",
  },
  {
    who: 'revoke function',
    action: 'ec2:RevokeSecurityGroupIngress',
    resource: JIT_SECURITY_GROUP,
    context: customerRole,
    expect: 'Allowed',
    because: "closing the grant's rules",
  },
  {
    who: 'revoke function',
    action: 'ec2:RevokeSecurityGroupIngress',
    resource: OTHER_SECURITY_GROUP,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: "another security group's rules",
  },
  {
    who: 'revoke function',
    action: 'scheduler:DeleteSchedule',
    resource: schedule(stack.planContext.scheduleGroupName),
    context: customerRole,
    expect: 'Allowed',
    because: "the grant's expiry schedule",
  },
  {
    who: 'revoke function',
    action: 'sns:Publish',
    resource: stack.topicArn,
    context: customerRole,
    expect: 'Allowed',
    because: 'telling people the grant ended',
  },
  {
    who: 'revoke function',
    action: 'iam:ListAttachedRolePolicies',
    resource: GRANT_ROLE,
    context: customerRole,
    expect: 'Allowed',
    because: 'finding what to detach',
  },
  {
    who: 'revoke function',
    action: 'ssm:StartSession',
    resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0aaaaaaaaaaaaaaa1`,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'functions never open sessions',
  },
  {
    who: 'revoke function',
    action: 'kms:ScheduleKeyDeletion',
    resource: stack.sessionKeyArn,
    resourcePolicy: stack.sessionKeyPolicy,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'functions are no key administrators',
  },
  {
    who: 'revoke function',
    action: 's3:DeleteObject',
    resource: TRANSCRIPT,
    resourcePolicy: stack.sessionBucketPolicy,
    context: overTls,
    expect: 'ImplicitlyDenied',
    because: 'no function deletes evidence',
  },
  {
    who: 'sweeper function',
    action: 'iam:DeleteRole',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'Allowed',
    because: 'an orphaned role jit-access made',
  },
  {
    who: 'sweeper function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachDenyAll,
    expect: 'Allowed',
    because: "the stack's deny-all on an orphaned grant role",
  },
  {
    who: 'sweeper function',
    action: 'iam:DeleteRolePolicy',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'Allowed',
    because: "an orphaned role's session policy",
  },
  {
    who: 'sweeper function',
    action: 'ssm:TerminateSession',
    resource: SESSION,
    context: customerRole,
    expect: 'Allowed',
    because: 'a session no live grant holds',
  },
  {
    who: 'sweeper function',
    action: 'iam:DeleteRole',
    resource: CUSTOMER_ROLE,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: "a customer's jit- role the sweeper lists",
  },
  {
    who: 'sweeper function',
    action: 'iam:DetachRolePolicy',
    resource: CUSTOMER_ROLE,
    context: { ...customerRole, 'iam:PolicyARN': ADMIN_POLICY },
    expect: 'ImplicitlyDenied',
    because: "a customer role's attachments",
  },
  {
    who: 'sweeper function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachAdmin,
    expect: 'ExplicitlyDenied',
    because: 'any managed policy but the deny-all',
  },
  {
    who: 'sweeper function',
    action: 'iam:PutRolePolicy',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'ImplicitlyDenied',
    because: 'teardown writes no policy of its own',
  },
  {
    who: 'api-decide function',
    action: 'iam:DeleteRole',
    resource: GRANT_ROLE,
    context: managedRole,
    expect: 'Allowed',
    because: 'the kill switch tears a grant down',
  },
  {
    who: 'api-decide function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachDenyAll,
    expect: 'Allowed',
    because: 'the kill switch cuts issued credentials first',
  },
  {
    who: 'api-decide function',
    action: 'iam:DetachRolePolicy',
    resource: GRANT_ROLE,
    context: { ...managedRole, 'iam:PolicyARN': stack.revokedPolicyArn },
    expect: 'Allowed',
    because: 'detaching the deny-all before deleting the role',
  },
  {
    who: 'api-decide function',
    action: 'ssm:TerminateSession',
    resource: SESSION,
    context: customerRole,
    expect: 'Allowed',
    because: 'the kill switch ends live sessions at once',
  },
  {
    who: 'api-decide function',
    action: 'iam:DeleteRole',
    resource: CUSTOMER_ROLE,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: "a customer's role, whatever the caller asks",
  },
  {
    who: 'api-decide function',
    action: 'iam:AttachRolePolicy',
    resource: GRANT_ROLE,
    context: attachAdmin,
    expect: 'ExplicitlyDenied',
    because: 'any managed policy but the deny-all',
  },
  {
    who: 'api-decide function',
    action: 'iam:CreateRole',
    resource: GRANT_ROLE,
    context: creating,
    expect: 'ImplicitlyDenied',
    because: 'the API never creates roles',
  },
  {
    who: 'api-decide function',
    action: 'kms:PutKeyPolicy',
    resource: stack.sessionKeyArn,
    resourcePolicy: stack.sessionKeyPolicy,
    context: customerRole,
    expect: 'ImplicitlyDenied',
    because: 'functions are no key administrators',
  },
];

const keyAndBucketCases: IamCase<Who>[] = [
  {
    who: 'CloudWatch Logs',
    action: 'kms:GenerateDataKey',
    resource: stack.sessionKeyArn,
    context: { 'kms:EncryptionContext:aws:logs:arn': stack.sessionLogGroupArn },
    expect: 'Allowed',
    because: "the stack's session log group",
  },
  {
    who: 'CloudWatch Logs',
    action: 'kms:Decrypt',
    resource: stack.sessionKeyArn,
    context: { 'kms:EncryptionContext:aws:logs:arn': stack.sessionLogGroupArn },
    expect: 'Allowed',
    because: 'reading the session log group back',
  },
  {
    who: 'CloudWatch Logs',
    action: 'kms:GenerateDataKey',
    resource: stack.sessionKeyArn,
    context: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/someone/else` },
    expect: 'ImplicitlyDenied',
    because: 'another log group in the account (kms:EncryptionContext:aws:logs:arn)',
  },
  {
    who: 'CloudWatch Logs',
    action: 'kms:GenerateDataKey',
    resource: stack.sessionKeyArn,
    context: {
      'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:444455556666:log-group:/jit-access/JitAccess/sessions`,
    },
    expect: 'ImplicitlyDenied',
    because: 'a log group of the same name in another account',
  },
  {
    who: 'CloudWatch Logs',
    action: 'kms:GenerateDataKey',
    resource: stack.sessionKeyArn,
    context: {},
    expect: 'ImplicitlyDenied',
    because: 'no log group in the encryption context',
  },
  {
    who: 'CloudWatch Logs',
    action: 'kms:ScheduleKeyDeletion',
    resource: stack.sessionKeyArn,
    context: { 'kms:EncryptionContext:aws:logs:arn': stack.sessionLogGroupArn },
    expect: 'ImplicitlyDenied',
    because: 'the logs service is no key administrator',
  },
  {
    who: 'target instance',
    action: 'logs:PutLogEvents',
    resource: `${stack.sessionLogGroupArn}:log-stream:vendor-engineer-0a1b`,
    context: overTls,
    expect: 'Allowed',
    because: 'the SSM agent streams the session to its log group',
  },
  {
    who: 'target instance',
    action: 'logs:PutLogEvents',
    resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/someone/else:log-stream:x`,
    context: overTls,
    expect: 'ImplicitlyDenied',
    because: 'any other log group',
  },
  {
    who: 'target instance',
    action: 'kms:GenerateDataKey',
    resource: stack.sessionKeyArn,
    resourcePolicy: stack.sessionKeyPolicy,
    context: overTls,
    expect: 'Allowed',
    because: 'the SSM agent encrypts the session with the session key',
  },
  {
    who: 'target instance',
    action: 'kms:Decrypt',
    resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/another-key`,
    context: overTls,
    expect: 'ImplicitlyDenied',
    because: 'any other key',
  },
  {
    who: 'target instance',
    action: 's3:PutObject',
    resource: TRANSCRIPT,
    resourcePolicy: stack.sessionBucketPolicy,
    context: overTls,
    expect: 'Allowed',
    because: 'the SSM agent uploads transcripts over TLS',
  },
  {
    who: 'target instance',
    action: 's3:PutObject',
    resource: TRANSCRIPT,
    resourcePolicy: stack.sessionBucketPolicy,
    context: { ...overTls, 'aws:SecureTransport': 'false' },
    expect: 'ExplicitlyDenied',
    because: 'the bucket policy denies plain HTTP',
  },
  {
    who: 'target instance',
    action: 's3:PutObject',
    resource: `${stack.sessionBucketArn}/elsewhere/object`,
    resourcePolicy: stack.sessionBucketPolicy,
    context: overTls,
    expect: 'ImplicitlyDenied',
    because: 'only under sessions/',
  },
  {
    who: 'target instance',
    action: 's3:DeleteObject',
    resource: TRANSCRIPT,
    resourcePolicy: stack.sessionBucketPolicy,
    context: overTls,
    expect: 'ExplicitlyDenied',
    because: 'an instance cannot delete evidence: the instance policy denies it, whatever else the role holds',
  },
  {
    who: 'target instance',
    action: 's3:GetObject',
    resource: TRANSCRIPT,
    resourcePolicy: stack.sessionBucketPolicy,
    context: overTls,
    expect: 'ImplicitlyDenied',
    because: "an instance cannot read other sessions' transcripts",
  },
  {
    who: 'target instance',
    action: 's3:PutBucketPolicy',
    resource: stack.sessionBucketArn,
    resourcePolicy: stack.sessionBucketPolicy,
    context: overTls,
    expect: 'ImplicitlyDenied',
    because: 'an instance cannot loosen the bucket',
  },
];

const cases = [...grantFunctionCases, ...teardownCases, ...keyAndBucketCases];

describe('IAM on the synthesized stack (function roles, key policy, bucket policy)', () => {
  test.each(cases.map((row) => [row.who, row.action, row.expect, row.because, row] as const))(
    '%s: %s is %s (%s)',
    async (_who, _action, _expect, _because, row) => {
      // Act
      const evaluation = await evaluateCase(actors, row);

      // Assess
      expect(evaluation).toEqual({ decision: row.expect, ignoredContextKeys: [] });
    },
  );
});
