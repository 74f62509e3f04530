import { z } from 'zod';
import { accountOf, roleNameOf } from '../../lambdas/domain/arn';

/**
 * People, as the config names them. Every identity here is one that AWS signs for exactly one person, so that
 * "alice approved" means alice did: an IAM user, an IAM Identity Center user (whose role session name Identity Center
 * sets to the user name), or a session of a role whose trust policy pins the session name to the person.
 */

/** Names that the system itself uses as history actors; a person may not take one. */
export const RESERVED_PERSON_NAMES = ['workflow', 'grant', 'sweeper', 'scheduler', 'expiry-schedule', 'system'];

export const personName = z
  .string()
  .regex(
    /^[a-z][a-z0-9._-]{1,62}$/,
    'must be 2-63 lower-case letters, digits and ._- starting with a letter (e.g. "alice")',
  )
  .refine((name) => !RESERVED_PERSON_NAMES.includes(name), {
    message: `is reserved for the system's own history entries (${RESERVED_PERSON_NAMES.join(', ')}): choose another name`,
  });

/** A reference to a person from another part of the config: a name, never an ARN or a pattern. */
export const personReference = z
  .string()
  .refine((value) => !value.startsWith('arn:') && !value.includes('*'), {
    message:
      'must name a person from jitAccess.people (e.g. "alice"), not an ARN or a pattern: a pattern can let one person appear under two names',
  })
  .pipe(personName);

/** Role session names and Identity Center user names: what STS allows in a session name. */
const sessionName = z
  .string()
  .regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 characters of letters, digits and +=,.@_- (an STS role session name)');

const iamUserArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/,
    'must be an IAM user ARN without wildcards, such as "arn:aws:iam::111122223333:user/alice"',
  );

export const roleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/,
    'must be an IAM role ARN without wildcards, such as "arn:aws:iam::111122223333:role/SecurityApprovers"',
  )
  .refine((arn) => !roleNameOf(arn).startsWith('AWSReservedSSO_'), {
    message: 'is an IAM Identity Center role: name the person with {"identityCenterUser": "<user name>"} instead',
  });

export const identitySchema = z.union([
  z.strictObject({ iamUser: iamUserArn }),
  z.strictObject({ identityCenterUser: sessionName }),
  z.strictObject({ roleSession: z.strictObject({ role: roleArn, sessionName }) }),
]);

export type Identity = z.infer<typeof identitySchema>;

/** A stable string for an identity, to find the same identity listed twice. */
export function identityKey(identity: Identity): string {
  // An IAM user name is unique in its account whatever its path: user/bob and user/contractors/bob are one user.
  if ('iamUser' in identity) return `iam-user ${accountOf(identity.iamUser)}:${roleNameOf(identity.iamUser)}`;
  if ('identityCenterUser' in identity) return `identity-center-user ${identity.identityCenterUser}`;
  const { role, sessionName: name } = identity.roleSession;
  return `role-session ${accountOf(role)}:${roleNameOf(role)}/${name}`;
}

export function describeIdentity(identity: Identity): string {
  if ('iamUser' in identity) return identity.iamUser;
  if ('identityCenterUser' in identity) return `Identity Center user ${identity.identityCenterUser}`;
  return `${identity.roleSession.role} session ${identity.roleSession.sessionName}`;
}
