/** The vocabulary of a grant, shared by every handler. Pure types: no AWS SDK here. */
import type { Caller } from './identity';

export const GRANT_STATUSES = [
  'PENDING',
  'APPROVED',
  'DENIED',
  'EXPIRED',
  'GRANTING',
  'ACTIVE',
  'REVOKING',
  'REVOKED',
  'FAILED',
] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export const REVOKE_REASONS = [
  'expiry',
  'kill-switch',
  'denied',
  'failure',
  'sweeper',
  'vendor-disabled',
  /** The vendor was removed from the config: the sweeper ends what it still holds. */
  'vendor-offboarded',
  'lockout',
] as const;
export type RevokeReason = (typeof REVOKE_REASONS)[number];

/** Where the hub runs: the account and region every ARN is built for. */
export interface Environment {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/** What a sponsor sends: no identity in it, who asks comes from the signed request. */
export interface RequestBody {
  readonly vendorId: string;
  /** Instance ids or target groups (prefixed "group:"). */
  readonly targets: readonly string[];
  readonly durationMinutes: number;
  /** ISO-8601 start; absent means "as soon as approved". */
  readonly startAt?: string;
  readonly ticket: string;
  readonly reason: string;
  /** Ports to open from the vendor's CIDRs; each must be one of the vendor's allowed port ranges. */
  readonly ports?: readonly PortRequest[];
  /** Access without waiting for approval, by a break-glass person; approved afterwards or the vendor is disabled. */
  readonly breakGlass?: boolean;
}

/** A request as the system keeps it: the body, its grant id, the signed requester, and what it extends. */
export interface AccessRequest extends RequestBody {
  readonly grantId: string;
  readonly requester: Caller;
  /** The active grant this request extends: same vendor, targets and ports, starting when that grant ends. */
  readonly extends?: string;
}

export interface PortRequest {
  readonly protocol: 'tcp' | 'udp';
  readonly fromPort: number;
  readonly toPort: number;
}

/** A target resolved against the inventory: either named instances or a whole tag group. */
export type ResolvedTarget =
  | { readonly kind: 'instances'; readonly targetGroup: string; readonly instanceIds: readonly string[] }
  | { readonly kind: 'group'; readonly targetGroup: string; readonly tagKey: string; readonly tagValue: string };

export interface GrantWindow {
  readonly startAt: string;
  readonly expiresAt: string;
}

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: { readonly AWS: readonly string[] };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** One temporary ingress rule: the vendor's CIDR to a port range, in a target group's JIT security group. */
export interface IngressRule {
  readonly securityGroupId: string;
  readonly protocol: 'tcp' | 'udp';
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr: string;
}

/** Everything one grant will create: what approvers see, and exactly what the grant Lambda creates. */
export interface GrantPlan {
  readonly grantId: string;
  readonly vendorId: string;
  readonly window: GrantWindow;
  readonly role: {
    readonly name: string;
    readonly path: string;
    readonly maxSessionDurationSeconds: number;
    readonly permissionsBoundaryArn: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly trustPolicy: PolicyDocument;
    readonly inlinePolicyName: string;
    readonly inlinePolicy: PolicyDocument;
  };
  readonly ingressRules: readonly IngressRule[];
  readonly schedule: {
    readonly name: string;
    readonly groupName: string;
    readonly expression: string;
  };
}

export interface HistoryEntry {
  readonly at: string;
  /** A person's name, or the part of the system that acted (workflow, grant, sweeper, expiry-schedule). */
  readonly actor: string;
  /** The signed ARN a person acted with. */
  readonly actorArn?: string;
  readonly event: string;
  readonly detail?: string;
}

/** One person's vote on a grant, for the plan they were shown. */
export interface Vote {
  readonly person: string;
  /** The signed ARN the vote came with. */
  readonly arn: string;
  readonly decision: 'approve' | 'deny';
  readonly at: string;
  /** The hash of the plan the voter saw (see plan-hash.ts). */
  readonly planHash: string;
  readonly comment?: string;
}

export const BREAK_GLASS_REVIEWS = ['PENDING', 'APPROVED', 'DENIED', 'OVERDUE'] as const;
export type BreakGlassReview = (typeof BREAK_GLASS_REVIEWS)[number];

/** What a grant created, by AWS id, as recorded in the ledger. */
export interface CreatedResources {
  readonly roleArn?: string;
  readonly inlinePolicyName?: string;
  readonly securityGroupRuleIds?: readonly string[];
  readonly scheduleArn?: string;
}

export interface Residue {
  readonly roles: readonly string[];
  readonly policies: readonly string[];
  readonly securityGroupRules: readonly string[];
  readonly schedules: readonly string[];
  readonly sessions: readonly string[];
  /** Instances where the vendor's OS user could not be shown locked (`<instance>: lock <status> (command <id>)`). */
  readonly osAccounts: readonly string[];
}

/**
 * How the stack's OS-account document ended on one instance: `pending` once the wait for it ran out, `unreachable`
 * when SSM would not send it there, `gone` when that was because the instance is terminated (nothing is left to lock).
 */
export interface OsAccountOutcome {
  readonly instanceId: string;
  readonly commandId: string;
  readonly status: 'succeeded' | 'failed' | 'pending' | 'unreachable' | 'gone';
}

/** The latest unlock or lock of the vendor's OS user on one instance, as the ledger keeps it. */
export interface OsAccountEntry {
  readonly action: 'unlock' | 'lock';
  readonly status: OsAccountOutcome['status'];
  readonly at: string;
  readonly commandId: string;
}

/** A grant ended by the lockout, and the attempts that ended it. */
export interface GrantLockout {
  readonly at: string;
  /**
   * The CloudTrail event whose attempt crossed the threshold: only a retry of that event's own run may finish a
   * lockout left half done (a later event must never lock a vendor an admin has unlocked since).
   */
  readonly eventId: string;
  /** Denied attempts of the vendor in the busiest window holding that event. */
  readonly attempts: number;
  readonly windowMinutes: number;
  /** When the grant was revoked, the vendor locked and approvers notified: nothing is done for it again. */
  readonly completedAt?: string;
}

/** The ledger's record of one grant. */
export interface GrantRecord {
  readonly grantId: string;
  readonly status: GrantStatus;
  readonly request: AccessRequest;
  readonly targets: readonly ResolvedTarget[];
  /** The plan: as approvers were sent it, then (from GRANTING on) with the window fixed at grant time. */
  readonly plan: GrantPlan;
  /** Once the window is fixed: the plan approvers were sent, kept so that a retried grant is checked against it. */
  readonly approvedPlan?: GrantPlan;
  /** The hash of the plan approvers were sent; each vote records the hash it approved. */
  readonly planHash: string;
  /** The people whose approvals made the grant APPROVED (or, for break-glass, approved it afterwards). */
  readonly approvals: readonly string[];
  /** A break-glass grant: granted without waiting, reviewed by approvers before `reviewBy`. */
  readonly breakGlass?: { readonly reviewBy: string; readonly review: BreakGlassReview };
  readonly created: CreatedResources;
  readonly history: readonly HistoryEntry[];
  readonly expiresAt?: string;
  readonly residueCheck?: { readonly checkedAt: string; readonly residue: Residue };
  /** The vendor's OS user on each granted instance: unlocked at grant, locked at revoke. */
  readonly osAccount?: Readonly<Record<string, OsAccountEntry>>;
  /**
   * Every lock of the OS user the revoke sent for this grant: SSM's status-change events of these commands, and only
   * these, are recorded in `osAccount` (lambdas/lifecycle/os-account-results.ts).
   */
  readonly lockCommandIds?: readonly string[];
  readonly revokeReason?: RevokeReason;
  /** Set when denied attempts crossed the lockout threshold: the grant was revoked and its vendor locked. */
  readonly lockout?: GrantLockout;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Grant ids name the role `jit-<grantId>` (64 characters at most) and the execution; lower-case keeps them portable. */
export const GRANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{5,47}$/;
