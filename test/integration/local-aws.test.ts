import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  TagRoleCommand,
} from '@aws-sdk/client-iam';
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_ACCOUNT } from '../../scripts/local-aws/local-aws';
import { localClientConfig } from '../helpers/local-aws-clients';

// One moto serves every integration test file of the run, so names carry a per-file suffix instead of relying on reset.
const run = `smoke-${process.pid}-${Date.now().toString(36)}`;
const ACCOUNT = LOCAL_ACCOUNT;

describe('local AWS (moto) serves the IAM calls a grant makes', () => {
  const iam = new IAMClient(localClientConfig());
  let boundaryArn: string;

  beforeAll(async () => {
    const boundary = await iam.send(
      new CreatePolicyCommand({
        PolicyName: `jit-boundary-${run}`,
        PolicyDocument: policy({ Effect: 'Allow', Action: 'ssm:StartSession', Resource: '*' }),
      }),
    );
    boundaryArn = boundary.Policy?.Arn ?? '';
  });

  afterAll(() => iam.destroy());

  it('GetRole returns the permissions boundary and the tags of a grant role', async () => {
    // Prepare
    const roleName = `jit-role-${run}`;
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: policy({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'sts:AssumeRole',
        }),
        PermissionsBoundary: boundaryArn,
        Tags: [{ Key: 'jit:grant', Value: 'g-1' }],
      }),
    );

    // Act
    await iam.send(
      new TagRoleCommand({ RoleName: roleName, Tags: [{ Key: 'jit:expires', Value: '2030-01-01T08:00Z' }] }),
    );
    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));

    // Assess
    expect(role?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: boundaryArn,
    });
    expect(role?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'jit:grant', Value: 'g-1' },
        { Key: 'jit:expires', Value: '2030-01-01T08:00Z' },
      ]),
    );
  });

  it('an inline policy put on a role reads back URL-encoded, as from real IAM', async () => {
    // Prepare
    const roleName = `jit-inline-${run}`;
    const document = policy({ Effect: 'Allow', Action: 'ssm:StartSession', Resource: 'arn:aws:ec2:*:*:instance/*' });
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: policy({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }),
      }),
    );

    // Act
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'session', PolicyDocument: document }));
    const stored = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'session' }));

    // Assess
    expect(decodeURIComponent(stored.PolicyDocument ?? '')).toBe(document);
  });
});

describe('local AWS (moto) serves the security group rule calls a grant makes', () => {
  const ec2 = new EC2Client(localClientConfig());
  let groupId: string;

  beforeAll(async () => {
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
    const group = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: `jit-targets-${run}`, Description: 'jit', VpcId: vpc.Vpc?.VpcId }),
    );
    groupId = group.GroupId ?? '';
  });

  afterAll(() => ec2.destroy());

  /** Opens SSH from one vendor address, tagged with the grant id, the way the grant handler does. */
  async function openRule(cidr: string, grantId: string): Promise<SecurityGroupRule[]> {
    const opened = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: cidr }] }],
        TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'jit:grant', Value: grantId }] }],
      }),
    );
    return opened.SecurityGroupRules ?? [];
  }

  it('AuthorizeSecurityGroupIngress returns the new rule with its id and tags', async () => {
    // Act
    const rules = await openRule('198.51.100.1/32', `g-open-${run}`);

    // Assess
    expect(rules).toEqual([
      expect.objectContaining({
        SecurityGroupRuleId: expect.stringMatching(/^sgr-/),
        GroupId: groupId,
        IsEgress: false,
        CidrIpv4: '198.51.100.1/32',
        Tags: [{ Key: 'jit:grant', Value: `g-open-${run}` }],
      }),
    ]);
  });

  it('DescribeSecurityGroupRules finds a rule by its grant tag and nothing else', async () => {
    // Prepare
    const [wanted] = await openRule('198.51.100.2/32', `g-find-${run}`);
    await openRule('198.51.100.3/32', `g-other-${run}`);

    // Act
    const found = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag:jit:grant', Values: [`g-find-${run}`] }] }),
    );

    // Assess
    expect(found.SecurityGroupRules?.map((rule) => rule.SecurityGroupRuleId)).toEqual([wanted?.SecurityGroupRuleId]);
  });

  it('RevokeSecurityGroupIngress by rule id removes only that rule', async () => {
    // Prepare
    const [revoked] = await openRule('198.51.100.4/32', `g-revoke-${run}`);
    const [kept] = await openRule('198.51.100.5/32', `g-keep-${run}`);

    // Act
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        SecurityGroupRuleIds: [revoked?.SecurityGroupRuleId ?? ''],
      }),
    );

    // Assess
    const left = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    const leftIds = left.SecurityGroupRules?.map((rule) => rule.SecurityGroupRuleId);
    expect(leftIds).toContain(kept?.SecurityGroupRuleId);
    expect(leftIds).not.toContain(revoked?.SecurityGroupRuleId);
  });

  it('revoking a rule id that is already gone fails with InvalidPermission.NotFound', async () => {
    // Prepare
    const [rule] = await openRule('198.51.100.6/32', `g-twice-${run}`);
    const revoke = new RevokeSecurityGroupIngressCommand({
      GroupId: groupId,
      SecurityGroupRuleIds: [rule?.SecurityGroupRuleId ?? ''],
    });
    await ec2.send(revoke);

    // Act
    const second = ec2.send(revoke);

    // Assess
    await expect(second).rejects.toMatchObject({ name: 'InvalidPermission.NotFound' });
  });
});

describe('local AWS (moto) serves the expiry schedule calls', () => {
  const scheduler = new SchedulerClient(localClientConfig());
  const groupName = `jit-expiry-${run}`;
  const expiry = {
    GroupName: groupName,
    ScheduleExpression: 'at(2030-01-01T08:00:00)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    ActionAfterCompletion: 'DELETE' as const,
    Target: {
      Arn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:jit-revoke`,
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/jit-scheduler`,
      Input: JSON.stringify({ grantId: 'g-1' }),
      DeadLetterConfig: { Arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:jit-revoke-dlq` },
      RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
    },
  };

  beforeAll(() => scheduler.send(new CreateScheduleGroupCommand({ Name: groupName })));

  afterAll(() => scheduler.destroy());

  it('GetSchedule returns a one-time expiry schedule exactly as it was created', async () => {
    // Prepare
    const name = `jit-g-get-${run}`;

    // Act
    await scheduler.send(new CreateScheduleCommand({ Name: name, ...expiry }));
    const stored = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: groupName }));

    // Assess
    expect(stored).toMatchObject({ Name: name, State: 'ENABLED', ...expiry });
  });

  it('ListSchedules shows a schedule in its group until DeleteSchedule removes it', async () => {
    // Prepare
    const name = `jit-g-list-${run}`;
    await scheduler.send(new CreateScheduleCommand({ Name: name, ...expiry }));
    const listNames = async () =>
      (await scheduler.send(new ListSchedulesCommand({ GroupName: groupName }))).Schedules?.map((s) => s.Name);
    const before = await listNames();

    // Act
    await scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: groupName }));

    // Assess
    expect(before).toContain(name);
    expect(await listNames()).not.toContain(name);
  });
});

describe('local AWS (moto) serves the ledger table calls', () => {
  const dynamo = new DynamoDBClient(localClientConfig());
  const tableName = `jit-ledger-${run}`;

  beforeAll(() =>
    dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    ),
  );

  afterAll(() => dynamo.destroy());

  it('a grant written to the table can be found through the status index', async () => {
    // Prepare
    await dynamo.send(
      new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'g-index' }, status: { S: 'ACTIVE' } } }),
    );

    // Act
    const active = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': { S: 'ACTIVE' } },
      }),
    );

    // Assess
    expect(active.Items?.map((item) => item.pk?.S)).toEqual(['g-index']);
  });

  it('a conditional put on an existing key fails with ConditionalCheckFailedException', async () => {
    // Prepare
    const put = new PutItemCommand({
      TableName: tableName,
      Item: { pk: { S: 'g-once' }, status: { S: 'PENDING' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await dynamo.send(put);

    // Act
    const second = dynamo.send(put);

    // Assess
    await expect(second).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});

describe('local AWS (moto) serves the notification calls', () => {
  const sns = new SNSClient(localClientConfig());
  const delivered: Record<string, unknown>[] = [];
  // moto delivers to HTTP subscribers itself, so a loopback listener sees what approvers would be sent.
  const subscriber = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      delivered.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      response.end();
    });
  });

  beforeAll(() => new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve)));

  afterAll(async () => {
    sns.destroy();
    await new Promise((resolve) => subscriber.close(resolve));
  });

  it('a message published to a topic reaches its HTTP subscriber before Publish returns', async () => {
    // Prepare
    const { port } = subscriber.address() as AddressInfo;
    const topic = await sns.send(new CreateTopicCommand({ Name: `jit-approvals-${run}` }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: topic.TopicArn,
        Protocol: 'http',
        Endpoint: `http://127.0.0.1:${port}/approvals`,
      }),
    );

    // Act
    const published = await sns.send(
      new PublishCommand({ TopicArn: topic.TopicArn, Subject: 'Approve g-1', Message: 'Vendor asks for access' }),
    );

    // Assess
    expect(delivered).toContainEqual(
      expect.objectContaining({
        Type: 'Notification',
        MessageId: published.MessageId,
        TopicArn: topic.TopicArn,
        Subject: 'Approve g-1',
        Message: 'Vendor asks for access',
      }),
    );
  });
});

describe('local AWS (moto) lacks the SSM session calls', () => {
  const ssm = new SSMClient({ ...localClientConfig(), maxAttempts: 1 });

  afterAll(() => ssm.destroy());

  // If this starts failing, moto has implemented sessions and the in-memory session double may be retired.
  it('StartSession answers HTTP 500 because moto does not implement it', async () => {
    // Act
    const started = ssm.send(new StartSessionCommand({ Target: 'i-0123456789abcdef0' }));

    // Assess
    await expect(started).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
  });
});

function policy(statement: Record<string, unknown>): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
}
