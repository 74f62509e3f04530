import { z } from 'zod';
import { CHANGE_DIRECTORY_PATTERN, MAX_CHANGE_DIRECTORIES } from '../../lambdas/domain/change-snapshot-layout';
import { OS_USER_PATTERN } from '../../lambdas/domain/os-accounts';
import { isIpv4Cidr, isPublicIpv4Cidr, isWideIpv4Cidr, WIDE_CIDR_PREFIX } from './cidr';
import { describeIdentity, identityKey, identitySchema, personName, personReference, roleArn } from './people';

/** Longest grant any vendor may be given, in hours. Role sessions last at most 12 h; vendors re-assume within a grant. */
export const MAX_GRANT_HOURS_LIMIT = 24;

const id = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/,
    'must be 3-32 characters: lower-case letters, digits and dashes (e.g. "acme")',
  );

/** A principal a trust policy can name: no wildcard (IAM refuses `*` inside a Principal ARN). */
const principalArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/:-]+$/,
    'must be an IAM or STS ARN without wildcards, such as "arn:aws:iam::111122223333:role/Support"',
  );

/** Users with passwordless sudo on common AMIs, or root itself: a vendor session must run as a restricted user. */
const PRIVILEGED_OS_USERS = [
  'root',
  'admin',
  'administrator',
  'ec2-user',
  'ubuntu',
  'ssm-user',
  'centos',
  'debian',
  'fedora',
  'rocky',
  'almalinux',
  'bitnami',
];

const cidr = z.string().superRefine((value, ctx) => {
  if (!isIpv4Cidr(value)) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid CIDR: use a.b.c.d/n with n from 8 to 32` });
  } else if (!isPublicIpv4Cidr(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a public range: aws:SourceIp only sees public addresses, so use the vendor's public egress range (and never /0)`,
    });
  }
});

const portRange = z
  .object({
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    fromPort: z.number().int().min(1, 'ports run from 1 to 65535').max(65535, 'ports run from 1 to 65535'),
    toPort: z.number().int().min(1, 'ports run from 1 to 65535').max(65535, 'ports run from 1 to 65535'),
  })
  .refine((p) => p.fromPort <= p.toPort, { message: 'fromPort must not be larger than toPort', path: ['toPort'] });

export const vendorSchema = z.strictObject({
  /** Stable id used in grant requests, tags and names. */
  id,
  /** Human name shown to approvers. @default the id */
  displayName: z.string().min(1).max(128).optional(),
  /** Whether grants may be requested for this vendor. @default true */
  enabled: z.boolean().default(true),
  /** AWS principals (the vendor's own account roles or users) allowed to assume a grant's role. */
  principals: z.array(principalArn).min(1, 'list at least one principal the vendor assumes the grant role from'),
  /** sts:ExternalId the vendor must present (8-1224 characters, per the STS limits). */
  externalId: z
    .string()
    .min(8, 'must be at least 8 characters (use a random value the vendor keeps)')
    .max(1224)
    .regex(/^[\w+=,.@:/-]+$/, 'may hold only letters, digits and +=,.@:/-_'),
  /** Public IPv4 ranges the vendor connects from: used in the trust policy and the temporary security-group rules. */
  allowedCidrs: z.array(cidr).min(1, 'list at least one public CIDR the vendor connects from').max(50),
  /**
   * Admits allowedCidrs wider than /24, with the reason recorded in the config (and so in its review history).
   * @default none: a range wider than /24 is refused
   */
  allowWideCidr: z
    .strictObject({
      reason: z
        .string()
        .trim()
        .max(500)
        .refine(
          (reason) => reason.length >= 20 && reason.split(/\s+/).length >= 3,
          'say in a sentence (20 characters or more) why the vendor needs a range wider than /24, e.g. "their support NAT pool is a /22, ticket SEC-42"',
        ),
    })
    .optional(),
  /** Operating-system user sessions run as (SSMSessionRunAs). Never root. */
  osUser: z
    .string()
    .regex(OS_USER_PATTERN, 'must be a valid Linux user name such as "acme-support"')
    .refine(
      (u) => !PRIVILEGED_OS_USERS.includes(u),
      'must not be root or a default sudo user of an AMI (ec2-user, ubuntu, ssm-user, ...): create a restricted OS user for the vendor',
    ),
  /**
   * Keep the vendor's OS user off the instance metadata service (and so off the instance role's credentials) while
   * granted: an iptables owner-match rule added at unlock, removed at lock. Needs iptables on the instances.
   * @default false
   */
  blockImds: z.boolean().default(false),
  /** Ports the vendor may be given network access to from its CIDRs. @default none (Session Manager needs no inbound port) */
  ports: z.array(portRange).max(20).default([]),
  /** Longest grant that may be requested, in hours (1-24). @default 8 */
  maxGrantHours: z
    .number()
    .int()
    .min(1, `must be between 1 and ${MAX_GRANT_HOURS_LIMIT} hours`)
    .max(MAX_GRANT_HOURS_LIMIT, `must be between 1 and ${MAX_GRANT_HOURS_LIMIT} hours`)
    .default(8),
  /** Names of the target groups this vendor may be granted. */
  eligibleTargetGroups: z.array(id).min(1, 'list at least one target group name'),
  /** The people (names from `people`) who may request access for this vendor. */
  sponsors: z.array(personReference).min(1, 'list at least one sponsor (a name from jitAccess.people)'),
  /** Require MFA when assuming the grant role (aws:MultiFactorAuthPresent). @default true */
  requireMfa: z.boolean().default(true),
});

export const targetGroupSchema = z.strictObject({
  /** Name referenced by vendors and requests. */
  name: id,
  /** Instances carrying this tag key and value form the group. */
  tagKey: z
    .string()
    .min(1)
    .max(128)
    .refine((k) => !k.startsWith('aws:'), 'tag keys starting with "aws:" are reserved'),
  tagValue: z.string().min(1).max(256),
  /** VPC the group's instances live in; its JIT ingress security group is created there. */
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id such as "vpc-0123456789abcdef0"'),
  /** Use this existing, empty security group for the temporary rules instead of creating one. */
  securityGroupId: z
    .string()
    .regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id such as "sg-0123456789abcdef0"')
    .optional(),
});

export const approversSchema = z.strictObject({
  /** The people (names from `people`) who may approve; one vote per person. */
  people: z.array(personReference).min(1, 'list at least one approver (a name from jitAccess.people)'),
  /** How many distinct approvers, none of them the requester, must approve. @default 2 */
  minApprovals: z.number().int().min(1, 'at least one approval is required').max(10).default(2),
});

export const breakGlassSchema = z.strictObject({
  /** The people who may request access without waiting for approval. @default none */
  people: z.array(personReference).default([]),
  /** Longest break-glass grant in minutes (15-240). @default 60 */
  maxMinutes: z.number().int().min(15, 'must be 15-240 minutes').max(240, 'must be 15-240 minutes').default(60),
  /** Hours within which approvers must approve a break-glass grant afterwards, or the vendor is disabled. @default 24 */
  reviewWithinHours: z.number().int().min(1, 'must be 1-168 hours').max(168, 'must be 1-168 hours').default(24),
});

export const apiSchema = z.strictObject({
  /** Also admit callers from every account of this AWS Organization (the deploying account is always admitted). */
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id such as "o-a1b2c3d4e5"')
    .optional(),
  /** Steady-state requests per second the API accepts. @default 10 */
  throttleRatePerSecond: z.number().int().min(1).max(1000, 'must be 1-1000').default(10),
  /** Burst of requests the API accepts. @default 20 */
  throttleBurst: z.number().int().min(1).max(2000, 'must be 1-2000').default(20),
  /**
   * Set API Gateway's account-wide CloudWatch Logs role (needed for its access and error logs). Turn off where the
   * account already has one. @default true
   */
  createCloudWatchRole: z.boolean().default(true),
});

export const sessionSchema = z.strictObject({
  /** Minutes of inactivity before Session Manager ends a session (1-60). @default 20 */
  idleTimeoutMinutes: z.number().int().min(1, 'must be 1-60 minutes').max(60, 'must be 1-60 minutes').default(20),
  /** Longest single session in minutes (1-1440). @default 240 */
  maxSessionDurationMinutes: z
    .number()
    .int()
    .min(1, 'must be 1-1440 minutes')
    .max(1440, 'must be 1-1440 minutes')
    .default(240),
});

export const lockoutSchema = z.strictObject({
  /** Denied attempts of a vendor within the window that revoke the grant and lock the vendor (1-100). @default 5 */
  threshold: z
    .number()
    .int('must be a whole number of attempts')
    .min(1, 'must be 1-100 attempts')
    .max(100, 'must be 1-100 attempts')
    .default(5),
  /** Minutes the attempts are counted within (1-1440). @default 15 */
  windowMinutes: z
    .number()
    .int('must be a whole number of minutes')
    .min(1, 'must be 1-1440 minutes')
    .max(1440, 'must be 1-1440 minutes')
    .default(15),
});

const changeDirectory = z.string().superRefine((value, ctx) => {
  if (!value.startsWith('/')) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not absolute: write the full path, such as "/etc"` });
  } else if (value.split('/').includes('..')) {
    ctx.addIssue({ code: 'custom', message: `"${value}" has a ".." segment: write the directory's own path` });
  } else if (!CHANGE_DIRECTORY_PATTERN.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" must name a directory below / with letters, digits and . _ @ + - only, such as "/etc" or "/opt/app/conf"`,
    });
  }
});

export const changeTrackingSchema = z.strictObject({
  /** Take a configuration snapshot at unlock and after the lock on each granted instance. @default true */
  enabled: z.boolean().default(true),
  /** Directories whose regular files are checksummed (SHA-256) in each snapshot. @default ["/etc"] */
  directories: z
    .array(changeDirectory)
    .max(MAX_CHANGE_DIRECTORIES, `list at most ${MAX_CHANGE_DIRECTORIES} directories`)
    .refine((dirs) => new Set(dirs).size === dirs.length, { message: 'lists a directory twice: list each once' })
    .default(['/etc']),
});

export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const baseSchema = z.strictObject({
  /** IAM path for per-grant roles. @default "/jit-access/" */
  iamPath: z
    .string()
    .regex(/^\/([A-Za-z0-9_-]+\/)+$/, 'must look like "/jit-access/" (starts and ends with a slash)')
    .default('/jit-access/'),
  vendors: z.array(vendorSchema).min(1, 'describe at least one vendor'),
  targetGroups: z.array(targetGroupSchema).min(1, 'describe at least one target group'),
  /** Everyone who acts through the API, by name, each with the AWS identities that are that person. */
  people: z.record(personName, z.array(identitySchema).min(1, 'list at least one identity of this person')),
  /**
   * Roles whose trust policy pins the role session name to the person (see README, "People"); only sessions of
   * these roles may name a person.
   * @default none
   */
  pinnedSessionRoles: z.array(roleArn).default([]),
  /** Accounts whose IAM Identity Center role sessions are trusted. @default the stack's own account */
  identityCenterAccounts: z.array(z.string().regex(/^\d{12}$/, 'must be a 12-digit account id')).default([]),
  approvers: approversSchema,
  /** People who may disable and enable vendors, and revoke any grant. @default none */
  admins: z.array(personReference).default([]),
  /** People who may read any grant's evidence (`jit-access audit`) and the access reviews; admins may too. @default none */
  auditors: z.array(personReference).default([]),
  breakGlass: breakGlassSchema.default({ people: [], maxMinutes: 60, reviewWithinHours: 24 }),
  api: apiSchema.default({ throttleRatePerSecond: 10, throttleBurst: 20, createCloudWatchRole: true }),
  /** Minutes a request waits for approval before it expires (5-10080). @default 1440 */
  approvalTimeoutMinutes: z
    .number()
    .int()
    .min(5, 'must be between 5 and 10080 minutes (7 days)')
    .max(10080, 'must be between 5 and 10080 minutes (7 days)')
    .default(1440),
  session: sessionSchema.default({ idleTimeoutMinutes: 20, maxSessionDurationMinutes: 240 }),
  /** Lockout after repeated denied attempts by a vendor (CloudTrail). @default 5 within 15 minutes */
  lockout: lockoutSchema.default({ threshold: 5, windowMinutes: 15 }),
  /** "What the vendor changed": configuration snapshots at grant and revoke (README). @default on, for /etc */
  changeTracking: changeTrackingSchema.default({ enabled: true, directories: ['/etc'] }),
  /** Days session logs are kept in CloudWatch Logs (a CloudWatch retention value, at least 365). @default 365 */
  logRetentionDays: z
    .number()
    .int()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `must be one of CloudWatch's retention values: ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .refine((d) => d >= 365, { message: 'must be at least 365 days: session logs are audit evidence' })
    .default(365),
  /** Days Object Lock keeps each session transcript in S3 from being deleted (1-3650). @default 365 */
  objectLockDays: z.number().int().min(1).max(3650, 'must be 1-3650 days').default(365),
  /**
   * Object Lock mode of session transcripts: COMPLIANCE (nobody, the account root included, can shorten the lock or
   * delete a locked transcript) or GOVERNANCE (the bucket policy then denies everyone s3:BypassGovernanceRetention).
   * @default "COMPLIANCE"
   */
  objectLockMode: z
    .enum(['COMPLIANCE', 'GOVERNANCE'], { error: 'must be "COMPLIANCE" (the default) or "GOVERNANCE"' })
    .default('COMPLIANCE'),
  /**
   * Days after which evidence objects (session transcripts, their access logs, the optional trail's log files) move to
   * archive storage; fewer than objectLockDays, so evidence is archived while Object Lock still protects it.
   * @default none: evidence stays in S3 Standard
   */
  archiveAfterDays: z.number().int().min(1, 'must be 1-3649 days').max(3649, 'must be 1-3649 days').optional(),
  /**
   * Archive storage class: GLACIER_IR (read in milliseconds), GLACIER (Flexible Retrieval, minutes to hours) or
   * DEEP_ARCHIVE (hours, cheapest).
   * @default "GLACIER"
   */
  archiveStorageClass: z
    .enum(['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'], {
      error: 'must be "GLACIER_IR", "GLACIER" (the default) or "DEEP_ARCHIVE"',
    })
    .default('GLACIER'),
  /**
   * A CloudTrail trail of the stack's own: multi-region, KMS-encrypted, log file validation, Object Lock bucket. Leave
   * it off where an organization trail already records the account (README, "Using an existing trail").
   * @default { create: false }
   */
  cloudTrail: z.strictObject({ create: z.boolean().default(false) }).default({ create: false }),
  /** Email addresses subscribed to the notification topic. @default none */
  notificationEmails: z.array(z.email('must be an email address such as "secops@example.com"')).default([]),
  /** Ship source maps with the functions: stack traces in TypeScript terms, bundles several times larger. @default false */
  sourceMaps: z.boolean().default(false),
  /** Minutes between sweeper runs (1-60). @default 5 */
  sweeperRateMinutes: z.number().int().min(1, 'must be 1-60 minutes').max(60, 'must be 1-60 minutes').default(5),
});

export const jitAccessConfigSchema = baseSchema.superRefine((config, ctx) => {
  const groupNames = new Set(config.targetGroups.map((g) => g.name));
  reportDuplicates(
    config.vendors.map((v) => v.id),
    ['vendors'],
    'id',
    ctx,
  );
  reportDuplicates(
    config.targetGroups.map((g) => g.name),
    ['targetGroups'],
    'name',
    ctx,
  );
  config.vendors.forEach((vendor, v) => {
    vendor.eligibleTargetGroups.forEach((name, g) => {
      if (!groupNames.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['vendors', v, 'eligibleTargetGroups', g],
          message: `"${name}" is not a target group: add it to targetGroups or use one of ${[...groupNames].join(', ')}`,
        });
      }
    });
  });
  checkWideCidrs(config, ctx);
  checkPeople(config, ctx);
  if (config.archiveAfterDays !== undefined && config.archiveAfterDays >= config.objectLockDays) {
    ctx.addIssue({
      code: 'custom',
      path: ['archiveAfterDays'],
      message: `${config.archiveAfterDays} must be fewer than objectLockDays (${config.objectLockDays}): evidence moves to archive storage while Object Lock still protects it; lower archiveAfterDays or raise objectLockDays`,
    });
  }
  if (config.session.maxSessionDurationMinutes < config.session.idleTimeoutMinutes) {
    ctx.addIssue({
      code: 'custom',
      path: ['session', 'maxSessionDurationMinutes'],
      message: 'must not be shorter than idleTimeoutMinutes',
    });
  }
});

/** A range wider than /24 lets far more than the vendor's engineers in: only with a stated reason. */
function checkWideCidrs(config: z.output<typeof baseSchema>, ctx: z.RefinementCtx): void {
  config.vendors.forEach((vendor, v) => {
    if (vendor.allowWideCidr) return;
    vendor.allowedCidrs.forEach((cidr, c) => {
      // A private or malformed range is already reported as such.
      if (!isWideIpv4Cidr(cidr) || !isPublicIpv4Cidr(cidr)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['vendors', v, 'allowedCidrs', c],
        message: `"${cidr}" is wider than /${WIDE_CIDR_PREFIX}: list the vendor's actual egress ranges (/${WIDE_CIDR_PREFIX} or narrower), or set jitAccess.vendors[${v}].allowWideCidr to { "reason": "<why this vendor needs it>" }`,
      });
    });
  });
}

/**
 * Every person referenced exists, every identity is one person's only, and a role session names a person only if
 * the role pins session names: otherwise one person could appear as two (alice, alice2) and vote twice.
 */
function checkPeople(config: z.output<typeof baseSchema>, ctx: z.RefinementCtx): void {
  const known = new Set(Object.keys(config.people));
  const pinned = new Set(config.pinnedSessionRoles);
  const references: Array<[readonly (string | number)[], readonly string[]]> = [
    [['approvers', 'people'], config.approvers.people],
    [['admins'], config.admins],
    [['auditors'], config.auditors],
    [['breakGlass', 'people'], config.breakGlass.people],
    ...config.vendors.map((v, i): [readonly (string | number)[], readonly string[]] => [
      ['vendors', i, 'sponsors'],
      v.sponsors,
    ]),
  ];
  for (const [path, names] of references) {
    names.forEach((name, index) => {
      if (!known.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, index],
          message: `"${name}" is not in jitAccess.people: add the person with their AWS identities, or fix the name`,
        });
      }
    });
  }
  const owners = new Map<string, string>();
  for (const [person, identities] of Object.entries(config.people)) {
    identities.forEach((identity, index) => {
      const key = identityKey(identity);
      const owner = owners.get(key);
      if (owner !== undefined && owner !== person) {
        ctx.addIssue({
          code: 'custom',
          path: ['people', person, index],
          message: `${describeIdentity(identity)} is already ${owner}'s: an identity belongs to one person only`,
        });
      }
      owners.set(key, person);
      if ('roleSession' in identity && !pinned.has(identity.roleSession.role)) {
        ctx.addIssue({
          code: 'custom',
          path: ['people', person, index, 'roleSession', 'role'],
          message: `${identity.roleSession.role} does not pin session names: whoever may assume it can choose any session name and appear as two people. Add the trust condition from the README ("People") and list the role in jitAccess.pinnedSessionRoles, or name ${person} by IAM user or Identity Center user`,
        });
      }
    });
  }
  const approvers = new Set(config.approvers.people);
  if (config.approvers.minApprovals > approvers.size) {
    ctx.addIssue({
      code: 'custom',
      path: ['approvers', 'minApprovals'],
      message: `${config.approvers.minApprovals} approvals can never be reached with ${approvers.size} distinct approvers: lower minApprovals or add approvers`,
    });
    return;
  }
  // Whoever requests and also approves cannot vote on their own requests: the others must still be enough.
  const requesters: Array<[readonly (string | number)[], string]> = [
    ...config.vendors.flatMap((vendor, v) =>
      vendor.sponsors.map((sponsor, s): [readonly (string | number)[], string] => [
        ['vendors', v, 'sponsors', s],
        sponsor,
      ]),
    ),
    ...config.breakGlass.people.map((person, b): [readonly (string | number)[], string] => [
      ['breakGlass', 'people', b],
      person,
    ]),
  ];
  for (const [path, person] of requesters) {
    if (approvers.has(person) && approvers.size - 1 < config.approvers.minApprovals) {
      ctx.addIssue({
        code: 'custom',
        path: [...path],
        message: `${person} is also an approver, so only ${approvers.size - 1} others could approve their requests, fewer than minApprovals (${config.approvers.minApprovals}): add an approver or lower minApprovals`,
      });
    }
  }
}

function reportDuplicates(values: string[], path: (string | number)[], field: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, index, field],
        message: `"${value}" is used twice: each ${field} must be unique`,
      });
    }
    seen.add(value);
  });
}

export type JitAccessConfig = z.infer<typeof jitAccessConfigSchema>;
export type JitAccessConfigInput = z.input<typeof jitAccessConfigSchema>;
export type VendorConfig = z.infer<typeof vendorSchema>;
export type TargetGroupConfig = z.infer<typeof targetGroupSchema>;
export type PortRange = z.infer<typeof portRange>;
export type { Identity } from './people';
