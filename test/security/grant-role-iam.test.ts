import { planGrant } from '../../lambdas/domain/planner';
import type { GrantWindow, ResolvedTarget } from '../../lambdas/domain/types';
import type { VendorConfig } from '../../lib/config/schema';
import { evaluateCase, without, type IamActor, type IamCase, type IamContext } from '../helpers/iam-cases';
import { stackPolicies } from '../helpers/stack-policies';

/**
 * The vendor's own calls, evaluated by an IAM policy simulator on the policies the planner writes for a grant (trust
 * and session policy) under the synthesized permissions boundary and deny-all. moto accepts any call, so this is
 * where the security model's claims about the vendor are proven.
 */
const stack = stackPolicies();
const ACCOUNT = stack.account;
const REGION = stack.planContext.env.region;
const vendorNamed = (id: string): VendorConfig => {
  const vendor = stack.config.vendors.find((v) => v.id === id);
  if (!vendor) throw new Error(`cdk.json has no vendor ${id}`);
  return vendor;
};
const ACME = vendorNamed('acme');
const GLOBEX = vendorNamed('globex');

const WINDOW: GrantWindow = { startAt: '2026-03-02T08:00:00.000Z', expiresAt: '2026-03-02T16:00:00.000Z' };
const IN_WINDOW = '2026-03-02T09:30:00Z';
const GRANTED = 'i-0aaaaaaaaaaaaaaa1';
const NOT_GRANTED = 'i-0bbbbbbbbbbbbbbb2';
const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const document = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:document/${name}`;
const awsDocument = (name: string) => `arn:aws:ssm:${REGION}::document/${name}`;
const STACK_DOCUMENT = document(stack.planContext.sessionDocumentName);
const TARGET_TAG = 'ssm:resourceTag/jit-access:target-group';

const acmeTargets: ResolvedTarget[] = [{ kind: 'instances', targetGroup: 'billing-db', instanceIds: [GRANTED] }];
const acmePlan = planGrant({ grantId: 'g-0123456789ab' }, acmeTargets, ACME, WINDOW, stack.planContext);
const globexTargets: ResolvedTarget[] = [
  { kind: 'group', targetGroup: 'web-frontend', tagKey: 'jit-access:target-group', tagValue: 'web-frontend' },
];
const globexPlan = planGrant({ grantId: 'g-0fedcba98765' }, globexTargets, GLOBEX, WINDOW, stack.planContext);
const ACME_ROLE = `arn:aws:iam::${ACCOUNT}:role${acmePlan.role.path}${acmePlan.role.name}`;
const SESSION_USER_ID = 'AROAEXAMPLEGRANTROLE:vendor-engineer';
const sessionOf = (roleName: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/vendor-engineer`;

/** The vendor's own account lets its engineers assume roles anywhere: the trust policy alone must hold them back. */
const vendorAccountPolicy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' },
  ],
};
/** What a compromised grant function could at most write as a role's inline policy: the boundary must still hold. */
const everythingPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const grantSession = {
  boundary: stack.boundary,
  identity: { [acmePlan.role.inlinePolicyName]: acmePlan.role.inlinePolicy },
};

type Who =
  | 'acme engineer'
  | 'globex engineer'
  | 'globex engineer, own grant'
  | 'acme engineer, vendor without MFA'
  | 'acme grant session'
  | 'acme session policy alone'
  | 'globex group grant session'
  | 'revoked acme session'
  | 'session of an over-broad role';

const actors: Record<Who, IamActor> = {
  'acme engineer': {
    principal: ACME.principals[0]!,
    resourceAccount: ACCOUNT,
    policies: { identity: { 'vendor-account': vendorAccountPolicy }, resourcePolicy: acmePlan.role.trustPolicy },
  },
  'globex engineer': {
    principal: GLOBEX.principals[0]!,
    resourceAccount: ACCOUNT,
    policies: { identity: { 'vendor-account': vendorAccountPolicy }, resourcePolicy: acmePlan.role.trustPolicy },
  },
  'globex engineer, own grant': {
    principal: GLOBEX.principals[0]!,
    resourceAccount: ACCOUNT,
    policies: { identity: { 'vendor-account': vendorAccountPolicy }, resourcePolicy: globexPlan.role.trustPolicy },
  },
  'acme engineer, vendor without MFA': {
    principal: ACME.principals[0]!,
    resourceAccount: ACCOUNT,
    policies: {
      identity: { 'vendor-account': vendorAccountPolicy },
      resourcePolicy: planGrant(
        { grantId: 'g-0123456789ab' },
        acmeTargets,
        { ...ACME, requireMfa: false },
        WINDOW,
        stack.planContext,
      ).role.trustPolicy,
    },
  },
  'acme grant session': {
    principal: sessionOf(acmePlan.role.name),
    resourceAccount: ACCOUNT,
    policies: { permissionsBoundary: grantSession.boundary, identity: grantSession.identity },
  },
  // The session policy must hold on its own, not only behind the boundary: either could be loosened by mistake.
  'acme session policy alone': {
    principal: sessionOf(acmePlan.role.name),
    resourceAccount: ACCOUNT,
    policies: { identity: grantSession.identity },
  },
  'globex group grant session': {
    principal: sessionOf(globexPlan.role.name),
    resourceAccount: ACCOUNT,
    policies: {
      permissionsBoundary: stack.boundary,
      identity: { [globexPlan.role.inlinePolicyName]: globexPlan.role.inlinePolicy },
    },
  },
  'revoked acme session': {
    principal: sessionOf(acmePlan.role.name),
    resourceAccount: ACCOUNT,
    policies: {
      permissionsBoundary: grantSession.boundary,
      identity: { ...grantSession.identity, 'deny-all': stack.revokedPolicy },
    },
  },
  'session of an over-broad role': {
    principal: sessionOf('jit-g-0badbadbad00'),
    resourceAccount: ACCOUNT,
    policies: { permissionsBoundary: stack.boundary, identity: { 'allow-everything': everythingPolicy } },
  },
};

const ACME_IP = '203.0.113.10';
const ACME_SECOND_RANGE_IP = '198.51.100.20';
const GLOBEX_IP = '192.0.2.10';
const FOREIGN_IP = '8.8.8.8';

const assume: IamContext = {
  'sts:ExternalId': ACME.externalId,
  'aws:SourceIp': ACME_IP,
  'aws:CurrentTime': IN_WINDOW,
  'aws:MultiFactorAuthPresent': 'true',
  'aws:MultiFactorAuthAge': '300',
};
const startSession: IamContext = {
  'aws:SourceIp': ACME_IP,
  'aws:CurrentTime': IN_WINDOW,
  'ssm:SessionDocumentAccessCheck': 'true',
  [TARGET_TAG]: 'billing-db',
};
const onDocument = without(startSession, TARGET_TAG);
const ownSession: IamContext = {
  'aws:SourceIp': ACME_IP,
  'aws:CurrentTime': IN_WINDOW,
  'aws:userid': SESSION_USER_ID,
  'ssm:resourceTag/aws:ssmmessages:session-id': SESSION_USER_ID,
};
const plainCall: IamContext = { 'aws:SourceIp': ACME_IP, 'aws:CurrentTime': IN_WINDOW };
const SESSION = `arn:aws:ssm:${REGION}:${ACCOUNT}:session/vendor-engineer-0a1b2c3d4e5f6a7b8`;

const GLOBEX_ROLE = `arn:aws:iam::${ACCOUNT}:role${globexPlan.role.path}${globexPlan.role.name}`;

const trustCases: IamCase<Who>[] = [
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: assume,
    expect: 'Allowed',
    because: 'its principal, external id, CIDR, recent MFA, inside the window',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:SourceIp': ACME_SECOND_RANGE_IP },
    expect: 'Allowed',
    because: 'every CIDR of the vendor is admitted',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:CurrentTime': '2026-03-02T15:59:59Z' },
    expect: 'Allowed',
    because: 'the last second of the window',
  },
  {
    who: 'globex engineer, own grant',
    action: 'sts:AssumeRole',
    resource: GLOBEX_ROLE,
    context: { ...assume, 'sts:ExternalId': GLOBEX.externalId, 'aws:SourceIp': GLOBEX_IP },
    expect: 'Allowed',
    because: 'each vendor assumes its own grant role with its own external id and CIDR',
  },
  {
    who: 'globex engineer, own grant',
    action: 'sts:AssumeRole',
    resource: GLOBEX_ROLE,
    context: { ...assume, 'aws:SourceIp': GLOBEX_IP },
    expect: 'ImplicitlyDenied',
    because: "another vendor's external id",
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'sts:ExternalId': 'acme-guessed' },
    expect: 'ImplicitlyDenied',
    because: 'a wrong external id',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: without(assume, 'sts:ExternalId'),
    expect: 'ImplicitlyDenied',
    because: 'no external id',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:SourceIp': FOREIGN_IP },
    expect: 'ImplicitlyDenied',
    because: 'a foreign IP',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:SourceIp': GLOBEX_IP },
    expect: 'ImplicitlyDenied',
    because: "another vendor's CIDR",
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: without(assume, 'aws:SourceIp'),
    expect: 'ImplicitlyDenied',
    because: 'no source IP (a VPC endpoint): IpAddress, not IfExists',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:CurrentTime': '2026-03-02T07:59:00Z' },
    expect: 'ImplicitlyDenied',
    because: 'before the window',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:CurrentTime': '2026-03-02T16:00:01Z' },
    expect: 'ImplicitlyDenied',
    because: 'after the window',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:MultiFactorAuthPresent': 'false' },
    expect: 'ImplicitlyDenied',
    because: 'no MFA where the vendor requires it',
  },
  {
    who: 'acme engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:MultiFactorAuthAge': '7200' },
    expect: 'ImplicitlyDenied',
    because: 'an MFA sign-in older than an hour (aws:MultiFactorAuthAge bounded)',
  },
  {
    who: 'acme engineer, vendor without MFA',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: without(assume, 'aws:MultiFactorAuthPresent', 'aws:MultiFactorAuthAge'),
    expect: 'Allowed',
    because: 'MFA is asked only of vendors that require it',
  },
  {
    who: 'globex engineer',
    action: 'sts:AssumeRole',
    resource: ACME_ROLE,
    context: { ...assume, 'aws:SourceIp': GLOBEX_IP },
    expect: 'ImplicitlyDenied',
    because: "another vendor's principal, even with the right external id",
  },
  {
    who: 'acme engineer',
    action: 'sts:TagSession',
    resource: ACME_ROLE,
    context: without(assume, 'sts:ExternalId'),
    expect: 'ExplicitlyDenied',
    because: 'caller-chosen session tags are explicitly denied',
  },
  {
    who: 'acme engineer',
    action: 'sts:SetSourceIdentity',
    resource: ACME_ROLE,
    context: without(assume, 'sts:ExternalId'),
    expect: 'ExplicitlyDenied',
    because: 'a caller-chosen source identity is explicitly denied',
  },
];

const sessionCases: IamCase<Who>[] = [
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: startSession,
    expect: 'Allowed',
    because: 'a granted instance, from its CIDR, in the window, with the document check',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: STACK_DOCUMENT,
    context: onDocument,
    expect: 'Allowed',
    because: "the stack's recorded session document",
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'aws:SourceIp': ACME_SECOND_RANGE_IP },
    expect: 'Allowed',
    because: "the vendor's second CIDR",
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: startSession,
    expect: 'ImplicitlyDenied',
    because: 'an instance of the same group that was not granted',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'ssm:SessionDocumentAccessCheck': 'false' },
    expect: 'ImplicitlyDenied',
    because: 'no document check: the default, unrecorded shell document',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'aws:SourceIp': FOREIGN_IP },
    expect: 'ImplicitlyDenied',
    because: 'a foreign IP (stolen credentials)',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'aws:SourceIp': GLOBEX_IP },
    expect: 'ImplicitlyDenied',
    because: "another vendor's CIDR: the boundary admits it, the session policy does not",
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: without(startSession, 'aws:SourceIp'),
    expect: 'ImplicitlyDenied',
    because: 'no source IP (a VPC endpoint): IpAddress, not IfExists',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: STACK_DOCUMENT,
    context: without(onDocument, 'aws:SourceIp'),
    expect: 'ImplicitlyDenied',
    because: 'no source IP on the document either',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'aws:CurrentTime': '2026-03-02T16:00:01Z' },
    expect: 'ImplicitlyDenied',
    because: 'after the window (the policy clock)',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'aws:CurrentTime': '2026-03-02T07:00:00Z' },
    expect: 'ImplicitlyDenied',
    because: 'before the window',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: awsDocument('AWS-StartPortForwardingSession'),
    context: onDocument,
    expect: 'ExplicitlyDenied',
    because: 'port forwarding is not recorded',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: awsDocument('AWS-StartSSHSession'),
    context: onDocument,
    expect: 'ExplicitlyDenied',
    because: 'SSH sessions are not recorded',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: awsDocument('AWS-StartNonInteractiveCommand'),
    context: onDocument,
    expect: 'ExplicitlyDenied',
    because: 'command documents are not recorded',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: document('AWS-StartPortForwardingSession'),
    context: onDocument,
    expect: 'ImplicitlyDenied',
    because: 'port forwarding, were IAM to name it with the account, is still not allowed',
  },
  {
    who: 'acme grant session',
    action: 'ssm:StartSession',
    resource: document('SSM-SessionManagerRunShell'),
    context: onDocument,
    expect: 'ImplicitlyDenied',
    because: "any document but the stack's",
  },
  {
    who: 'acme grant session',
    action: 'ssm:SendCommand',
    resource: instance(GRANTED),
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'commands bypass the recorded session',
  },
  {
    who: 'acme grant session',
    action: 'ssm:TerminateSession',
    resource: SESSION,
    context: ownSession,
    expect: 'Allowed',
    because: 'its own session',
  },
  {
    who: 'acme grant session',
    action: 'ssm:TerminateSession',
    resource: SESSION,
    context: { ...ownSession, 'ssm:resourceTag/aws:ssmmessages:session-id': 'AROAOTHERPERSON:someone-else' },
    expect: 'ImplicitlyDenied',
    because: "somebody else's session",
  },
  {
    who: 'acme grant session',
    action: 'ssm:ResumeSession',
    resource: SESSION,
    context: ownSession,
    expect: 'Allowed',
    because: 'resuming its own session in the window',
  },
  {
    who: 'acme grant session',
    action: 'ssm:ResumeSession',
    resource: SESSION,
    context: { ...ownSession, 'aws:CurrentTime': '2026-03-02T16:30:00Z' },
    expect: 'ImplicitlyDenied',
    because: 'resuming after the window',
  },
  {
    who: 'acme grant session',
    action: 'kms:GenerateDataKey',
    resource: stack.sessionKeyArn,
    context: plainCall,
    resourcePolicy: stack.sessionKeyPolicy,
    expect: 'Allowed',
    because: "the Session Manager client encrypts with the stack's session key",
  },
  {
    who: 'acme grant session',
    action: 'kms:Decrypt',
    resource: stack.sessionKeyArn,
    context: plainCall,
    resourcePolicy: stack.sessionKeyPolicy,
    expect: 'ImplicitlyDenied',
    because: 'decrypting recorded sessions is not session access',
  },
  {
    who: 'acme grant session',
    action: 'kms:GenerateDataKey',
    resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/another-key`,
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'any other key',
  },
  {
    who: 'acme grant session',
    action: 'iam:CreateRole',
    resource: `arn:aws:iam::${ACCOUNT}:role/Backdoor`,
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'a grant is session access only',
  },
  {
    who: 'acme grant session',
    action: 's3:GetObject',
    resource: `${stack.sessionBucketArn}/sessions/transcript.log`,
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'the evidence is not the vendorʼs to read',
  },
  {
    who: 'acme grant session',
    action: 'ec2:AuthorizeSecurityGroupIngress',
    resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${stack.planContext.securityGroups['billing-db']}`,
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'the vendor cannot open its own network paths',
  },
  {
    who: 'globex group grant session',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: { ...startSession, 'aws:SourceIp': GLOBEX_IP, [TARGET_TAG]: 'web-frontend' },
    expect: 'Allowed',
    because: 'an instance tagged with the granted group',
  },
  {
    who: 'globex group grant session',
    action: 'ssm:TerminateSession',
    resource: SESSION,
    context: { ...ownSession, 'aws:SourceIp': GLOBEX_IP },
    expect: 'Allowed',
    because: 'ending its own session',
  },
  {
    who: 'globex group grant session',
    action: 'ssm:StartSession',
    resource: STACK_DOCUMENT,
    context: { ...onDocument, 'aws:SourceIp': GLOBEX_IP },
    expect: 'Allowed',
    because: "the stack's document from its own CIDR",
  },
  {
    who: 'globex group grant session',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: { ...startSession, 'aws:SourceIp': GLOBEX_IP },
    expect: 'ImplicitlyDenied',
    because: 'an instance of a group that was not granted',
  },
  {
    who: 'globex group grant session',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: without({ ...startSession, 'aws:SourceIp': GLOBEX_IP }, TARGET_TAG),
    expect: 'ImplicitlyDenied',
    because: 'an untagged instance',
  },
  {
    who: 'globex group grant session',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: { ...startSession, [TARGET_TAG]: 'web-frontend' },
    expect: 'ImplicitlyDenied',
    because: "acme's CIDR on a globex grant",
  },
  {
    who: 'revoked acme session',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: startSession,
    expect: 'ExplicitlyDenied',
    because: "the stack's deny-all, attached by revoke, ends credentials already issued",
  },
  {
    who: 'revoked acme session',
    action: 'ssm:ResumeSession',
    resource: SESSION,
    context: ownSession,
    expect: 'ExplicitlyDenied',
    because: 'no session resumes once revoked',
  },
];

const sessionPolicyAloneCases: IamCase<Who>[] = [
  {
    who: 'acme session policy alone',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: startSession,
    expect: 'Allowed',
    because: 'the session policy admits its granted instance',
  },
  {
    who: 'acme session policy alone',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: without(startSession, 'aws:SourceIp'),
    expect: 'ImplicitlyDenied',
    because: 'no source IP: IpAddress, not IfExists, in the session policy itself',
  },
  {
    who: 'acme session policy alone',
    action: 'ssm:StartSession',
    resource: STACK_DOCUMENT,
    context: without(onDocument, 'aws:SourceIp'),
    expect: 'ImplicitlyDenied',
    because: 'no source IP on the document, in the session policy itself',
  },
  {
    who: 'acme session policy alone',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'ssm:SessionDocumentAccessCheck': 'false' },
    expect: 'ImplicitlyDenied',
    because: 'no document check, in the session policy itself',
  },
  {
    who: 'acme session policy alone',
    action: 'ssm:TerminateSession',
    resource: SESSION,
    context: without(ownSession, 'aws:SourceIp'),
    expect: 'ImplicitlyDenied',
    because: 'no source IP for session management either',
  },
  {
    who: 'acme session policy alone',
    action: 'ssm:StartSession',
    resource: instance(GRANTED),
    context: { ...startSession, 'aws:SourceIp': FOREIGN_IP },
    expect: 'ImplicitlyDenied',
    because: 'a foreign IP, in the session policy itself',
  },
];

const boundaryCases: IamCase<Who>[] = [
  {
    who: 'session of an over-broad role',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: startSession,
    expect: 'Allowed',
    because: 'the boundary admits tagged target instances from acme CIDRs',
  },
  {
    who: 'session of an over-broad role',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: { ...startSession, 'aws:SourceIp': GLOBEX_IP },
    expect: 'Allowed',
    because: "the boundary holds the union of every vendor's CIDRs",
  },
  {
    who: 'session of an over-broad role',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: { ...startSession, 'aws:SourceIp': FOREIGN_IP },
    expect: 'ImplicitlyDenied',
    because: "the boundary admits no address outside the vendors' CIDRs",
  },
  {
    who: 'session of an over-broad role',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: without(startSession, 'aws:SourceIp'),
    expect: 'ImplicitlyDenied',
    because: 'the boundary refuses a call with no source IP',
  },
  {
    who: 'session of an over-broad role',
    action: 'ssm:StartSession',
    resource: instance(NOT_GRANTED),
    context: without(startSession, TARGET_TAG),
    expect: 'ImplicitlyDenied',
    because: 'the boundary admits only instances with a target-group tag',
  },
  {
    who: 'session of an over-broad role',
    action: 'ssm:StartSession',
    resource: awsDocument('AWS-StartPortForwardingSessionToRemoteHost'),
    context: onDocument,
    expect: 'ExplicitlyDenied',
    because: 'the boundary denies unrecorded documents',
  },
  {
    who: 'session of an over-broad role',
    action: 'ssm:SendCommand',
    resource: instance(NOT_GRANTED),
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'the boundary allows no commands',
  },
  {
    who: 'session of an over-broad role',
    action: 'iam:AttachRolePolicy',
    resource: ACME_ROLE,
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'the boundary allows no IAM at all',
  },
  {
    who: 'session of an over-broad role',
    action: 's3:DeleteObject',
    resource: `${stack.sessionBucketArn}/sessions/transcript.log`,
    context: plainCall,
    expect: 'ImplicitlyDenied',
    because: 'the boundary allows no S3',
  },
];

const cases = [...trustCases, ...sessionCases, ...sessionPolicyAloneCases, ...boundaryCases];

describe('IAM on the planned grant role (trust, session policy, boundary, deny-all)', () => {
  test.each(cases.map((row) => [row.who, row.action, row.expect, row.because, row] as const))(
    '%s: %s is %s (%s)',
    async (_who, _action, _expect, _because, row) => {
      // Act
      const evaluation = await evaluateCase(actors, row);

      // Assess
      expect(evaluation).toEqual({ decision: row.expect, ignoredContextKeys: [] });
    },
  );
});
