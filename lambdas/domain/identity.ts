import type { JitAccessConfig, VendorConfig } from '../../lib/config/schema';
import type { Identity } from '../../lib/config/people';
import { accountOf, roleNameOf } from './arn';
import { AccessDeniedError } from './errors';

/**
 * Who is acting: the configured person and the ARN AWS signed the request with. Only the API builds a Caller, from
 * the request context of an IAM-authorized call; a Caller read back from the ledger or a workflow payload is a
 * claim, and is resolved again from its ARN before anything relies on it.
 */
export interface Caller {
  readonly person: string;
  readonly arn: string;
}

const ASSUMED_ROLE_ARN = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;
const IAM_USER_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
/** Identity Center names its roles `AWSReservedSSO_<permission set>_<16 hex>` and sets the session to the user name. */
const IDENTITY_CENTER_ROLE = /^AWSReservedSSO_[\w+=,.@-]+_[0-9a-f]{16}$/;

/** The person a signed ARN is, under this config; undefined for anyone the config does not name. */
export function personOf(arn: string, config: JitAccessConfig, stackAccountId: string): string | undefined {
  const trustedIdentityCenterAccounts =
    config.identityCenterAccounts.length > 0 ? config.identityCenterAccounts : [stackAccountId];
  for (const [person, identities] of Object.entries(config.people)) {
    if (identities.some((identity) => isIdentity(arn, identity, config, trustedIdentityCenterAccounts))) return person;
  }
  return undefined;
}

function isIdentity(
  arn: string,
  identity: Identity,
  config: JitAccessConfig,
  trustedIdentityCenterAccounts: readonly string[],
): boolean {
  if ('iamUser' in identity) {
    // IAM user names are unique in an account whatever their path, so account and name decide.
    const user = IAM_USER_ARN.exec(arn);
    const configured = IAM_USER_ARN.exec(identity.iamUser);
    return user !== null && configured !== null && user[1] === configured[1] && user[2] === configured[2];
  }
  const session = ASSUMED_ROLE_ARN.exec(arn);
  if (!session) return false;
  const [, account, roleName, sessionName] = session;
  if ('identityCenterUser' in identity) {
    return (
      IDENTITY_CENTER_ROLE.test(roleName ?? '') &&
      trustedIdentityCenterAccounts.includes(account ?? '') &&
      sessionName === identity.identityCenterUser
    );
  }
  const { role, sessionName: pinnedName } = identity.roleSession;
  return (
    config.pinnedSessionRoles.includes(role) &&
    account === accountOf(role) &&
    roleName === roleNameOf(role) &&
    sessionName === pinnedName
  );
}

/** The Caller for a signed ARN, or a refusal that says how to be named in the config. */
export function resolveCaller(arn: string | undefined, config: JitAccessConfig, stackAccountId: string): Caller {
  if (!arn) {
    throw new AccessDeniedError(
      'UNSIGNED_REQUEST',
      'the request carries no signed AWS identity: call the API with SigV4-signed requests (jit-access does this)',
    );
  }
  const person = personOf(arn, config, stackAccountId);
  if (!person) {
    throw new AccessDeniedError(
      'NOT_A_PERSON',
      `${arn} is not a person jit-access knows: ask the platform team to add your IAM user, Identity Center user or pinned role session to jitAccess.people`,
    );
  }
  return { person, arn };
}

export function isApprover(person: string, config: JitAccessConfig): boolean {
  return config.approvers.people.includes(person);
}

export function isAdmin(person: string, config: JitAccessConfig): boolean {
  return config.admins.includes(person);
}

export function isSponsor(person: string, vendor: VendorConfig): boolean {
  return vendor.sponsors.includes(person);
}

export function isBreakGlassPerson(person: string, config: JitAccessConfig): boolean {
  return config.breakGlass.people.includes(person);
}

/** Who may end a grant or watch its sessions: its requester, any approver, any admin. */
export function mayOverseeGrant(person: string, requester: string, config: JitAccessConfig): boolean {
  return person === requester || isApprover(person, config) || isAdmin(person, config);
}

/** Who may read a grant's evidence and the access reviews: auditors and admins. */
export function mayAudit(person: string, config: JitAccessConfig): boolean {
  return config.auditors.includes(person) || isAdmin(person, config);
}
