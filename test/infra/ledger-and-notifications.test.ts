import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf,
  allStatements,
  exampleStackConfig,
  onlyLogicalId,
  resourcesOf,
  synthTemplate,
  type TemplateStatement,
} from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

/** The statements of the ledger table's resource policy. */
function ledgerResourcePolicy(): TemplateStatement[] {
  const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
  return (table!.Properties.ResourcePolicy as { PolicyDocument: { Statement: TemplateStatement[] } }).PolicyDocument
    .Statement;
}

/** Logical ids of the roles whose IAM policies allow writing items of the ledger table. */
function rolesAllowedToWriteTheLedger(): string[] {
  const tableId = onlyLogicalId(template, 'AWS::DynamoDB::Table');
  const writePolicies = allStatements(template)
    .filter(({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).includes('dynamodb:PutItem'))
    .filter(({ statement }) => JSON.stringify(resourcesOf(statement)).includes(`"${tableId}"`))
    .map(({ source }) => source);
  const policies = template.toJSON() as { Resources: Record<string, { Properties: { Roles?: { Ref: string }[] } }> };
  return writePolicies.flatMap((id) => (policies.Resources[id]!.Properties.Roles ?? []).map((role) => role.Ref)).sort();
}

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const LEDGER_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/JitAccess-ledger`;
const ADMINISTRATOR = `arn:aws:iam::${ACCOUNT}:role/Administrator`;

/** The ARN a deployed role of logical id `roleId` would have (under the stack's IAM path). */
function deployedRoleArn(roleId: string): string {
  return `arn:aws:iam::${ACCOUNT}:role/jit-access-stack/JitAccess/${roleId}`;
}

/** A template value as deployed in ACCOUNT and REGION, each role at `deployedRoleArn`. */
function deployed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deployed);
  if (value === null || typeof value !== 'object') return value;
  const intrinsic = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; Ref?: string };
  if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(deployed).join(intrinsic['Fn::Join'][0]);
  if (intrinsic['Fn::GetAtt']) return deployedRoleArn(intrinsic['Fn::GetAtt'][0]);
  if (intrinsic.Ref !== undefined) {
    return { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT }[intrinsic.Ref];
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, deployed(inner)]));
}

/** What IAM decides for `principal`, whose own policies allow everything, calling `action` on the ledger. */
async function ledgerDecision(principal: string, action: string): Promise<string | undefined> {
  const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
  const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: LEDGER_ARN, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalArn': principal },
      },
      identityPolicies: [{ name: 'AdministratorAccess', policy: allowAll }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: deployed((table!.Properties.ResourcePolicy as { PolicyDocument: unknown }).PolicyDocument),
    },
    {},
  );
  return result.resultType === 'single' ? result.result.analysis?.result : JSON.stringify(result);
}

describe('ledger table', () => {
  test('refuses an administrator every item write the IAM policies allow, and lets a writer role write', async () => {
    // Prepare
    const writer = deployedRoleArn(rolesAllowedToWriteTheLedger()[0]!);

    // Act
    const administrator = await Promise.all(
      ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PartiQLUpdate'].map((action) =>
        ledgerDecision(ADMINISTRATOR, action),
      ),
    );
    const writes = await ledgerDecision(writer, 'dynamodb:PutItem');

    // Assess
    expect(administrator).toEqual(['ExplicitlyDenied', 'ExplicitlyDenied', 'ExplicitlyDenied', 'ExplicitlyDenied']);
    expect(writes).toBe('Allowed');
  });

  test('leaves reads and table management to IAM, so auditors read it and CloudFormation updates it', async () => {
    // Act
    const decisions = await Promise.all(
      ['dynamodb:GetItem', 'dynamodb:UpdateTable'].map((action) => ledgerDecision(ADMINISTRATOR, action)),
    );

    // Assess
    expect(decisions).toEqual(['Allowed', 'Allowed']);
  });

  test('has a resource policy that refuses data writes to every principal but the roles granted ledger writes', () => {
    // Act
    const [statement, ...others] = ledgerResourcePolicy();
    const exempted = (statement!.Condition!.ArnNotEquals!['aws:PrincipalArn'] as { 'Fn::GetAtt': [string, string] }[])
      .map((arn) => arn['Fn::GetAtt'][0])
      .sort();

    // Assess
    expect(others).toEqual([]);
    expect(statement).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect(exempted).toEqual(rolesAllowedToWriteTheLedger());
    expect(exempted.length).toBeGreaterThanOrEqual(5);
  });

  test('refuses every data-plane write, PartiQL included, and no table management (CloudFormation still updates it)', () => {
    // Act
    const [statement] = ledgerResourcePolicy();

    // Assess
    expect([...actionsOf(statement!)].sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PartiQLDelete',
      'dynamodb:PartiQLInsert',
      'dynamodb:PartiQLUpdate',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(statement!.Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':dynamodb:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':table/JitAccess-ledger',
        ],
      ],
    });
  });

  test('is named after the stack, so the guardrail SCP can name it', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'JitAccess-ledger' });
  });

  test('is on-demand with pk/sk string keys', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  test('has point-in-time recovery and deletion protection, and is retained with the stack', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
    });
  });

  test('is encrypted with its own rotating customer-managed key', () => {
    // Prepare
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('ledger') });

    // Assess
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('ledger'),
      EnableKeyRotation: true,
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
  });

  test('has the byStatus index (status, expiresAt) with every attribute projected, for the sweeper', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });
});

describe('notification topic', () => {
  test('is encrypted with a rotating customer-managed key that CloudWatch alarms may use', () => {
    // Prepare
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('notification') });

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('notification'),
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });

  test('refuses publishing that is not TLS', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('subscribes every configured email address', () => {
    // Assess
    template.resourceCountIs('AWS::SNS::Subscription', config.notificationEmails.length);
    for (const email of config.notificationEmails) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
  });
});
