import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ROUTE_NAMES, ROUTES, type RouteName } from '../../lambdas/handlers/api/contract';
import { exampleConfig } from '../helpers/config-fixture';
import {
  actionsOf,
  functionLogicalId,
  onlyLogicalId,
  resourcesOf,
  statementsOfHandler,
  synthTemplate,
  type TemplateStatement,
} from '../helpers/synth-stack';

const config = exampleConfig((raw) => {
  raw.logRetentionDays = 731;
  raw.api = { throttleRatePerSecond: 7, throttleBurst: 13 };
});
const template: Template = synthTemplate(config);

const ORGANIZATION_ID = 'o-a1b2c3d4e5';

const API_FUNCTIONS = ['api-read', 'api-request', 'api-decide', 'api-audit'];
const LIFECYCLE_FUNCTIONS = ['validate-request', 'request-approval', 'grant', 'revoke', 'sweeper', 'record-outcome'];
const LEDGER_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:TransactWriteItems',
];

const apiId = onlyLogicalId(template, 'AWS::ApiGateway::RestApi');
const stateMachineId = onlyLogicalId(template, 'AWS::StepFunctions::StateMachine');

interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

function resourcesOfTemplate(): Record<string, TemplateResource> {
  return (template.toJSON() as { Resources: Record<string, TemplateResource> }).Resources;
}

/** `/grants/{grantId}/approve` for an AWS::ApiGateway::Resource, walking its parents up to the API root. */
function pathOfResource(resourceId: unknown): string {
  const rootOfApi = { 'Fn::GetAtt': [apiId, 'RootResourceId'] };
  if (JSON.stringify(resourceId) === JSON.stringify(rootOfApi)) return '';
  const resource = resourcesOfTemplate()[(resourceId as { Ref: string }).Ref]!;
  return `${pathOfResource(resource.Properties.ParentId)}/${resource.Properties.PathPart as string}`;
}

interface DeployedMethod {
  readonly httpMethod: string;
  readonly path: string;
  readonly properties: Record<string, unknown>;
}

function methods(): DeployedMethod[] {
  return Object.values(template.findResources('AWS::ApiGateway::Method')).map((method) => ({
    httpMethod: method.Properties.HttpMethod as string,
    path: pathOfResource(method.Properties.ResourceId),
    properties: method.Properties as Record<string, unknown>,
  }));
}

/** The handler whose function a method's Lambda proxy integration invokes. */
function integratedHandler(method: DeployedMethod): string | undefined {
  const uri = JSON.stringify((method.properties.Integration as { Uri: unknown }).Uri);
  return API_FUNCTIONS.find((handler) =>
    uri.includes(`{"Fn::GetAtt":["${functionLogicalId(template, handler)}","Arn"]}`),
  );
}

function stageProperties(): Record<string, unknown> {
  const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage', { Properties: { StageName: 'v1' } }));
  return stage!.Properties as Record<string, unknown>;
}

function allowing(statements: TemplateStatement[], action: string): TemplateStatement[] {
  return statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
}

function allowedActions(handler: string): string[] {
  return [
    ...new Set(
      statementsOfHandler(template, handler)
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actionsOf),
    ),
  ].sort();
}

function lambdaPermissions(): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::Lambda::Permission')).map(
    (permission) => permission.Properties as Record<string, unknown>,
  );
}

const thisAccountRoot = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
};

describe('operator API methods', () => {
  test('there is one method per route of the contract, and every one requires SigV4 (AWS_IAM)', () => {
    // Assess
    template.resourceCountIs('AWS::ApiGateway::Method', ROUTE_NAMES.length);
    template.allResourcesProperties('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' });
  });

  test.each(ROUTE_NAMES)(
    'the %s route exists with its method and path and proxies to the function the route table names',
    (name: RouteName) => {
      // Prepare
      const route = ROUTES[name];

      // Act
      const found = methods().filter((m) => m.httpMethod === route.method && m.path === route.path);

      // Assess
      expect(found).toHaveLength(1);
      expect(found[0]!.properties).toMatchObject({
        AuthorizationType: 'AWS_IAM',
        OperationName: name,
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(integratedHandler(found[0]!)).toBe(route.function);
    },
  );

  test('no method answers CORS preflight or any method the contract does not list', () => {
    // Act
    const extra = methods().filter(
      (m) => !ROUTE_NAMES.some((name) => ROUTES[name].method === m.httpMethod && ROUTES[name].path === m.path),
    );

    // Assess
    expect(extra).toEqual([]);
  });

  test('is a regional API', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });
});

describe('operator API resource policy', () => {
  test('allows the deploying account and denies every principal of any other account', () => {
    // Act
    const policy = resourcesOfTemplate()[apiId]!.Properties.Policy;

    // Assess
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'InvokeFromThisAccount',
          Effect: 'Allow',
          Principal: { AWS: thisAccountRoot },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
        },
        {
          Sid: 'NobodyElse',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          Condition: { StringNotEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
  });

  test('with api.organizationId, also allows the organization and denies only principals outside both', () => {
    // Prepare
    const withOrganization = synthTemplate(
      exampleConfig((raw) => {
        raw.api = { organizationId: ORGANIZATION_ID };
      }),
    );

    // Act
    const [api] = Object.values(withOrganization.findResources('AWS::ApiGateway::RestApi'));

    // Assess
    expect(api!.Properties.Policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'InvokeFromThisAccount',
          Effect: 'Allow',
          Principal: { AWS: thisAccountRoot },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
        },
        {
          Sid: 'InvokeFromTheOrganization',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': ORGANIZATION_ID } },
        },
        {
          Sid: 'NobodyElse',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          Condition: {
            StringNotEquals: {
              'aws:PrincipalAccount': { Ref: 'AWS::AccountId' },
              'aws:PrincipalOrgID': ORGANIZATION_ID,
            },
          },
        },
      ],
    });
  });
});

describe('operator API stage v1', () => {
  test('throttles every method with the rate and burst from config', () => {
    // Act
    const settings = stageProperties().MethodSettings;

    // Assess
    expect(settings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 7,
        ThrottlingBurstLimit: 13,
      }),
    ]);
  });

  test('logs execution errors only, never request or response data, and traces', () => {
    // Act
    const stage = stageProperties();

    // Assess
    expect(stage.MethodSettings).toEqual([expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false })]);
    expect(stage.TracingEnabled).toBe(true);
  });

  test('writes access logs to a log group kept for the configured retention, encrypted with a rotating key CloudWatch Logs may use', () => {
    // Prepare
    const destination = JSON.stringify(
      (stageProperties().AccessLogSetting as { DestinationArn: unknown }).DestinationArn,
    );

    // Act
    const [logGroupId] = Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) =>
      destination.includes(`{"Ref":"${id}"}`),
    );

    // Assess
    expect(logGroupId).toBeDefined();
    const logGroup = resourcesOfTemplate()[logGroupId!]!.Properties;
    expect(logGroup).toMatchObject({ RetentionInDays: 731, KmsKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
    const [keyId] = (logGroup.KmsKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
    expect(resourcesOfTemplate()[keyId]!.Properties).toMatchObject({
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          }),
        ]),
      },
    });
  });

  test('each access log line is JSON that records the caller ARN, its account and the outcome', () => {
    // Act
    const format = JSON.parse((stageProperties().AccessLogSetting as { Format: string }).Format) as Record<
      string,
      string
    >;

    // Assess
    expect(format).toMatchObject({
      userArn: '$context.identity.userArn',
      accountId: '$context.identity.accountId',
      requestId: '$context.requestId',
      status: '$context.status',
    });
  });
});

describe("API Gateway's account CloudWatch role", () => {
  test('is set by default, with the AWS managed policy for pushing logs as its only managed policy', () => {
    // Prepare
    const roleId = onlyLogicalId(template, 'AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
      },
    });

    // Assess
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    template.hasResourceProperties('AWS::ApiGateway::Account', {
      CloudWatchRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
    expect(
      Object.keys(template.findResources('AWS::IAM::Role', { Properties: { ManagedPolicyArns: Match.anyValue() } })),
    ).toEqual([roleId]);
  });

  test('with api.createCloudWatchRole false, neither the account setting nor its role is created', () => {
    // Prepare
    const withoutRole = synthTemplate(
      exampleConfig((raw) => {
        raw.api = { createCloudWatchRole: false };
      }),
    );

    // Act
    const apiGatewayRoles = withoutRole.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
        },
      },
    });

    // Assess
    withoutRole.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(apiGatewayRoles).toEqual({});
  });
});

describe('API function permissions', () => {
  test.each([
    [
      'api-read',
      [
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:DescribeKey',
        'logs:CreateLogStream',
        'logs:FilterLogEvents',
        'logs:PutLogEvents',
        'ssm:DescribeSessions',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ],
    ],
    [
      'api-request',
      [
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'ec2:DescribeInstances',
        'ec2:DescribeSecurityGroupRules',
        'kms:Decrypt',
        'kms:DescribeKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'states:StartExecution',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ],
    ],
  ])('%s is allowed exactly the actions its routes need', (handler, expected) => {
    // Act
    const actions = allowedActions(handler);

    // Assess
    expect(actions).toEqual(expected);
  });

  test('api-read may write nothing to the ledger and call no Step Functions action', () => {
    // Act
    const actions = allowedActions('api-read');

    // Assess
    expect(actions.filter((a) => LEDGER_WRITES.includes(a) || a.startsWith('states:'))).toEqual([]);
  });

  test('api-read may read logs only from the session log group', () => {
    // Prepare
    const sessionLogGroupId = onlyLogicalId(template, 'AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SessionLoggingKey'), 'Arn'] },
    });

    // Act
    const filter = allowing(statementsOfHandler(template, 'api-read'), 'logs:FilterLogEvents');

    // Assess
    expect(filter).toEqual([
      expect.objectContaining({
        Action: 'logs:FilterLogEvents',
        Resource: { 'Fn::GetAtt': [sessionLogGroupId, 'Arn'] },
      }),
    ]);
  });

  test('api-request may start executions of the approval state machine only', () => {
    // Act
    const start = allowing(statementsOfHandler(template, 'api-request'), 'states:StartExecution');

    // Assess
    expect(start).toEqual([
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: stateMachineId } }),
    ]);
  });

  test('api-request can neither answer approval tasks, touch IAM, nor write the ledger', () => {
    // Act
    const actions = allowedActions('api-request');

    // Assess
    expect(
      actions.filter((a) => a.startsWith('states:SendTask') || a.startsWith('iam:') || LEDGER_WRITES.includes(a)),
    ).toEqual([]);
  });

  test('api-decide may answer approval tasks of the approval state machine only', () => {
    // Act
    const answer = statementsOfHandler(template, 'api-decide').filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('states:')),
    );

    // Assess
    expect(answer).toEqual([
      expect.objectContaining({
        Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
        Resource: { Ref: stateMachineId },
      }),
    ]);
  });

  test.each([
    'iam:CreateRole',
    'iam:TagRole',
    'iam:PassRole',
    'ec2:AuthorizeSecurityGroupIngress',
    'states:StartExecution',
  ])('api-decide may not %s: it can only take access away', (action) => {
    // Act
    const allowed = allowing(statementsOfHandler(template, 'api-decide'), action);

    // Assess
    expect(allowed).toEqual([]);
  });

  test('api-decide holds the same teardown statements as the revoke function, for the kill switch', () => {
    // Prepare
    const teardownOf = (handler: string) => statementsOfHandler(template, handler).filter((s) => s.Sid !== undefined);

    // Act
    const decide = teardownOf('api-decide');

    // Assess
    expect(decide.map((s) => s.Sid).sort()).toEqual([
      'AttachNothingButTheDenyAll',
      'AttachOnlyTheDenyAllToJitAccessRoles',
      'DeleteExpirySchedules',
      'DeleteOnlyJitAccessRoles',
      'InspectGrantRoles',
      'NameIngressRuleHolders',
      'NeverLoosenGrantRoles',
      'NothingOnPathsBelowGrantRoleNames',
      'ReadOsAccountCommandResults',
      'RemoveTemporaryIngress',
      'SendOnlyTheOsAccountDocument',
      'SendOsAccountCommandsToTargetGroups0',
      'TerminateGrantSessions',
    ]);
    expect(decide).toEqual(teardownOf('revoke'));
  });

  test.each(API_FUNCTIONS)(
    'every Allow of %s on "*" is a Describe, an X-Ray write, a command result read or the CloudTrail event history',
    (handler) => {
      // Act
      const unscoped = statementsOfHandler(template, handler)
        .filter((s) => s.Effect === 'Allow' && resourcesOf(s).includes('*'))
        .flatMap(actionsOf)
        .filter(
          (action) =>
            !/^[a-z0-9]+:Describe/.test(action) &&
            !action.startsWith('xray:Put') &&
            !['ssm:ListCommandInvocations', 'ssm:ListCommands', 'cloudtrail:LookupEvents'].includes(action),
        );

      // Assess
      expect(unscoped).toEqual([]);
    },
  );
});

describe('who may invoke the functions', () => {
  test('there is one invoke permission per route, each for API Gateway on this API only', () => {
    // Prepare
    const apiFunctionArns = API_FUNCTIONS.map((handler) => ({
      'Fn::GetAtt': [functionLogicalId(template, handler), 'Arn'],
    }));

    // The lockout and OS-account result functions' own permissions (EventBridge, from their rules only) are checked
    // in lockout.test.ts and os-account-results.test.ts.
    const eventTargets = ['lockout', 'os-account-result'].map((handler) =>
      JSON.stringify({ 'Fn::GetAtt': [functionLogicalId(template, handler), 'Arn'] }),
    );

    // Act
    const permissions = lambdaPermissions().filter((p) => !eventTargets.includes(JSON.stringify(p.FunctionName)));

    // Assess
    expect(permissions).toHaveLength(ROUTE_NAMES.length);
    for (const permission of permissions) {
      expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      expect(apiFunctionArns).toContainEqual(permission.FunctionName);
      const sourceArn = JSON.stringify(permission.SourceArn);
      expect(sourceArn).toContain(
        `":execute-api:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":",{"Ref":"${apiId}"},"/"`,
      );
    }
  });

  test.each(ROUTE_NAMES)('the %s route may invoke its function only through its own method and path', (name) => {
    // Prepare
    const route = ROUTES[name];
    const path = route.path.replace(/\{\w+\}/g, '*');

    // Act
    const matching = lambdaPermissions().filter((p) =>
      JSON.stringify(p.SourceArn).endsWith(`"/${route.method}${path}"]]}`),
    );

    // Assess
    expect(matching).toEqual([
      expect.objectContaining({ FunctionName: { 'Fn::GetAtt': [functionLogicalId(template, route.function), 'Arn'] } }),
    ]);
  });

  test.each(LIFECYCLE_FUNCTIONS)(
    '%s has no resource-based permission for anyone but the state machine or the scheduler',
    (handler) => {
      // Prepare
      const fnArn = { 'Fn::GetAtt': [functionLogicalId(template, handler), 'Arn'] };
      const fnRef = { Ref: functionLogicalId(template, handler) };

      // Act
      const foreign = lambdaPermissions()
        .filter((p) => [fnArn, fnRef].some((name) => JSON.stringify(p.FunctionName) === JSON.stringify(name)))
        .filter((p) => !['states.amazonaws.com', 'scheduler.amazonaws.com'].includes(p.Principal as string));

      // Assess
      expect(foreign).toEqual([]);
    },
  );

  test('only roles that the state machine or EventBridge Scheduler assume may invoke a function', () => {
    // Prepare
    const roles = template.findResources('AWS::IAM::Role');
    const servicesOf = (roleId: string): string[] =>
      (roles[roleId]!.Properties.AssumeRolePolicyDocument.Statement as { Principal: { Service?: string } }[]).map(
        (s) => s.Principal.Service ?? JSON.stringify(s.Principal),
      );

    // Act
    const invokers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as TemplateStatement[]).some(
          (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a === 'lambda:InvokeFunction' || a === 'lambda:*'),
        ),
      )
      .flatMap((policy) => (policy.Properties.Roles as { Ref: string }[]).flatMap((role) => servicesOf(role.Ref)));

    // Assess
    expect(invokers.length).toBeGreaterThan(0);
    expect([...new Set(invokers)].sort()).toEqual(['scheduler.amazonaws.com', 'states.amazonaws.com']);
  });
});
