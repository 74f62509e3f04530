import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { guardrailServiceControlPolicy, type GuardrailServiceControlPolicy } from '../../lib/guardrail-scp';
import { synthesizeApp, type AppSynth } from '../helpers/app-synth';
import { exampleConfig } from '../helpers/config-fixture';
import { buildStack, exampleStackConfig } from '../helpers/synth-stack';

const ACCOUNT = '111122223333';
const STACK_ROLE_PATH = '/jit-access-stack/JitAccess/';
const STACK_ROLE = `arn:aws:iam::${ACCOUNT}:role${STACK_ROLE_PATH}JitAccess-FunctionsGrantRoleBAC1364D-AbCdEf`;
const ADMINISTRATOR = `arn:aws:iam::${ACCOUNT}:role/Administrator`;

interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

let synth: AppSynth;
let scpText: string;
let scp: GuardrailServiceControlPolicy;
let resources: TemplateResource[];

beforeAll(() => {
  synth = synthesizeApp();
  scpText = readFileSync(path.join(synth.outdir, 'JitAccess.guardrail-scp.json'), 'utf8');
  scp = JSON.parse(scpText) as GuardrailServiceControlPolicy;
  const template = JSON.parse(readFileSync(path.join(synth.outdir, 'JitAccess.template.json'), 'utf8')) as {
    Resources: Record<string, TemplateResource>;
  };
  resources = Object.values(template.Resources);
}, 180_000);

/** A template value as the SCP must spell it: account and region unknown at synth become `*`. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(rendered).join(intrinsic['Fn::Join'][0]);
  if (intrinsic.Ref === 'AWS::AccountId' || intrinsic.Ref === 'AWS::Region') return '*';
  throw new Error(`not known at synth: ${JSON.stringify(value)}`);
}

/** The physical names the template gives resources of `type` (in `property`), as the SCP would spell them. */
function templateNames(type: string, property: string): string[] {
  return resources
    .filter((r) => r.Type === type && r.Properties[property] !== undefined)
    .map((r) => rendered(r.Properties[property]));
}

/** The resource names of the SCP's statement `sid`, each ARN with `prefix` stripped (and the `:*` qualifier form). */
function scpNames(sid: string, prefix: RegExp): string[] {
  const statement = scp.Statement.find((s) => s.Sid === sid)!;
  return [...new Set(statement.Resource.map((arn) => arn.replace(prefix, '').replace(/(:\*|\/\*)$/, '')))];
}

async function simulate(
  principal: string,
  action: string,
  resource: string,
  guardrail: GuardrailServiceControlPolicy = scp,
): Promise<string> {
  const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  const result = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalArn': principal },
      },
      identityPolicies: [{ name: 'AdministratorAccess', policy: allowAll }],
      serviceControlPolicies: [
        { orgIdentifier: 'r-root', policies: [{ name: 'FullAWSAccess', policy: allowAll }] },
        {
          orgIdentifier: ACCOUNT,
          policies: [
            { name: 'FullAWSAccess', policy: allowAll },
            { name: 'guardrail', policy: guardrail },
          ],
        },
      ],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType !== 'single') throw new Error(`simulation failed: ${JSON.stringify(result)}`);
  return result.result.analysis?.result ?? 'error';
}

describe('the guardrail SCP the CDK app writes', () => {
  test('lies beside the template, minified, within the 5,120 characters AWS Organizations accepts', () => {
    // Assess
    expect(synth.status).toBe(0);
    expect(scpText).toBe(`${JSON.stringify(scp)}\n`);
    expect(JSON.stringify(scp).length).toBeLessThanOrEqual(5120);
  });

  test('is SCP grammar: a version and Deny statements with a Sid, actions, resources and a condition, nothing else', () => {
    // Assess
    expect(Object.keys(scp).sort()).toEqual(['Statement', 'Version']);
    expect(scp.Version).toBe('2012-10-17');
    expect(scp.Statement.map((s) => s.Sid)).toEqual([
      'InvokeOrChangeFunctions',
      'AnswerStartOrChangeWorkflow',
      'WriteLedger',
      'ChangeSessionDocument',
      'BypassObjectLock',
      'ChangeStackOrGrantIamPaths',
    ]);
    for (const statement of scp.Statement) {
      expect(Object.keys(statement).sort()).toEqual(['Action', 'Condition', 'Effect', 'Resource', 'Sid']);
      expect(statement.Effect).toBe('Deny');
      expect(JSON.stringify(statement)).not.toMatch(/\$\{|Fn::|Ref/);
    }
  });

  test("exempts only the stack's own roles, all of which the template puts under the stack's path, and CDK's deploy role", () => {
    // Act
    const rolePaths = new Set(templateNames('AWS::IAM::Role', 'Path'));

    // Assess
    for (const statement of scp.Statement) {
      expect(statement.Condition).toEqual({
        ArnNotLike: {
          'aws:PrincipalArn': [
            `arn:aws:iam::*:role${STACK_ROLE_PATH}*`,
            'arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*-*',
          ],
        },
      });
    }
    expect([...rolePaths]).toEqual([STACK_ROLE_PATH]);
  });

  test('names every function of the template, and nothing else, with its versions and aliases', () => {
    // Act
    const named = scpNames('InvokeOrChangeFunctions', /^arn:aws:lambda:\*:\*:function:/);

    // Assess
    expect(named.sort()).toEqual(templateNames('AWS::Lambda::Function', 'FunctionName').sort());
    expect(named).toHaveLength(12);
  });

  test("names the template's state machine, ledger, session document and transcript bucket", () => {
    // Assess
    expect(scpNames('AnswerStartOrChangeWorkflow', /^arn:aws:states:\*:\*:stateMachine:/)).toEqual(
      templateNames('AWS::StepFunctions::StateMachine', 'StateMachineName'),
    );
    expect(scpNames('WriteLedger', /^arn:aws:dynamodb:\*:\*:table\//)).toEqual(
      templateNames('AWS::DynamoDB::Table', 'TableName'),
    );
    expect(scpNames('ChangeSessionDocument', /^arn:aws:ssm:\*:\*:document\//)).toEqual(
      templateNames('AWS::SSM::Document', 'Name'),
    );
    expect(scpNames('BypassObjectLock', /^arn:aws:s3:::/)).toEqual(templateNames('AWS::S3::Bucket', 'BucketName'));
  });

  test("names the IAM paths of the stack's roles and policies (the boundary's among them) and of grant roles", () => {
    // Prepare
    const policyPaths = templateNames('AWS::IAM::ManagedPolicy', 'Path').sort();

    // Act
    const named = scp.Statement.find((s) => s.Sid === 'ChangeStackOrGrantIamPaths')!.Resource;

    // Assess
    expect(policyPaths).toEqual([STACK_ROLE_PATH, STACK_ROLE_PATH, '/jit-access/']);
    expect(named).toEqual([
      `arn:aws:iam::*:role${STACK_ROLE_PATH}*`,
      `arn:aws:iam::*:policy${STACK_ROLE_PATH}*`,
      'arn:aws:iam::*:role/jit-access/*',
      'arn:aws:iam::*:policy/jit-access/*',
    ]);
  });

  test('denies answering approval tasks, starting and changing the state machine, exactly those actions (IAM authorizes SendTask* on the one its token is for)', () => {
    // Act
    const workflow = scp.Statement.find((s) => s.Sid === 'AnswerStartOrChangeWorkflow')!;

    // Assess
    expect(workflow.Action).toEqual([
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      'states:StartExecution',
      'states:StartSyncExecution',
      'states:UpdateStateMachine',
      'states:DeleteStateMachine',
    ]);
  });

  const guarded: readonly (readonly [string, string])[] = [
    ['lambda:InvokeFunction', `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:JitAccess-grant`],
    ['lambda:InvokeFunction', `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:JitAccess-revoke:live`],
    ['lambda:UpdateFunctionCode', `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:JitAccess-api-decide`],
    ['states:StartExecution', `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:JitAccess-approval`],
    ['dynamodb:PutItem', `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/JitAccess-ledger`],
    ['ssm:UpdateDocument', `arn:aws:ssm:eu-west-1:${ACCOUNT}:document/JitAccess-session`],
    ['s3:BypassGovernanceRetention', `arn:aws:s3:::jitaccess-sessions-${ACCOUNT}-eu-west-1/sessions/s-1.log`],
    ['s3:PutBucketPolicy', `arn:aws:s3:::jitaccess-sessions-${ACCOUNT}-eu-west-1`],
    ['iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/jit-access/jit-g-0123456789ab`],
    ['iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy${STACK_ROLE_PATH}JitAccess-GrantPermissionsBoundary`],
    ['iam:UpdateAssumeRolePolicy', STACK_ROLE],
    ['iam:PassRole', STACK_ROLE],
  ];

  test.each(guarded)('an administrator is denied %s on %s', async (action, resource) => {
    // Act
    const result = await simulate(ADMINISTRATOR, action, resource);

    // Assess
    expect(result).toBe('ExplicitlyDenied');
  });

  test.each(guarded)("the stack's own role is not denied %s on %s", async (action, resource) => {
    // Act
    const result = await simulate(STACK_ROLE, action, resource);

    // Assess
    expect(result).toBe('Allowed');
  });

  test("leaves an administrator's rights on anything else alone", async () => {
    // Act
    const results = await Promise.all([
      simulate(ADMINISTRATOR, 'lambda:InvokeFunction', `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:billing`),
      simulate(ADMINISTRATOR, 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/jit-access-other/x`),
      simulate(ADMINISTRATOR, 'dynamodb:GetItem', `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/JitAccess-ledger`),
    ]);

    // Assess
    expect(results).toEqual(['Allowed', 'Allowed', 'Allowed']);
  });

  test('names no trail while the stack has none (cloudTrail.create off)', () => {
    // Assess
    expect(scp.Statement.map((s) => s.Sid)).not.toContain('StopOrChangeTrail');
  });

  describe("with the stack's own trail (cloudTrail.create)", () => {
    const { stack } = buildStack(
      exampleConfig((raw) => {
        raw.cloudTrail = { create: true };
      }),
    );
    const withTrail = guardrailServiceControlPolicy(stack, '/jit-access/', { ownTrail: true });
    const template = Template.fromStack(stack);
    const trailName = rendered(
      Object.values(template.findResources('AWS::CloudTrail::Trail'))[0]!.Properties.TrailName,
    );
    const bucketNames = Object.values(template.findResources('AWS::S3::Bucket'))
      .map((bucket) => (bucket as TemplateResource).Properties.BucketName)
      .filter((name) => name !== undefined)
      .map(rendered);

    test('names the trail and the Object Lock buckets of the template, within the size limit', () => {
      // Act
      const trailStatement = withTrail.Statement.find((s) => s.Sid === 'StopOrChangeTrail');
      const lockStatement = withTrail.Statement.find((s) => s.Sid === 'BypassObjectLock')!;

      // Assess
      expect(trailStatement?.Resource).toEqual([`arn:aws:cloudtrail:*:*:trail/${trailName}`]);
      expect(bucketNames).toHaveLength(2);
      expect(lockStatement.Resource).toEqual(
        bucketNames.flatMap((name) => [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`]),
      );
      expect(JSON.stringify(withTrail).length).toBeLessThanOrEqual(5120);
    });

    test.each([
      ['cloudtrail:StopLogging', `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/JitAccess-trail`],
      ['cloudtrail:DeleteTrail', `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/JitAccess-trail`],
      ['s3:PutBucketObjectLockConfiguration', `arn:aws:s3:::jitaccess-trail-${ACCOUNT}-eu-west-1`],
    ])('an administrator is denied %s on %s, the stack role is not', async (action, resource) => {
      // Act
      const results = [
        await simulate(ADMINISTRATOR, action, resource, withTrail),
        await simulate(STACK_ROLE, action, resource, withTrail),
      ];

      // Assess
      expect(results).toEqual(['ExplicitlyDenied', 'Allowed']);
    });
  });

  test("stops synth naming the fix when the policy would exceed AWS Organizations' limit", () => {
    // Prepare
    const { stack } = buildStack(exampleStackConfig());

    // Act
    const build = () => guardrailServiceControlPolicy(stack, `/${'a'.repeat(1200)}/`);

    // Assess
    expect(build).toThrow(/^guardrail SCP of stack JitAccess: \d+ characters, over AWS Organizations' 5120: shorten/);
  });
});
