import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreatePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateBucketCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import type { RuntimeSettings } from '../../lambdas/shared/environment';
import {
  findResource,
  handlerNameOf,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  resolveIntrinsics,
  type CfnResource,
  type SynthesizedStack,
} from './synthesized-stack';

/** SDK settings for talking to the local moto server. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** A fresh, isolated copy of the stack's world in moto: names carry a suffix so worlds never collide. */
export interface LocalWorld {
  readonly suffix: string;
  readonly settings: RuntimeSettings;
  /** Instance ids per target group, each instance tagged as its group's config says. */
  readonly instances: Readonly<Record<string, readonly string[]>>;
  /** The synthesized state machine definition with every reference resolved to a local name. */
  readonly definition: { StartAt: string; States: Record<string, Record<string, unknown>> };
  /** State name → handler module name, for every Task state. */
  readonly taskHandlers: Readonly<Record<string, string>>;
  /** What only the audit function uses: the evidence key it signs with and the transcript bucket it reads. */
  readonly audit: { readonly evidenceKeyArn: string; readonly sessionBucketName: string };
}

const functionArn = (logicalId: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;

/**
 * Creates, in moto, what the deployed stack would have: the ledger table (key schema and indexes taken from the
 * synthesized template), a VPC with tagged target instances, the JIT ingress security groups, the notification topic,
 * the scheduler group, role and dead-letter queue, the session key and the permissions boundary.
 */
export async function createLocalWorld(
  endpoint: string,
  stack: SynthesizedStack,
  log: (line: string) => void = () => undefined,
): Promise<LocalWorld> {
  const suffix = randomBytes(4).toString('hex');
  const aws = localClientConfig(endpoint);
  const ec2 = new EC2Client(aws);
  const iam = new IAMClient(aws);

  const refs: Record<string, string> = {};
  const resolve = (logicalId: string, attribute?: string): string => {
    const resource = stack.resources[logicalId];
    if (resource?.Type === 'AWS::Lambda::Function') return functionArn(logicalId);
    return refs[`${logicalId}.${attribute ?? 'Ref'}`] ?? `${logicalId}-${suffix}`;
  };

  log('creating the ledger table from the synthesized template');
  const ledgerTableName = `jit-ledger-${suffix}`;
  await new DynamoDBClient(aws).send(new CreateTableCommand(ledgerTableInput(stack, ledgerTableName)));

  log('creating the VPC, the JIT security groups and tagged target instances');
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc?.VpcId as string;
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24' }))).Subnet
    ?.SubnetId as string;
  const imageId = await anyImageId(endpoint, ec2);
  const securityGroups: Record<string, string> = {};
  const instances: Record<string, string[]> = {};
  for (const group of stack.config.targetGroups) {
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `jit-ingress-${group.name}-${suffix}`,
        Description: `jit-access temporary vendor ingress for ${group.name}; empty at rest`,
        VpcId: vpcId,
      }),
    );
    securityGroups[group.name] = sg.GroupId as string;
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        MinCount: 2,
        MaxCount: 2,
        InstanceType: 't3.micro',
        SubnetId: subnetId,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: group.tagKey, Value: group.tagValue },
              { Key: 'Name', Value: `${group.name}-${suffix}` },
            ],
          },
        ],
      }),
    );
    instances[group.name] = (run.Instances ?? []).map((i) => i.InstanceId as string);
  }

  log(
    'creating the topic, the scheduler group, role and dead-letter queue, the session key and document, the boundary',
  );
  const topicArn = (await new SNSClient(aws).send(new CreateTopicCommand({ Name: `jit-notifications-${suffix}` })))
    .TopicArn as string;
  const scheduleGroupName = `jit-access-${suffix}`;
  await new SchedulerClient(aws).send(new CreateScheduleGroupCommand({ Name: scheduleGroupName }));
  const sqs = new SQSClient(aws);
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `jit-expiry-dlq-${suffix}` }))).QueueUrl;
  const schedulerDlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn as string;
  const schedulerRoleArn = (
    await iam.send(
      new CreateRoleCommand({
        RoleName: `jit-scheduler-${suffix}`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    )
  ).Role?.Arn as string;
  const sessionKeyArn = (await new KMSClient(aws).send(new CreateKeyCommand({ Description: `jit sessions ${suffix}` })))
    .KeyMetadata?.Arn as string;
  const sessionDocumentName = `JitAccess-Session-${suffix}`;
  const sessionDocument = findResource(stack, 'AWS::SSM::Document', 'SessionLogging');
  refs[`${sessionDocument.logicalId}.Ref`] = sessionDocumentName;
  refs[`${findResource(stack, 'AWS::KMS::Key', 'SessionLogging').logicalId}.Arn`] = sessionKeyArn;
  await new SSMClient(aws).send(
    new CreateDocumentCommand({
      Name: sessionDocumentName,
      DocumentType: 'Session',
      DocumentFormat: 'JSON',
      Content: JSON.stringify(resolveIntrinsics(sessionDocument.resource.Properties?.Content ?? {}, resolve)),
    }),
  );
  // The synthesized OS-account document, as CloudFormation would create it: moto checks its content; the instances'
  // side of it is played by the in-memory double.
  const osAccountDocumentName = `JitAccess-OsAccount-${suffix}`;
  const osAccountDocument = findResource(stack, 'AWS::SSM::Document', 'OsAccount');
  refs[`${osAccountDocument.logicalId}.Ref`] = osAccountDocumentName;
  await new SSMClient(aws).send(
    new CreateDocumentCommand({
      Name: osAccountDocumentName,
      DocumentType: 'Command',
      DocumentFormat: 'JSON',
      Content: JSON.stringify(osAccountDocument.resource.Properties?.Content ?? {}),
    }),
  );
  const createPolicy = async (logicalIdPrefix: string, name: string) => {
    const policy = findResource(stack, 'AWS::IAM::ManagedPolicy', logicalIdPrefix).resource;
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: name,
        PolicyDocument: JSON.stringify(resolveIntrinsics(policy.Properties?.PolicyDocument ?? {}, resolve)),
      }),
    );
    return created.Policy?.Arn as string;
  };
  const permissionsBoundaryArn = await createPolicy('GrantPermissionsBoundaryPolicy', `jit-boundary-${suffix}`);
  const revokedPolicyArn = await createPolicy('GrantPermissionsBoundaryRevokedPolicy', `jit-revoked-${suffix}`);

  // Session Manager streams each session to this group, one log stream per session id (shadowing reads it).
  const sessionLogGroupName = `jit-sessions-${suffix}`;
  await new CloudWatchLogsClient(aws).send(new CreateLogGroupCommand({ logGroupName: sessionLogGroupName }));

  // The evidence bucket (versioned, Object Lock as the stack configures it), as in the stack: session transcripts,
  // and the OS-account command's output (the change snapshots) as the agent writes it. And the evidence key (only the
  // audit function signs with it in AWS; moto enforces no key policy).
  const evidenceBucketName = `jit-evidence-${suffix}`;
  const sessionBucketName = evidenceBucketName;
  const s3 = localS3(endpoint);
  await s3.send(
    new CreateBucketCommand({
      Bucket: evidenceBucketName,
      ObjectLockEnabledForBucket: true,
      CreateBucketConfiguration: { LocationConstraint: LOCAL_REGION as BucketLocationConstraint },
    }),
  );
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: evidenceBucketName,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: stack.config.objectLockMode, Days: stack.config.objectLockDays } },
      },
    }),
  );
  const evidenceKeyArn = (
    await new KMSClient(aws).send(
      new CreateKeyCommand({
        Description: `jit evidence ${suffix}`,
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
      }),
    )
  ).KeyMetadata?.Arn as string;

  const { definition, taskHandlers } = localStateMachine(stack, resolve);
  const revokeFunction = Object.entries(stack.resources).find(([, r]) => handlerNameOf(r) === 'revoke');
  if (!revokeFunction) throw new Error('the synthesized template has no function tagged jit-access:handler=revoke');

  return {
    suffix,
    instances,
    definition,
    taskHandlers,
    audit: { evidenceKeyArn, sessionBucketName },
    settings: {
      config: { ...stack.config, iamPath: `/jit-access-${suffix}/` },
      ledgerTableName,
      topicArn,
      env: { accountId: LOCAL_ACCOUNT, region: LOCAL_REGION, partition: 'aws' },
      permissionsBoundaryArn,
      revokedPolicyArn,
      sessionDocumentName,
      osAccountDocumentName,
      sessionKeyArn,
      scheduleGroupName,
      schedulerRoleArn,
      schedulerDlqArn,
      revokeFunctionArn: functionArn(revokeFunction[0]),
      securityGroups,
      stateMachineArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:jit-access-${suffix}`,
      sessionLogGroupName,
      evidenceBucketName,
    },
  };
}

/** An S3 client for moto: path-style, as a bucket name is no host name on a loopback endpoint. */
export function localS3(endpoint: string): S3Client {
  return new S3Client({ ...localClientConfig(endpoint), forcePathStyle: true });
}

/** Each endpoint's image, kept for later worlds. */
const imageIds = new Map<string, Promise<string>>();

/**
 * A Linux image (jit-access refuses Windows instances): Amazon Linux 2023, found by name, because describing all of
 * moto's ~1300 images costs moto and the SDK seconds of CPU, once in every test file.
 */
function anyImageId(endpoint: string, ec2: EC2Client): Promise<string> {
  let imageId = imageIds.get(endpoint);
  if (!imageId) {
    imageId = ec2
      .send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['al2023-ami-2023.*-x86_64'] }] }))
      .then((r) => {
        const linux = r.Images?.find((image) => image.Platform === undefined)?.ImageId;
        if (!linux) throw new Error('moto offers no Amazon Linux 2023 image (al2023-ami-2023.*-x86_64)');
        return linux;
      });
    imageIds.set(endpoint, imageId);
    imageId.catch(() => imageIds.delete(endpoint));
  }
  return imageId;
}

/** The ledger table as the synthesized template declares it (keys and indexes), under `tableName`. */
export function ledgerTableInput(
  stack: Pick<SynthesizedStack, 'resources'>,
  tableName: string,
): CreateTableCommandInput {
  const table = Object.values(stack.resources).find(
    (r) => r.Type === 'AWS::DynamoDB::GlobalTable' || r.Type === 'AWS::DynamoDB::Table',
  ) as CfnResource | undefined;
  if (!table?.Properties) throw new Error('the synthesized template has no DynamoDB table');
  const props = table.Properties as unknown as Pick<CreateTableCommandInput, 'KeySchema' | 'AttributeDefinitions'> & {
    GlobalSecondaryIndexes?: Array<{
      IndexName: string;
      KeySchema: CreateTableCommandInput['KeySchema'];
      Projection: unknown;
    }>;
  };
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: props.KeySchema,
    AttributeDefinitions: props.AttributeDefinitions,
    GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes ?? []).map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection as { ProjectionType: 'ALL' },
    })),
  };
}

/** The state machine's definition from the template, and which handler each Task state invokes. */
function localStateMachine(
  stack: SynthesizedStack,
  resolve: (logicalId: string, attribute?: string) => string,
): Pick<LocalWorld, 'definition' | 'taskHandlers'> {
  const machine = findResource(stack, 'AWS::StepFunctions::StateMachine').resource;
  const definitionString = resolveIntrinsics(machine.Properties?.DefinitionString ?? '', resolve);
  const definition = JSON.parse(String(definitionString)) as LocalWorld['definition'];
  const taskHandlers: Record<string, string> = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const parameters = state.Parameters as Record<string, unknown> | undefined;
    const target = String(parameters?.FunctionName ?? state.Resource);
    const logicalId = target.split(':function:')[1];
    const handler = logicalId ? handlerNameOf(stack.resources[logicalId] ?? { Type: '' }) : undefined;
    if (!handler) throw new Error(`task state "${stateName}" invokes ${target}, which has no jit-access:handler tag`);
    taskHandlers[stateName] = handler;
  }
  return { definition, taskHandlers };
}
