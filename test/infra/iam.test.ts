import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf,
  allStatements,
  functionLogicalId,
  onlyLogicalId,
  resourcesOf,
  statementsOfHandler,
  synthTemplate,
  type TemplateStatement,
} from '../helpers/synth-stack';

const template: Template = synthTemplate();

const boundaryId = onlyLogicalId(template, 'AWS::IAM::ManagedPolicy', {
  Description: Match.stringLikeRegexp('permissions boundary'),
});

const grantRolePattern = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/jit-access/jit-*']],
};
const revokedPolicyId = onlyLogicalId(template, 'AWS::IAM::ManagedPolicy', {
  Description: Match.stringLikeRegexp('denies everything'),
});
/** A role jit-access made: the managed tag and the stack's boundary. A customer's `jit-*` role has neither. */
const madeByJitAccess = {
  StringEquals: { 'aws:ResourceTag/jit-access:managed': 'true', 'iam:PermissionsBoundary': { Ref: boundaryId } },
};
const nestedRolePattern = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/jit-access/jit-*/*'],
  ],
};
/** Every configured vendor's CIDRs (cdk.json example): acme's two, then globex's one. */
const ALL_VENDOR_CIDRS = ['203.0.113.0/24', '198.51.100.16/28', '192.0.2.0/25'];

function allowing(statements: TemplateStatement[], action: string): TemplateStatement[] {
  return statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
}

function boundaryStatements(): TemplateStatement[] {
  const boundary = template.toJSON().Resources[boundaryId] as {
    Properties: { PolicyDocument: { Statement: TemplateStatement[] } };
  };
  return boundary.Properties.PolicyDocument.Statement;
}

/** The logical id of the role of the function for `handler`. */
function roleOfHandler(handler: string): string {
  const fn = template.toJSON().Resources[functionLogicalId(template, handler)] as {
    Properties: { Role: { 'Fn::GetAtt': [string, string] } };
  };
  return fn.Properties.Role['Fn::GetAtt'][0];
}

/** Every statement of every IAM policy attached to roles, with the logical ids of those roles. */
function allStatementsWithRoles(): { readonly roles: string[]; readonly statement: TemplateStatement }[] {
  const policies = {
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  };
  const attached = Object.values(policies).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as TemplateStatement[]).map((statement) => ({
      roles: ((policy.Properties.Roles ?? []) as { Ref: string }[]).map((role) => role.Ref),
      statement,
    })),
  );
  const inline = Object.entries(template.findResources('AWS::IAM::Role')).flatMap(([roleId, role]) =>
    ((role.Properties.Policies ?? []) as { PolicyDocument: { Statement: TemplateStatement[] } }[]).flatMap((policy) =>
      policy.PolicyDocument.Statement.map((statement) => ({ roles: [roleId], statement })),
    ),
  );
  return [...attached, ...inline];
}

describe('grant Lambda permissions', () => {
  test('iam:CreateRole is allowed only on the per-grant role path and only with the permissions boundary', () => {
    // Prepare
    const statements = statementsOfHandler(template, 'grant');

    // Act
    const createRole = allowing(statements, 'iam:CreateRole');

    // Assess
    expect(createRole).toHaveLength(1);
    expect(createRole[0]!.Resource).toEqual(grantRolePattern);
    expect(createRole[0]!.Condition?.StringEquals).toMatchObject({ 'iam:PermissionsBoundary': { Ref: boundaryId } });
    expect(actionsOf(createRole[0]!)).toEqual(['iam:CreateRole']);
  });

  test('tags can be set only on grant roles, only with the planner keys and a configured vendor OS user as run-as', () => {
    // Prepare
    const statements = statementsOfHandler(template, 'grant');

    // Act
    const tagging = [...allowing(statements, 'iam:CreateRole'), ...allowing(statements, 'iam:TagRole')];

    // Assess
    expect(tagging).toHaveLength(2);
    for (const statement of tagging) {
      expect(statement.Resource).toEqual(grantRolePattern);
      expect(statement.Condition?.StringEquals?.['aws:RequestTag/SSMSessionRunAs']).toEqual([
        'acme-support',
        'globex-ops',
      ]);
      expect(statement.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys']).toEqual([
        'SSMSessionRunAs',
        'jit-access:grant-id',
        'jit-access:managed',
        'jit-access:vendor',
        'jit-access:expires-at',
      ]);
    }
  });

  test('tags can be set only on a role that has none of the jit-access tags yet, so an existing role never changes vendor', () => {
    // Prepare
    const statements = statementsOfHandler(template, 'grant');

    // Act
    const tagRole = allowing(statements, 'iam:TagRole');

    // Assess
    expect(tagRole).toHaveLength(1);
    expect(tagRole[0]!.Condition?.Null).toEqual({
      'aws:ResourceTag/jit-access:managed': 'true',
      'aws:ResourceTag/SSMSessionRunAs': 'true',
    });
  });

  test.each(['revoke', 'sweeper', 'api-decide'])('the %s Lambda can neither tag nor untag a grant role', (handler) => {
    // Prepare
    const statements = statementsOfHandler(template, handler);

    // Act
    const tagging = [...allowing(statements, 'iam:TagRole'), ...allowing(statements, 'iam:UntagRole')];

    // Assess
    expect(tagging).toEqual([]);
  });

  test.each(['grant', 'revoke', 'sweeper', 'api-decide'])(
    'the %s Lambda cannot rewrite a security-group rule in place',
    (handler) => {
      // Prepare
      const statements = statementsOfHandler(template, handler);

      // Act
      const modify = allowing(statements, 'ec2:ModifySecurityGroupRules');

      // Assess
      expect(modify).toEqual([]);
    },
  );

  test.each(['grant', 'revoke', 'sweeper', 'api-decide'])(
    'the %s Lambda may rewrite rule descriptions only in the JIT security groups',
    (handler) => {
      // Prepare
      const statements = statementsOfHandler(template, handler);

      // Act
      const describing = allowing(statements, 'ec2:UpdateSecurityGroupRuleDescriptionsIngress');

      // Assess
      expect(describing).toHaveLength(1);
      const resources = resourcesOf(describing[0]!);
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) expect(JSON.stringify(resource)).toContain(':security-group/');
    },
  );

  test('iam:PutRolePolicy is allowed only on the role path, only for roles with the managed tag and the boundary', () => {
    // Prepare
    const statements = statementsOfHandler(template, 'grant');

    // Act
    const putRolePolicy = allowing(statements, 'iam:PutRolePolicy');

    // Assess
    expect(putRolePolicy).toHaveLength(1);
    expect(putRolePolicy[0]).toMatchObject({ Resource: grantRolePattern, Condition: madeByJitAccess });
  });

  test('removing or replacing the boundary, changing trust, session length or tags, and nested paths are denied', () => {
    // Prepare
    const statements = statementsOfHandler(template, 'grant');

    // Act
    const denies = statements.filter((s) => s.Effect === 'Deny');

    // Assess
    expect(denies.map((d) => [d.Sid, d.Resource, actionsOf(d).sort()])).toEqual([
      [
        'NeverLoosenGrantRoles',
        grantRolePattern,
        [
          'iam:DeleteRolePermissionsBoundary',
          'iam:PutRolePermissionsBoundary',
          'iam:UntagRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:UpdateRole',
        ],
      ],
      ['AttachNothingButTheDenyAll', grantRolePattern, ['iam:AttachRolePolicy']],
      [
        'NothingOnPathsBelowGrantRoleNames',
        nestedRolePattern,
        [
          'iam:AttachRolePolicy',
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:DeleteRolePolicy',
          'iam:DetachRolePolicy',
          'iam:PutRolePolicy',
          'iam:TagRole',
        ],
      ],
    ]);
    expect(denies[1]!.Condition).toEqual({ ArnNotEquals: { 'iam:PolicyARN': { Ref: revokedPolicyId } } });
  });

  test('every IAM action the grant Lambda is allowed, except PassRole, is limited to the per-grant role path', () => {
    // Prepare
    const statements = statementsOfHandler(template, 'grant');

    // Act
    const iamAllows = statements.filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('iam:') && a !== 'iam:PassRole'),
    );

    // Assess
    expect(iamAllows.length).toBeGreaterThan(0);
    for (const statement of iamAllows) {
      expect(resourcesOf(statement)).toEqual([grantRolePattern]);
    }
  });

  test('the grant Lambda may pass only the scheduler role, and only to EventBridge Scheduler', () => {
    // Prepare
    const schedulerRoleId = onlyLogicalId(template, 'AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: Match.objectLike({ 'aws:SourceArn': { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } }),
            },
          }),
        ],
      },
    });

    // Act
    const passRole = allowing(statementsOfHandler(template, 'grant'), 'iam:PassRole');

    // Assess
    expect(passRole).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    ]);
  });
});

describe('teardown Lambda permissions (revoke, sweeper and the API kill switch)', () => {
  test.each(['revoke', 'sweeper', 'api-decide'])('%s can neither create roles nor write any policy', (handler) => {
    // Prepare
    const statements = statementsOfHandler(template, handler);

    // Act
    const writing = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:CreatePolicy', 'iam:CreatePolicyVersion'].flatMap(
      (action) => allowing(statements, action),
    );

    // Assess
    expect(writing).toEqual([]);
  });

  test.each(['revoke', 'sweeper', 'api-decide', 'grant'])(
    '%s may attach only the stack deny-all, and only to roles jit-access made',
    (handler) => {
      // Prepare
      const statements = statementsOfHandler(template, handler);

      // Act
      const attach = allowing(statements, 'iam:AttachRolePolicy');

      // Assess
      expect(attach).toEqual([
        expect.objectContaining({
          Resource: grantRolePattern,
          Condition: { ...madeByJitAccess, ArnEquals: { 'iam:PolicyARN': { Ref: revokedPolicyId } } },
        }),
      ]);
    },
  );

  test.each(['revoke', 'sweeper', 'api-decide', 'grant'])(
    '%s may delete a role and its policies only when it carries the managed tag and the boundary',
    (handler) => {
      // Prepare
      const statements = statementsOfHandler(template, handler);

      // Act
      const deleting = ['iam:DeleteRole', 'iam:DeleteRolePolicy', 'iam:DetachRolePolicy'].map((action) =>
        allowing(statements, action),
      );

      // Assess
      for (const allowed of deleting) {
        expect(allowed).toEqual([expect.objectContaining({ Resource: grantRolePattern, Condition: madeByJitAccess })]);
      }
    },
  );

  test.each(['revoke', 'sweeper', 'api-decide'])(
    '%s is denied loosening a grant role and touching roles on paths below grant role names',
    (handler) => {
      // Prepare
      const statements = statementsOfHandler(template, handler);

      // Act
      const denies = statements.filter((s) => s.Effect === 'Deny');

      // Assess
      expect(denies.map((d) => d.Sid)).toEqual([
        'NeverLoosenGrantRoles',
        'AttachNothingButTheDenyAll',
        'NothingOnPathsBelowGrantRoleNames',
      ]);
      expect(denies[2]!.Resource).toEqual(nestedRolePattern);
    },
  );

  test('the deny-all that teardown attaches denies every action on every resource, and lives on the grant path', () => {
    // Prepare
    const policy = template.toJSON().Resources[revokedPolicyId] as {
      Properties: { Path: string; PolicyDocument: { Statement: TemplateStatement[] } };
    };

    // Assess
    expect(policy.Properties.Path).toBe('/jit-access/');
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      { Sid: 'DenyEverythingOnceRevoked', Effect: 'Deny', Action: '*', Resource: '*' },
    ]);
  });

  test('every function that tears down knows the deny-all by its ARN', () => {
    // Prepare
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));

    // Act
    const revokedPolicyArns = functions.map(
      (fn) => (fn.Properties.Environment?.Variables as Record<string, unknown> | undefined)?.REVOKED_POLICY_ARN,
    );

    // Assess
    expect(functions.length).toBeGreaterThan(5);
    expect(revokedPolicyArns.every((arn) => JSON.stringify(arn) === JSON.stringify({ Ref: revokedPolicyId }))).toBe(
      true,
    );
  });
});

describe('the approval workflow, from the outside', () => {
  test('only the api-decide role may answer approval tasks, and only for the approval state machine', () => {
    // Prepare
    const stateMachineId = onlyLogicalId(template, 'AWS::StepFunctions::StateMachine');
    const decideRoleId = roleOfHandler('api-decide');

    // Act
    const answering = allStatementsWithRoles().filter(
      ({ statement }) =>
        statement.Effect === 'Allow' &&
        actionsOf(statement).some((a) => ['states:SendTaskSuccess', 'states:SendTaskFailure'].includes(a)),
    );

    // Assess
    expect(answering).toEqual([
      {
        roles: [decideRoleId],
        statement: expect.objectContaining({
          Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
          Resource: { Ref: stateMachineId },
        }),
      },
    ]);
  });

  test('only the sweeper may read how executions ended, and only executions of the approval state machine', () => {
    // Prepare
    const stateMachineId = onlyLogicalId(template, 'AWS::StepFunctions::StateMachine');

    // Act
    const reading = allStatementsWithRoles().filter(
      ({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).includes('states:DescribeExecution'),
    );

    // Assess
    expect(reading).toEqual([
      {
        roles: [roleOfHandler('sweeper')],
        statement: expect.objectContaining({ Action: 'states:DescribeExecution' }),
      },
    ]);
    const resource = JSON.stringify(reading[0]?.statement.Resource);
    expect(resource).toContain(':execution:');
    expect(resource).toContain(JSON.stringify({ 'Fn::GetAtt': [stateMachineId, 'Name'] }));
    expect(resource.endsWith(':*"]]}')).toBe(true);
  });

  test('no role may answer approval tasks through a states wildcard', () => {
    // Act
    const wildcards = allStatements(template).filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && actionsOf(statement).some((a) => a.startsWith('states:') && a.includes('*')),
    );

    // Assess
    expect(wildcards).toEqual([]);
  });

  test('only the api-request role may start the approval workflow, and only this state machine', () => {
    // Prepare
    const stateMachineId = onlyLogicalId(template, 'AWS::StepFunctions::StateMachine');
    const requestRoleId = roleOfHandler('api-request');

    // Act
    const starting = allStatementsWithRoles().filter(
      ({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).includes('states:StartExecution'),
    );

    // Assess
    expect(starting).toEqual([
      {
        roles: [requestRoleId],
        statement: expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: stateMachineId } }),
      },
    ]);
  });
});

describe('permissions boundary of grant roles', () => {
  test('allows nothing but starting, terminating and resuming sessions and the session key', () => {
    // Prepare
    const allows = boundaryStatements().filter((s) => s.Effect === 'Allow');

    // Act
    const actions = [...new Set(allows.flatMap(actionsOf))].sort();

    // Assess
    expect(actions).toEqual(['kms:GenerateDataKey', 'ssm:ResumeSession', 'ssm:StartSession', 'ssm:TerminateSession']);
  });

  test('allows ssm:StartSession only on target-group instances and the stack session document', () => {
    // Prepare
    const documentId = onlyLogicalId(template, 'AWS::SSM::Document', { DocumentType: 'Session' });

    // Act
    const startSession = allowing(boundaryStatements(), 'ssm:StartSession');

    // Assess
    expect(startSession).toHaveLength(2);
    const [instances, document] = startSession;
    expect(JSON.stringify(instances!.Resource)).toContain(':instance/*');
    expect(instances!.Condition?.StringEquals).toEqual({
      'ssm:resourceTag/jit-access:target-group': ['billing-db', 'web-frontend'],
    });
    expect(JSON.stringify(document!.Resource)).toContain(`":document/",{"Ref":"${documentId}"}`);
  });

  test('every StartSession it allows requires the recorded document check, so no session falls back to the default', () => {
    // Prepare
    const startSession = allowing(boundaryStatements(), 'ssm:StartSession');

    // Act
    const checks = startSession.map((s) => s.Condition?.BoolIfExists?.['ssm:SessionDocumentAccessCheck']);

    // Assess
    expect(checks).toEqual(['true', 'true']);
  });

  test('allows terminating and resuming only the caller own sessions', () => {
    // Prepare
    const manage = allowing(boundaryStatements(), 'ssm:TerminateSession');

    // Act
    const condition = manage[0]?.Condition;

    // Assess
    expect(manage).toHaveLength(1);
    expect(condition?.StringLike).toEqual({ 'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}' });
  });

  test('bounds every Allow by every configured vendor CIDR with IpAddress, never IfExists', () => {
    // Prepare
    const allows = boundaryStatements().filter((s) => s.Effect === 'Allow');

    // Act
    const sourceIps = allows.map((s) => s.Condition?.IpAddress?.['aws:SourceIp']);
    const operators = allows.flatMap((s) => Object.keys(s.Condition ?? {}));

    // Assess
    expect(allows.length).toBeGreaterThanOrEqual(4);
    expect(sourceIps).toEqual(allows.map(() => ALL_VENDOR_CIDRS));
    expect(operators.filter((op) => op.startsWith('IpAddressIfExists'))).toEqual([]);
  });

  test('denies starting sessions with the unrecorded port-forwarding, SSH and command documents', () => {
    // Prepare
    const denied = [
      'AWS-StartPortForwardingSession',
      'AWS-StartPortForwardingSessionToRemoteHost',
      'AWS-StartPortForwardingSessionToSocket',
      'AWS-StartSSHSession',
      'AWS-StartInteractiveCommand',
      'AWS-StartNonInteractiveCommand',
    ];

    // Act
    const deny = boundaryStatements().find((s) => s.Effect === 'Deny');

    // Assess
    expect(deny && actionsOf(deny)).toEqual(['ssm:StartSession']);
    const resources = JSON.stringify(deny?.Resource);
    for (const name of denied) {
      expect(resources).toContain(`::document/${name}"`);
    }
  });
});

describe('every IAM policy in the stack', () => {
  test('no statement allows every action on every resource', () => {
    // Prepare
    const statements = allStatements(template);

    // Act
    const adminLike = statements.filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && actionsOf(statement).includes('*') && resourcesOf(statement).includes('*'),
    );

    // Assess
    expect(statements.length).toBeGreaterThan(20);
    expect(adminLike).toEqual([]);
  });

  test('no statement allows a service-wide action wildcard such as iam:* or ec2:*', () => {
    // Prepare
    const statements = allStatements(template);

    // Act
    const serviceWide = statements
      .filter(({ statement }) => statement.Effect === 'Allow')
      .flatMap(({ source, statement }) => actionsOf(statement).map((action) => ({ source, action })))
      .filter(({ action }) => action === '*' || action.endsWith(':*'));

    // Assess
    expect(serviceWide).toEqual([]);
  });
});
