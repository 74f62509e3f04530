import {
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { IamGrantRoles } from '../../lambdas/adapters/iam';
import { EXPIRES_TAG, GRANT_TAG } from '../../lambdas/domain/planner';
import { FakeAws } from '../helpers/fake-aws';
import { rejectionOf } from '../helpers/handler-deps';
import { rejectionValueOf, rewriteAnswers, type Send } from '../helpers/sdk-answers';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const PATH = '/jit-access/';
const ROLE = 'jit-grant-0001';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/jit-access-boundary`;
const DENY_ALL = `arn:aws:iam::${ACCOUNT}:policy/jit-access-deny-all`;

let aws: FakeAws;
let roles: IamGrantRoles;
beforeEach(() => {
  aws = new FakeAws(ACCOUNT, REGION);
  roles = new IamGrantRoles({ region: REGION, maxAttempts: 1 });
});
afterEach(() => aws.restore());

describe('IamGrantRoles.getRole', () => {
  it('answers the role with its path, boundary, tags, decoded trust policy and session duration', async () => {
    // Prepare
    await roles.createRole({
      name: ROLE,
      path: PATH,
      trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] },
      permissionsBoundaryArn: BOUNDARY,
      maxSessionDurationSeconds: 3_600,
      tags: { 'jit-access:grant': 'grant-0001' },
    } as never);

    // Act
    const role = await roles.getRole(ROLE);

    // Assess
    expect(role).toStrictEqual({
      roleName: ROLE,
      arn: `arn:aws:iam::${ACCOUNT}:role${PATH}${ROLE}`,
      path: PATH,
      permissionsBoundaryArn: BOUNDARY,
      tags: { 'jit-access:grant': 'grant-0001' },
      trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] },
      maxSessionDurationSeconds: 3_600,
    });
  });

  it('leaves out the boundary and session duration of a role that has none', async () => {
    // Prepare
    aws.seedRole(ROLE, PATH);

    // Act
    const role = await roles.getRole(ROLE);

    // Assess
    expect(role).toStrictEqual({
      roleName: ROLE,
      arn: `arn:aws:iam::${ACCOUNT}:role${PATH}${ROLE}`,
      path: PATH,
      tags: {},
      trustPolicy: {},
    });
  });

  it('answers undefined for a role that does not exist, under either name IAM gives the error', async () => {
    // Prepare
    aws.failNext('GetRole', 'NoSuchEntity');

    // Act
    const answers = [await roles.getRole(ROLE), await roles.getRole(ROLE)];

    // Assess
    expect(answers).toEqual([undefined, undefined]);
    expect(aws.countOf('GetRole')).toBe(2);
  });

  it('fails with any other error', async () => {
    // Prepare
    aws.seedRole(ROLE, PATH);
    aws.failNext('GetRole');

    // Act
    const error = await rejectionOf(roles.getRole(ROLE));

    // Assess
    expect(error).toMatchObject({ name: 'AccessDenied', message: 'injected fault: call 1 of GetRole' });
  });
});

describe('IamGrantRoles.listInlinePolicies and listAttachedPolicies', () => {
  it('list every policy of the role, page after page', async () => {
    // Prepare
    const role = aws.seedRole(ROLE, PATH);
    for (const name of ['c', 'a', 'b']) role.inlinePolicies.set(name, {});
    role.attachedPolicyArns.push(`${DENY_ALL}-1`, `${DENY_ALL}-2`, `${DENY_ALL}-3`);

    // Act
    const inline = await roles.listInlinePolicies(ROLE);
    const attached = await roles.listAttachedPolicies(ROLE);

    // Assess
    expect(inline).toEqual(['a', 'b', 'c']);
    expect(attached).toEqual([`${DENY_ALL}-1`, `${DENY_ALL}-2`, `${DENY_ALL}-3`]);
    expect(aws.countOf('ListRolePolicies')).toBe(2);
    expect(aws.countOf('ListAttachedRolePolicies')).toBe(2);
  });

  it('answer no policies for a role that does not exist', async () => {
    // Act
    const inline = await roles.listInlinePolicies(ROLE);
    const attached = await roles.listAttachedPolicies(ROLE);

    // Assess
    expect(inline).toEqual([]);
    expect(attached).toEqual([]);
  });

  it('fail with any other error', async () => {
    // Prepare
    aws.seedRole(ROLE, PATH);
    aws.failNext('ListRolePolicies', 'ThrottlingException');
    aws.failNext('ListAttachedRolePolicies', 'ThrottlingException');

    // Act
    const inline = await rejectionOf(roles.listInlinePolicies(ROLE));
    const attached = await rejectionOf(roles.listAttachedPolicies(ROLE));

    // Assess
    expect(inline).toMatchObject({
      name: 'ThrottlingException',
      message: 'injected fault: call 1 of ListRolePolicies',
    });
    expect(attached).toMatchObject({
      name: 'ThrottlingException',
      message: 'injected fault: call 1 of ListAttachedRolePolicies',
    });
  });
});

describe('IamGrantRoles.attachDenyAll', () => {
  it('attaches the deny-all policy to the role and answers true, again without a second copy', async () => {
    // Prepare
    const role = aws.seedRole(ROLE, PATH);

    // Act
    const answers = [await roles.attachDenyAll(ROLE, DENY_ALL), await roles.attachDenyAll(ROLE, DENY_ALL)];

    // Assess
    expect(answers).toEqual([true, true]);
    expect(role.attachedPolicyArns).toEqual([DENY_ALL]);
    expect(aws.mutatingCalls).toEqual([
      { command: 'AttachRolePolicy', target: `${ROLE}/${DENY_ALL}` },
      { command: 'AttachRolePolicy', target: `${ROLE}/${DENY_ALL}` },
    ]);
  });

  it('answers false for a role that does not exist', async () => {
    // Act
    const attached = await roles.attachDenyAll(ROLE, DENY_ALL);

    // Assess
    expect(attached).toBe(false);
  });

  it('fails with any other error', async () => {
    // Prepare
    aws.seedRole(ROLE, PATH);
    aws.failNext('AttachRolePolicy');

    // Act
    const error = await rejectionOf(roles.attachDenyAll(ROLE, DENY_ALL));

    // Assess
    expect(error).toMatchObject({ name: 'AccessDenied', message: 'injected fault: call 1 of AttachRolePolicy' });
  });
});

const PLANNED = {
  name: ROLE,
  path: PATH,
  trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] },
  permissionsBoundaryArn: BOUNDARY,
  maxSessionDurationSeconds: 3_600,
  inlinePolicyName: 'jit-session-access',
  tags: { [GRANT_TAG]: 'grant-0001', [EXPIRES_TAG]: '2030-03-01T10:00:00.000Z' },
} as never;

describe('IamGrantRoles: answers and errors the fake does not give by itself', () => {
  afterEach(() => jest.restoreAllMocks());

  it('describes the role it creates with its grant and expiry', async () => {
    // Prepare
    const sent: CreateRoleCommand[] = [];
    rewriteAnswers(IAMClient, [
      CreateRoleCommand,
      async (command) => {
        sent.push(command as CreateRoleCommand);
        return { Role: { Arn: `arn:aws:iam::${ACCOUNT}:role${PATH}${ROLE}` } };
      },
    ]);

    // Act
    await roles.createRole(PLANNED);

    // Assess
    expect(sent.map((c) => c.input.Description)).toEqual([
      'jit-access grant grant-0001 until 2030-03-01T10:00:00.000Z',
    ]);
  });

  it('passes on any CreateRole error but "already exists", without reading the role', async () => {
    // Prepare
    aws.failOn('CreateRole', { errorName: 'LimitExceededException' });

    // Act
    const error = await rejectionOf(roles.createRole(PLANNED));

    // Assess
    expect(error).toMatchObject({ name: 'LimitExceededException' });
    expect(aws.countOf('GetRole')).toBe(0);
  });

  it('passes on "already exists" when the role is gone again by the time it is read', async () => {
    // Prepare
    aws.failOn('CreateRole', { errorName: 'EntityAlreadyExistsException' });

    // Act
    const error = await rejectionOf(roles.createRole(PLANNED));

    // Assess
    expect(error).toMatchObject({ name: 'EntityAlreadyExistsException' });
    expect(aws.countOf('GetRole')).toBe(1);
  });

  it('refuses a role of the name that differs, naming every extra policy, with the IAM error as its cause', async () => {
    // Prepare
    await roles.createRole(PLANNED);
    aws.roles
      .get(ROLE)
      ?.attachedPolicyArns.push(`arn:aws:iam::${ACCOUNT}:policy/a`, `arn:aws:iam::${ACCOUNT}:policy/b`);

    // Act
    const error = await rejectionOf(roles.createRole(PLANNED));

    // Assess
    expect(error.message).toBe(
      `role ${ROLE} already exists but is not the one this grant makes (attached policies arn:aws:iam::${ACCOUNT}:policy/a, arn:aws:iam::${ACCOUNT}:policy/b): refusing to adopt it`,
    );
    expect(error.cause).toMatchObject({ name: 'EntityAlreadyExistsException' });
  });

  it('names every inline policy but its own on a role of the name', async () => {
    // Prepare
    await roles.createRole(PLANNED);
    const inline = aws.roles.get(ROLE)?.inlinePolicies;
    inline?.set('jit-session-access', {});
    inline?.set('x', {});
    inline?.set('y', {});

    // Act
    const error = await rejectionOf(roles.createRole(PLANNED));

    // Assess
    expect(error.message).toContain('(inline policies x, y)');
  });

  it('reads a trust policy IAM answers as plain JSON, leading space and a percent sign included', async () => {
    // Prepare
    const document = '\n  {"Statement":[{"Sid":"100%","Effect":"Allow"}]}';
    rewriteAnswers(IAMClient, [
      GetRoleCommand,
      async () => ({ Role: { RoleName: ROLE, Arn: 'arn', Path: PATH, AssumeRolePolicyDocument: document } }),
    ]);

    // Act
    const role = await roles.getRole(ROLE);

    // Assess
    expect(role?.trustPolicy).toEqual({ Statement: [{ Sid: '100%', Effect: 'Allow' }] });
  });

  it('answers a role IAM gives without tags, and lists nothing where IAM leaves a list out', async () => {
    // Prepare
    rewriteAnswers(
      IAMClient,
      [GetRoleCommand, async () => ({ Role: { RoleName: ROLE, Arn: 'arn', Path: PATH } })],
      [ListRolePoliciesCommand, async () => ({ IsTruncated: false })],
      [ListAttachedRolePoliciesCommand, async () => ({ IsTruncated: false })],
      [ListRolesCommand, async () => ({ IsTruncated: false })],
    );

    // Act
    const answers = [
      await roles.getRole(ROLE),
      await roles.listInlinePolicies(ROLE),
      await roles.listAttachedPolicies(ROLE),
      await roles.listRoles(PATH),
    ];

    // Assess
    expect(answers).toStrictEqual([{ roleName: ROLE, arn: 'arn', path: PATH, tags: {} }, [], [], []]);
  });

  it('passes on a rejection that is not an Error, as it came', async () => {
    // Prepare
    const reject = () => Promise.reject(undefined);
    rewriteAnswers(IAMClient, [GetRoleCommand, reject], [CreateRoleCommand, reject], [DeleteRoleCommand, reject]);

    // Act
    const rejections = [
      await rejectionValueOf(roles.getRole(ROLE)),
      await rejectionValueOf(roles.createRole(PLANNED)),
      await rejectionValueOf(roles.deleteRole(ROLE)),
    ];

    // Assess
    expect(rejections).toStrictEqual([undefined, undefined, undefined]);
  });
});

describe('IamGrantRoles.deleteRole, call by call', () => {
  afterEach(() => jest.restoreAllMocks());

  it('deletes a role without policies in one call when it is told of none', async () => {
    // Prepare
    aws.seedRole(ROLE, PATH);
    aws.clearCallLog();

    // Act
    await roles.deleteRole(ROLE);

    // Assess
    expect(aws.roles.has(ROLE)).toBe(false);
    const commands = [
      'DeleteRolePolicy',
      'DetachRolePolicy',
      'ListRolePolicies',
      'ListAttachedRolePolicies',
      'DeleteRole',
    ];
    expect(commands.map((command) => aws.countOf(command))).toEqual([0, 0, 0, 0, 1]);
  });

  it('removes the policies it was not told of when IAM answers DeleteConflict (the short name), then the role', async () => {
    // Prepare
    aws.seedRole(ROLE, PATH).inlinePolicies.set('planted', {});
    const send = IAMClient.prototype.send as unknown as Send<IAMClient>;
    let first = true;
    rewriteAnswers(IAMClient, [
      DeleteRoleCommand,
      async function (this: IAMClient, sent) {
        if (!first) return send.call(this, sent);
        first = false;
        throw Object.assign(new Error('Cannot delete entity, must delete policies first.'), { name: 'DeleteConflict' });
      },
    ]);

    // Act
    await roles.deleteRole(ROLE);

    // Assess
    expect(aws.roles.has(ROLE)).toBe(false);
  });
});
