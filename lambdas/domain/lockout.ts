/**
 * Lockout after repeated denied attempts: which CloudTrail records count against a grant, and when the count crosses
 * the threshold. Pure: the lifecycle step reads and writes the ledger. A CloudTrail record is a claim about a grant,
 * never a fact: the grant id comes only from a role name under the stack's path, and the ledger decides the rest.
 */
import { quoted } from './messages';
import { GRANT_ID_PATTERN } from './types';

/** Who acts when the lockout revokes a grant and locks its vendor: in the grant's history and the vendor's state. */
export const LOCKOUT_ACTOR = 'system:lockout';

/** The detail-type EventBridge gives every CloudTrail record of an API call. */
export const CLOUDTRAIL_API_CALL = 'AWS API Call via CloudTrail';

/**
 * Error codes of a refused call: IAM's own (`AccessDenied`, `AccessDeniedException`) and EC2's
 * (`UnauthorizedOperation`, recorded as `Client.UnauthorizedOperation`). Throttling or a bad parameter is no attempt.
 */
export const DENIED_ERROR_CODES = ['AccessDenied', 'AccessDeniedException'] as const;
export const DENIED_ERROR_SUFFIX = 'UnauthorizedOperation';

export function isDenial(errorCode: string | undefined): boolean {
  if (errorCode === undefined) return false;
  return (DENIED_ERROR_CODES as readonly string[]).includes(errorCode) || errorCode.endsWith(DENIED_ERROR_SUFFIX);
}

/** A CloudTrail record of an API call as EventBridge delivers it: only the fields the lockout reads. */
export interface CloudTrailApiCall {
  readonly source: string;
  readonly 'detail-type': string;
  readonly account: string;
  readonly detail: {
    readonly eventID: string;
    readonly eventTime: string;
    readonly eventSource: string;
    readonly eventName: string;
    readonly errorCode?: string;
    readonly sourceIPAddress?: string;
    readonly userIdentity: {
      readonly type?: string;
      readonly arn?: string;
      readonly accountId?: string;
      readonly sessionContext?: { readonly sessionIssuer?: { readonly type?: string; readonly arn?: string } };
    };
    /** Null in CloudTrail for calls without parameters. */
    readonly requestParameters?: { readonly roleArn?: unknown } | null;
  };
}

/** Where grant roles live: only a role `jit-<grantId>` directly under this path of this account is a grant's. */
export interface GrantRoleScope {
  readonly accountId: string;
  readonly partition: string;
  readonly iamPath: string;
}

/** One denied call by a grant role's session, or one failed AssumeRole of a grant role, as the ledger keeps it. */
export interface DeniedAttempt {
  /** CloudTrail's `eventID`: a redelivered record is the same attempt, counted once. */
  readonly eventId: string;
  /** When the call was made (CloudTrail's `eventTime`, as ISO-8601 with milliseconds). */
  readonly at: string;
  readonly grantId: string;
  readonly vendorId: string;
  /** `<service>:<action>`, e.g. `ssm:StartSession`, `sts:AssumeRole`. */
  readonly action: string;
  readonly errorCode: string;
  /** Who called: the grant role's session ARN, or the principal (or account) that failed to assume the role. */
  readonly caller: string;
  readonly sourceIp?: string;
}

/** What a CloudTrail record claims: an attempt against a grant, or why it is no such attempt. */
export type AttemptClaim =
  | {
      readonly counts: true;
      readonly kind: 'denied-call' | 'failed-assume-role';
      readonly attempt: Omit<DeniedAttempt, 'vendorId'>;
      /** The account the caller belongs to (a failed AssumeRole counts only from the vendor's own accounts). */
      readonly callerAccount?: string;
    }
  | { readonly counts: false; readonly why: string };

const ignored = (why: string): AttemptClaim => ({ counts: false, why });

/**
 * The grant id of a role ARN, if the role is a grant role: `arn:<partition>:iam::<account>:role<iamPath>jit-<grantId>`
 * exactly, with a well-formed grant id (no deeper path, so `/jit-access/jit-x/Admin` is no grant's). A caller may
 * spell a role name in another case in AssumeRole (IAM role names are case-insensitive): `caseInsensitiveName` maps
 * it to the grant's lower-case id.
 */
export function grantIdOfRoleArn(
  roleArn: string,
  scope: GrantRoleScope,
  options: { readonly caseInsensitiveName?: boolean } = {},
): string | undefined {
  const prefix = `arn:${scope.partition}:iam::${scope.accountId}:role${scope.iamPath}jit-`;
  if (!roleArn.startsWith(prefix)) return undefined;
  const rest = roleArn.slice(prefix.length);
  const grantId = options.caseInsensitiveName ? rest.toLowerCase() : rest;
  return GRANT_ID_PATTERN.test(grantId) ? grantId : undefined;
}

/** `ssm.amazonaws.com` + `StartSession` → `ssm:StartSession`. */
function actionOf(eventSource: string, eventName: string): string {
  return `${eventSource.replace(/\.amazonaws\.com$/, '')}:${eventName}`;
}

/**
 * Reads a CloudTrail record as a claim of an attempt against a grant. It counts only if it is an AWS service's
 * record (EventBridge refuses `aws.*` sources from PutEvents) of this account, its error is a denial, and either its
 * caller is a session of a grant role (a denied call) or it is a failed `sts:AssumeRole` of a grant role. Anything
 * else (a role outside the path, a nested path, a role not named `jit-<id>`, another account) is no attempt.
 */
export function claimOf(event: CloudTrailApiCall, scope: GrantRoleScope): AttemptClaim {
  const { detail } = event;
  if (!event.source.startsWith('aws.')) return ignored(`source ${quoted(event.source)} is not an AWS service`);
  if (event['detail-type'] !== CLOUDTRAIL_API_CALL) return ignored(`${quoted(event['detail-type'])} is no API call`);
  if (event.account !== scope.accountId) return ignored(`the record is of account ${event.account}`);
  if (!isDenial(detail.errorCode)) return ignored(`error ${quoted(detail.errorCode ?? 'none')} is not a denial`);
  const time = Date.parse(detail.eventTime);
  if (Number.isNaN(time)) return ignored(`eventTime ${quoted(detail.eventTime)} is not a time`);

  const base = {
    eventId: detail.eventID,
    at: new Date(time).toISOString(),
    action: actionOf(detail.eventSource, detail.eventName),
    errorCode: detail.errorCode as string,
    ...(detail.sourceIPAddress ? { sourceIp: detail.sourceIPAddress } : {}),
  };
  const identity = detail.userIdentity;
  const issuer = identity.sessionContext?.sessionIssuer?.arn;
  if (identity.type === 'AssumedRole' && issuer !== undefined) {
    const grantId = grantIdOfRoleArn(issuer, scope);
    if (grantId) {
      // The session ARN names the role without its path; it must name the same role as the issuer.
      const sessionPrefix = `arn:${scope.partition}:sts::${scope.accountId}:assumed-role/jit-${grantId}/`;
      if (!identity.arn?.startsWith(sessionPrefix))
        return ignored(`session ${quoted(identity.arn ?? '')} is not of ${issuer}`);
      return { counts: true, kind: 'denied-call', attempt: { ...base, grantId, caller: identity.arn } };
    }
  }
  const roleArn = detail.requestParameters?.roleArn;
  if (detail.eventSource === 'sts.amazonaws.com' && detail.eventName === 'AssumeRole' && typeof roleArn === 'string') {
    const grantId = grantIdOfRoleArn(roleArn, scope, { caseInsensitiveName: true });
    if (!grantId) return ignored(`role ${quoted(roleArn)} is not a grant role under ${scope.iamPath}`);
    const caller = identity.arn ?? (identity.accountId ? `account ${identity.accountId}` : 'unknown');
    return {
      counts: true,
      kind: 'failed-assume-role',
      attempt: { ...base, grantId, caller },
      ...(identity.accountId ? { callerAccount: identity.accountId } : {}),
    };
  }
  return ignored(
    `the caller ${quoted(issuer ?? identity.arn ?? 'unknown')} is not a grant role under ${scope.iamPath}`,
  );
}

/** The accounts of a vendor's principals (`arn:aws:iam::<account>:…`): only they can ever assume its grant roles. */
export function principalAccounts(principals: readonly string[]): Set<string> {
  return new Set(principals.map((arn) => arn.split(':')[4] ?? '').filter((account) => account !== ''));
}

/**
 * The most attempts a window of `windowMs` holding `at` contains. Windows are half-open (`[start, start + windowMs)`),
 * so with a 15-minute window, attempts 15 minutes apart are never in the same one. Instants are ISO-8601 strings.
 */
export function attemptsInBusiestWindow(instants: readonly string[], at: string, windowMs: number): number {
  const times = instants.map((instant) => Date.parse(instant));
  const anchor = Date.parse(at);
  let busiest = 0;
  for (const start of times) {
    if (start > anchor || start <= anchor - windowMs) continue;
    const inWindow = times.filter((time) => time >= start && time < start + windowMs).length;
    busiest = Math.max(busiest, inWindow);
  }
  return busiest;
}

/** Why the vendor was locked, as its run-time state records it. */
export function lockoutReason(grantId: string, attempts: number, windowMinutes: number): string {
  return `lockout: ${attempts} denied attempts within ${windowMinutes} minutes (grant ${grantId})`;
}

export interface LockoutNotice {
  readonly vendorId: string;
  readonly grantId: string;
  readonly threshold: number;
  readonly windowMinutes: number;
  /** The vendor's attempts in the busiest window: what crossed the threshold. */
  readonly attempts: number;
  /** The vendor's recorded attempts around it, oldest first. */
  readonly recent: readonly DeniedAttempt[];
  readonly revokedGrants: readonly string[];
}

/** What approvers and on-call read: what was refused, from where, what was done, and how to undo it. */
export function lockoutMessage(notice: LockoutNotice): string {
  const { vendorId, grantId, threshold, windowMinutes } = notice;
  const recent = [...notice.recent].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return [
    `LOCKOUT: vendor ${vendorId} made ${notice.attempts} denied attempts within ${windowMinutes} minutes (threshold ${threshold}).`,
    `Grant ${grantId} was revoked and vendor ${vendorId} is locked: no request is accepted and no grant made.`,
    `Grants revoked: ${[grantId, ...notice.revokedGrants.filter((id) => id !== grantId)].join(', ')}`,
    `Attempts recorded (CloudTrail):`,
    ...recent.map(
      (a) =>
        `  - ${a.at}  ${a.action}  ${a.errorCode}  grant ${a.grantId}  from ${a.sourceIp ?? 'unknown'}  by ${quoted(a.caller)}  (event ${a.eventId})`,
    ),
    ``,
    `Look into the attempts in CloudTrail (event ids above). Once resolved, an admin unlocks the vendor:`,
    `  jit-access vendor unlock ${vendorId} --reason "..."`,
  ].join('\n');
}
