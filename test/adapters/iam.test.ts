import { IamGrantRoles } from '../../lambdas/adapters/iam';
import { FakeAws } from '../helpers/fake-aws';
import { rejectionOf } from '../helpers/handler-deps';

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
