import { Match } from 'aws-cdk-lib/assertions';
import type { PlanContext } from '../../lambdas/domain/planner';
import type { PolicyDocument } from '../../lambdas/domain/types';
import type { JitAccessConfig } from '../../lib/config/schema';
import type { IamPolicyDocument } from '../../scripts/local-aws/iam-simulator';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  resolveIntrinsics,
  type CfnResource,
} from '../../scripts/local-aws/synthesized-stack';
import {
  exampleStackConfig,
  functionLogicalId,
  onlyLogicalId,
  statementsOfHandler,
  synthTemplate,
} from './synth-stack';

type CfnValue = Parameters<typeof resolveIntrinsics>[0];

/**
 * The synthesized stack's policies with every CloudFormation intrinsic resolved to the concrete ARN it would have in
 * account 111122223333, eu-west-1, as IAM sees them once deployed: the grant-role boundary and deny-all, each function
 * role's policies, the session key's key policy, the evidence bucket's policy and the instance policy.
 */
export interface StackPolicies {
  readonly config: JitAccessConfig;
  readonly account: string;
  /** Stack facts as the grant function gets them, so planned policies name the same ARNs as the template. */
  readonly planContext: PlanContext;
  readonly boundaryArn: string;
  readonly boundary: IamPolicyDocument;
  readonly revokedPolicyArn: string;
  readonly revokedPolicy: IamPolicyDocument;
  readonly sessionKeyArn: string;
  readonly sessionKeyPolicy: IamPolicyDocument;
  readonly sessionBucketArn: string;
  readonly sessionBucketPolicy: IamPolicyDocument;
  readonly sessionLogGroupArn: string;
  readonly instancePolicy: IamPolicyDocument;
  readonly schedulerRoleArn: string;
  readonly ledgerTableArn: string;
  readonly topicArn: string;
  /** The role ARN of the function for a handler (`grant`, `revoke`, …) and every statement attached to it. */
  functionRole(handler: string): { readonly arn: string; readonly policy: IamPolicyDocument };
}

const arn = (service: string, resource: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;

/** A concrete value for each reference CloudFormation would resolve at deploy time, named after the logical id. */
function referenceResolver(resources: Readonly<Record<string, CfnResource>>) {
  return (logicalId: string, attribute?: string): string => {
    const resource = resources[logicalId];
    if (!resource) throw new Error(`the template references ${logicalId}, which it does not define`);
    const properties = resource.Properties ?? {};
    const name = (key: string) => (typeof properties[key] === 'string' ? properties[key] : logicalId);
    const byType: Record<string, () => string> = {
      'AWS::IAM::ManagedPolicy': () =>
        `arn:aws:iam::${LOCAL_ACCOUNT}:policy${name('Path') === logicalId ? '/' : name('Path')}${logicalId}`,
      'AWS::IAM::Role': () => (attribute === 'Arn' ? `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}` : logicalId),
      'AWS::KMS::Key': () => (attribute === 'Arn' ? arn('kms', `key/${logicalId}`) : logicalId),
      'AWS::S3::Bucket': () =>
        attribute === 'Arn' ? `arn:aws:s3:::${logicalId.toLowerCase()}` : logicalId.toLowerCase(),
      'AWS::Logs::LogGroup': () =>
        attribute === 'Arn' ? arn('logs', `log-group:${name('LogGroupName')}:*`) : name('LogGroupName'),
      'AWS::DynamoDB::Table': () => arn('dynamodb', `table/${logicalId}`),
      'AWS::SNS::Topic': () => arn('sns', logicalId),
      'AWS::SQS::Queue': () => arn('sqs', logicalId),
      'AWS::Lambda::Function': () => arn('lambda', `function:${logicalId}`),
      'AWS::SSM::Document': () => name('Name'),
      'AWS::StepFunctions::StateMachine': () => arn('states', `stateMachine:${logicalId}`),
      'AWS::EC2::SecurityGroup': () => `sg-${logicalId.toLowerCase().slice(0, 17)}`,
    };
    const value = byType[resource.Type];
    if (!value) throw new Error(`no local value for ${resource.Type} ${logicalId}: add one to referenceResolver`);
    return value();
  };
}

/** Synthesizes the example stack (cdk.json) and resolves its policies. */
export function stackPolicies(): StackPolicies {
  const config = exampleStackConfig();
  const template = synthTemplate(config);
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  const resolveRef = referenceResolver(resources);
  const resolve = <T>(value: unknown): T => resolveIntrinsics(value as CfnValue, resolveRef) as T;
  const property = (logicalId: string, key: string): unknown => resources[logicalId]!.Properties![key];

  const described = (type: string, description: string) =>
    onlyLogicalId(template, type, { Description: Match.stringLikeRegexp(description) });
  const boundaryId = described('AWS::IAM::ManagedPolicy', 'permissions boundary');
  const revokedId = described('AWS::IAM::ManagedPolicy', 'denies everything');
  const instancePolicyId = described('AWS::IAM::ManagedPolicy', 'SSM agent of a target instance');
  const sessionKeyId = described('AWS::KMS::Key', 'session recording');
  const bucketId = onlyLogicalId(template, 'AWS::S3::Bucket', { ObjectLockEnabled: true });
  const bucketPolicyId = onlyLogicalId(template, 'AWS::S3::BucketPolicy', { Bucket: { Ref: bucketId } });
  const logGroupId = onlyLogicalId(template, 'AWS::Logs::LogGroup', {
    LogGroupName: Match.stringLikeRegexp('/sessions$'),
  });
  const documentId = onlyLogicalId(template, 'AWS::SSM::Document', { DocumentType: 'Session' });
  const scheduleGroupId = onlyLogicalId(template, 'AWS::Scheduler::ScheduleGroup');
  const schedulerRoleId = Object.entries(template.findResources('AWS::IAM::Role')).find(([, role]) =>
    JSON.stringify(role).includes('scheduler.amazonaws.com'),
  )?.[0];
  if (!schedulerRoleId) throw new Error('the template has no role that EventBridge Scheduler assumes');
  const securityGroups = Object.fromEntries(
    config.targetGroups.map((group) => [
      group.name,
      resolveRef(
        onlyLogicalId(template, 'AWS::EC2::SecurityGroup', {
          GroupDescription: `jit-access temporary vendor ingress for ${group.name}; empty at rest`,
        }),
        'GroupId',
      ),
    ]),
  );
  const boundaryArn = resolveRef(boundaryId);
  const sessionKeyArn = resolveRef(sessionKeyId, 'Arn');
  const logGroupName = resolveRef(logGroupId);

  return {
    config,
    account: LOCAL_ACCOUNT,
    planContext: {
      env: { accountId: LOCAL_ACCOUNT, region: LOCAL_REGION, partition: 'aws' },
      iamPath: config.iamPath,
      permissionsBoundaryArn: boundaryArn,
      sessionDocumentName: resolveRef(documentId),
      sessionKeyArn,
      scheduleGroupName: String(property(scheduleGroupId, 'Name') ?? scheduleGroupId),
      securityGroups,
    },
    boundaryArn,
    boundary: resolve<PolicyDocument>(property(boundaryId, 'PolicyDocument')),
    revokedPolicyArn: resolveRef(revokedId),
    revokedPolicy: resolve<PolicyDocument>(property(revokedId, 'PolicyDocument')),
    sessionKeyArn,
    sessionKeyPolicy: resolve<IamPolicyDocument>(property(sessionKeyId, 'KeyPolicy')),
    sessionBucketArn: resolveRef(bucketId, 'Arn'),
    sessionBucketPolicy: resolve<IamPolicyDocument>(property(bucketPolicyId, 'PolicyDocument')),
    sessionLogGroupArn: arn('logs', `log-group:${logGroupName}`),
    instancePolicy: resolve<IamPolicyDocument>(property(instancePolicyId, 'PolicyDocument')),
    schedulerRoleArn: resolveRef(schedulerRoleId, 'Arn'),
    ledgerTableArn: resolveRef(onlyLogicalId(template, 'AWS::DynamoDB::Table'), 'Arn'),
    topicArn: resolveRef(onlyLogicalId(template, 'AWS::SNS::Topic')),
    functionRole(handler) {
      const fn = resources[functionLogicalId(template, handler)]!;
      const roleArn = resolve<string>(fn.Properties!.Role);
      const statements = statementsOfHandler(template, handler);
      return { arn: roleArn, policy: resolve({ Version: '2012-10-17', Statement: statements }) };
    },
  };
}
