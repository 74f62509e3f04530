import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  type IAMClientConfig,
} from '@aws-sdk/client-iam';
import { INLINE_POLICY_NAME } from '../../lambdas/domain/planner';
import type { VendorConfig } from '../../lib/config/schema';
import { evaluateIam, type IamDecision, type IamPolicies, type IamPolicyDocument } from './iam-simulator';

/** One call of the vendor's, and IAM's answer to it from the grant's real policies. */
export interface VendorIamCheck {
  /** What the vendor tries, e.g. `sts:AssumeRole with the right external id from 203.0.113.10`. */
  readonly call: string;
  readonly expected: 'allowed' | 'refused';
  readonly decision: IamDecision;
  /** Why IAM refuses it (empty for an allowed call). */
  readonly why: string;
}

export interface VendorIamInput {
  readonly aws: IAMClientConfig;
  readonly vendor: VendorConfig;
  readonly roleName: string;
  readonly boundaryArn: string;
  readonly sessionDocumentName: string;
  readonly env: { readonly accountId: string; readonly region: string; readonly partition: string };
  readonly expiresAt: string;
  /** When the vendor calls (the demo's clock): inside the window. */
  readonly now: Date;
  readonly grantedInstance: { readonly id: string; readonly tagKey: string; readonly tagValue: string };
  readonly otherInstance: { readonly id: string; readonly tagKey: string; readonly tagValue: string };
}

/** An address outside every configured vendor range (TEST-NET-2, past acme's /28). */
const FOREIGN_IP = '198.51.100.200';
const MFA_AGE_SECONDS = '300';

/** IAM returns policy documents URL-encoded. */
function parseDocument(encoded: string | undefined, what: string): IamPolicyDocument {
  if (!encoded) throw new Error(`moto returned no ${what}`);
  return JSON.parse(decodeURIComponent(encoded)) as IamPolicyDocument;
}

/** The grant role's trust and session policies and the stack boundary, as created in local AWS. */
async function readGrantPolicies(input: VendorIamInput) {
  const iam = new IAMClient(input.aws);
  const role = await iam.send(new GetRoleCommand({ RoleName: input.roleName }));
  const inline = await iam.send(new GetRolePolicyCommand({ RoleName: input.roleName, PolicyName: INLINE_POLICY_NAME }));
  const boundary = await iam.send(new GetPolicyCommand({ PolicyArn: input.boundaryArn }));
  const version = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: input.boundaryArn, VersionId: boundary.Policy?.DefaultVersionId }),
  );
  return {
    roleArn: role.Role?.Arn as string,
    trust: parseDocument(role.Role?.AssumeRolePolicyDocument, `trust policy of ${input.roleName}`),
    session: parseDocument(inline.PolicyDocument, `session policy of ${input.roleName}`),
    boundary: parseDocument(version.PolicyVersion?.Document, `boundary ${input.boundaryArn}`),
  };
}

/**
 * The vendor's own calls on an active grant, evaluated by the IAM policy simulator against the trust and session
 * policies the grant created (read back from local AWS) and the stack boundary. moto does not enforce IAM, so this is
 * where a wrong external id, a foreign address, a late attempt or another instance is refused.
 */
export async function checkVendorCalls(input: VendorIamInput): Promise<VendorIamCheck[]> {
  const { vendor, env } = input;
  const policies = await readGrantPolicies(input);
  const vendorIp = vendor.allowedCidrs[0]!.replace(/\.\d+\/\d+$/, '.10');
  const now = input.now.toISOString();
  const late = new Date(new Date(input.expiresAt).getTime() + 60_000).toISOString();
  const assume = {
    'sts:ExternalId': vendor.externalId,
    'aws:SourceIp': vendorIp,
    'aws:CurrentTime': now,
    ...(vendor.requireMfa ? { 'aws:MultiFactorAuthPresent': 'true', 'aws:MultiFactorAuthAge': MFA_AGE_SECONDS } : {}),
  };
  // The vendor's own account lets its engineers assume any role: only the grant's trust policy holds them back.
  const assumeAs: IamPolicies = {
    identity: {
      'vendor-account': {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
      },
    },
    resourcePolicy: policies.trust,
  };
  const sessionAs: IamPolicies = {
    identity: { [INLINE_POLICY_NAME]: policies.session },
    permissionsBoundary: policies.boundary,
  };
  const sessionPrincipal = `arn:${env.partition}:sts::${env.accountId}:assumed-role/${input.roleName}/vendor-engineer`;
  const instanceArn = (id: string) => `arn:${env.partition}:ec2:${env.region}:${env.accountId}:instance/${id}`;
  const documentArn = `arn:${env.partition}:ssm:${env.region}:${env.accountId}:document/${input.sessionDocumentName}`;
  const startContext = (instance: VendorIamInput['grantedInstance']) => ({
    'aws:SourceIp': vendorIp,
    'aws:CurrentTime': now,
    'ssm:SessionDocumentAccessCheck': 'true',
    [`ssm:resourceTag/${instance.tagKey}`]: instance.tagValue,
  });
  const assumeRole = async (context: Record<string, string>) =>
    (
      await evaluateIam(
        {
          principal: vendor.principals[0]!,
          action: 'sts:AssumeRole',
          resource: policies.roleArn,
          resourceAccount: env.accountId,
          context,
        },
        assumeAs,
      )
    ).decision;
  // StartSession is authorized on both the instance and the document: a session needs both.
  const startSession = async (instance: VendorIamInput['grantedInstance']) => {
    const onInstance = await evaluateIam(
      {
        principal: sessionPrincipal,
        action: 'ssm:StartSession',
        resource: instanceArn(instance.id),
        resourceAccount: env.accountId,
        context: startContext(instance),
      },
      sessionAs,
    );
    const onDocument = await evaluateIam(
      {
        principal: sessionPrincipal,
        action: 'ssm:StartSession',
        resource: documentArn,
        resourceAccount: env.accountId,
        context: { 'aws:SourceIp': vendorIp, 'aws:CurrentTime': now, 'ssm:SessionDocumentAccessCheck': 'true' },
      },
      sessionAs,
    );
    return onInstance.decision === 'Allowed' ? onDocument.decision : onInstance.decision;
  };

  const checks: Array<Omit<VendorIamCheck, 'decision'> & { readonly evaluate: () => Promise<IamDecision> }> = [
    {
      call: `sts:AssumeRole ${input.roleName} with ${vendor.id}'s external id from ${vendorIp}, in the window`,
      expected: 'allowed',
      why: '',
      evaluate: () => assumeRole(assume),
    },
    {
      call: 'sts:AssumeRole with a wrong external id',
      expected: 'refused',
      why: `the trust policy requires sts:ExternalId "${vendor.externalId}"`,
      evaluate: () => assumeRole({ ...assume, 'sts:ExternalId': `${vendor.id}-guessed` }),
    },
    {
      call: `sts:AssumeRole from a foreign IP (${FOREIGN_IP})`,
      expected: 'refused',
      why: `aws:SourceIp is outside ${vendor.id}'s CIDRs ${vendor.allowedCidrs.join(', ')}`,
      evaluate: () => assumeRole({ ...assume, 'aws:SourceIp': FOREIGN_IP }),
    },
    {
      call: `sts:AssumeRole after expiry (${late})`,
      expected: 'refused',
      why: `aws:CurrentTime is past the window's end ${input.expiresAt}`,
      evaluate: () => assumeRole({ ...assume, 'aws:CurrentTime': late }),
    },
    {
      call: `ssm:StartSession on granted ${input.grantedInstance.id} with ${input.sessionDocumentName}`,
      expected: 'allowed',
      why: '',
      evaluate: () => startSession(input.grantedInstance),
    },
    {
      call: `ssm:StartSession on ${input.otherInstance.id} (${input.otherInstance.tagValue}, not granted)`,
      expected: 'refused',
      why: 'the session policy names only the granted instances',
      evaluate: () => startSession(input.otherInstance),
    },
  ];
  const results: VendorIamCheck[] = [];
  for (const { evaluate, ...check } of checks) results.push({ ...check, decision: await evaluate() });
  return results;
}

/** Whether IAM answered as the security model says: allowed calls allowed, the others refused. */
export function asExpected(check: VendorIamCheck): boolean {
  return (check.decision === 'Allowed') === (check.expected === 'allowed');
}

/** One line per call: `<call>: allowed` or `<call>: refused by IAM: <why>`. */
export function describeCheck(check: VendorIamCheck): string {
  const why = check.why || 'no statement of the grant allows it';
  const answer = check.decision === 'Allowed' ? 'allowed' : `refused by IAM: ${why} (${check.decision})`;
  return `${check.call}: ${answer}${asExpected(check) ? '' : `  UNEXPECTED: expected ${check.expected}`}`;
}
