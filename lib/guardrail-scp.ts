import { DefaultStackSynthesizer, Token, type Stack } from 'aws-cdk-lib';
import { HANDLER_NAMES, jitFunctionName } from './constructs/jit-function';
import { sessionBucketName, stackIamPath, stackResourceName, trailBucketName } from './constructs/naming';

/** AWS Organizations' limit on one service control policy, whitespace included (the file is written minified). */
export const SCP_MAX_CHARACTERS = 5120;

export interface GuardrailStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition: { readonly ArnNotLike: { readonly 'aws:PrincipalArn': readonly string[] } };
}

export interface GuardrailServiceControlPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly GuardrailStatement[];
}

/**
 * The service control policy that keeps everyone but the stack's own roles (and the role CloudFormation deploys the
 * stack with) away from what would bypass the API or rewrite evidence: the functions, answering or starting the
 * workflow, ledger writes, the session document, Object Lock on the transcripts, and the stack's and grants' IAM
 * paths (the boundary among them); with the stack's own trail, stopping or changing it and its bucket's Object Lock.
 *
 * An SCP holds no CloudFormation tokens: every name comes from the stack name and `iamPath`; an account or region the
 * stack leaves to deploy time becomes `*` (the SCP then covers these names in every account it is attached to).
 */
export function guardrailServiceControlPolicy(
  stack: Stack,
  iamPath: string,
  options: {
    /** The stack creates its own trail (`cloudTrail.create`): stopping or changing it, or its bucket's lock, is denied. */
    readonly ownTrail?: boolean;
  } = {},
): GuardrailServiceControlPolicy {
  const known = (value: string): string => (Token.isUnresolved(value) ? '*' : value);
  const partition = Token.isUnresolved(stack.partition) ? 'aws' : stack.partition;
  const account = known(stack.account);
  const region = known(stack.region);
  const arn = (service: string, resource: string): string =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const iamArn = (resource: string): string => `arn:${partition}:iam::${account}:${resource}`;
  const stackPath = stackIamPath(stack);

  const exceptTheStack = {
    ArnNotLike: {
      'aws:PrincipalArn': [iamArn(`role${stackPath}*`), iamArn(`role/${cloudFormationExecutionRoleName(stack)}`)],
    },
  };
  const deny = (Sid: string, Action: string[], Resource: string[]): GuardrailStatement => ({
    Sid,
    Effect: 'Deny',
    Action,
    Resource,
    Condition: exceptTheStack,
  });
  const bucketArns = [sessionBucketName(stack, account, region)]
    .concat(options.ownTrail ? [trailBucketName(stack, account, region)] : [])
    .map((name) => `arn:${partition}:s3:::${name}`);

  const policy: GuardrailServiceControlPolicy = {
    Version: '2012-10-17',
    Statement: [
      deny(
        'InvokeOrChangeFunctions',
        [
          'lambda:InvokeFunction',
          'lambda:InvokeAsync',
          'lambda:Update*',
          'lambda:Delete*',
          'lambda:Put*',
          'lambda:AddPermission',
          'lambda:RemovePermission',
          'lambda:PublishVersion',
          'lambda:CreateAlias',
        ],
        HANDLER_NAMES.flatMap((handler) => {
          const functionArn = arn('lambda', `function:${jitFunctionName(stack, handler)}`);
          return [functionArn, `${functionArn}:*`];
        }),
      ),
      deny(
        'AnswerStartOrChangeWorkflow',
        [
          'states:SendTaskSuccess',
          'states:SendTaskFailure',
          'states:SendTaskHeartbeat',
          'states:StartExecution',
          'states:StartSyncExecution',
          'states:UpdateStateMachine',
          'states:DeleteStateMachine',
        ],
        [arn('states', `stateMachine:${stackResourceName(stack, 'approval')}`)],
      ),
      deny(
        'WriteLedger',
        [
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:PartiQLInsert',
          'dynamodb:PartiQLUpdate',
          'dynamodb:PartiQLDelete',
          'dynamodb:UpdateTable',
          'dynamodb:DeleteTable',
          'dynamodb:PutResourcePolicy',
          'dynamodb:DeleteResourcePolicy',
        ],
        [arn('dynamodb', `table/${stackResourceName(stack, 'ledger')}`)],
      ),
      deny(
        'ChangeSessionDocument',
        [
          'ssm:UpdateDocument',
          'ssm:UpdateDocumentDefaultVersion',
          'ssm:UpdateDocumentMetadata',
          'ssm:DeleteDocument',
          'ssm:ModifyDocumentPermission',
        ],
        [arn('ssm', `document/${stackResourceName(stack, 'session')}`)],
      ),
      deny(
        'BypassObjectLock',
        [
          's3:BypassGovernanceRetention',
          's3:PutBucketObjectLockConfiguration',
          's3:PutBucketPolicy',
          's3:DeleteBucketPolicy',
        ],
        bucketArns.flatMap((bucketArn) => [bucketArn, `${bucketArn}/*`]),
      ),
      ...(options.ownTrail
        ? [
            deny(
              'StopOrChangeTrail',
              [
                'cloudtrail:StopLogging',
                'cloudtrail:DeleteTrail',
                'cloudtrail:UpdateTrail',
                'cloudtrail:PutEventSelectors',
                'cloudtrail:PutInsightSelectors',
              ],
              [arn('cloudtrail', `trail/${stackResourceName(stack, 'trail')}`)],
            ),
          ]
        : []),
      deny(
        'ChangeStackOrGrantIamPaths',
        [
          'iam:CreateRole',
          'iam:DeleteRole*',
          'iam:UpdateRole*',
          'iam:UpdateAssumeRolePolicy',
          'iam:PutRole*',
          'iam:AttachRolePolicy',
          'iam:DetachRolePolicy',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:PassRole',
          'iam:CreatePolicy*',
          'iam:DeletePolicy*',
          'iam:SetDefaultPolicyVersion',
          'iam:TagPolicy',
          'iam:UntagPolicy',
        ],
        [
          iamArn(`role${stackPath}*`),
          iamArn(`policy${stackPath}*`),
          iamArn(`role${iamPath}*`),
          iamArn(`policy${iamPath}*`),
        ],
      ),
    ],
  };

  const size = JSON.stringify(policy).length;
  if (size > SCP_MAX_CHARACTERS) {
    throw new Error(
      `guardrail SCP of stack ${stack.stackName}: ${size} characters, over AWS Organizations' ${SCP_MAX_CHARACTERS}: shorten the stack name or jitAccess.iamPath`,
    );
  }
  return policy;
}

/** The role CloudFormation deploys the stack with (CDK's bootstrap role), the one principal that must change it all. */
function cloudFormationExecutionRoleName(stack: Stack): string {
  if (!(stack.synthesizer instanceof DefaultStackSynthesizer)) {
    throw new Error(
      `guardrail SCP of stack ${stack.stackName}: only the DefaultStackSynthesizer names the role CloudFormation deploys with; use it, or the SCP would lock deployments out`,
    );
  }
  const qualifier = stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  const known = (value: string): string => (Token.isUnresolved(value) ? '*' : value);
  return `cdk-${qualifier}-cfn-exec-role-${known(stack.account)}-${known(stack.region)}`;
}
