import { randomUUID } from 'node:crypto';

/**
 * CloudTrail records of API calls, shaped as EventBridge delivers them to a rule's target ("AWS API Call via
 * CloudTrail"), for the calls the lockout counts. moto has no CloudTrail: the demo and the tests play these instead.
 */

/** Where the record is from: the stack's account, region and partition. */
export interface CloudTrailAccount {
  readonly accountId: string;
  readonly region: string;
  readonly partition?: string;
}

export interface DeniedCallInput extends CloudTrailAccount {
  /** The role the session is of: its full ARN, path included (CloudTrail's `sessionIssuer.arn`). */
  readonly roleArn: string;
  readonly at: Date | string;
  /** @default ssm.amazonaws.com */
  readonly eventSource?: string;
  /** @default StartSession */
  readonly eventName?: string;
  /** @default AccessDeniedException */
  readonly errorCode?: string;
  /** @default 203.0.113.10 */
  readonly sourceIp?: string;
  /** @default vendor-engineer */
  readonly sessionName?: string;
  /** @default a fresh UUID */
  readonly eventId?: string;
}

export interface FailedAssumeRoleInput extends CloudTrailAccount {
  /** The role ARN the caller asked for, as the caller spelled it. */
  readonly roleArn: string;
  /** The account of the principal that called AssumeRole (a cross-account caller is recorded by account). */
  readonly callerAccountId: string;
  readonly at: Date | string;
  /** @default AccessDenied */
  readonly errorCode?: string;
  /** @default 203.0.113.10 */
  readonly sourceIp?: string;
  /** @default a fresh UUID */
  readonly eventId?: string;
}

/** What EventBridge delivers for one CloudTrail record. */
export interface CloudTrailEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'AWS API Call via CloudTrail';
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** CloudTrail writes `eventTime` to the second, without milliseconds. */
function cloudTrailTime(at: Date | string): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function envelope(
  account: CloudTrailAccount,
  eventSource: string,
  at: Date | string,
  detail: Record<string, unknown>,
): CloudTrailEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`,
    account: account.accountId,
    time: cloudTrailTime(at),
    region: account.region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      eventTime: cloudTrailTime(at),
      eventSource,
      awsRegion: account.region,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account.accountId,
      eventCategory: 'Management',
      ...detail,
    },
  };
}

/** A call the session of a role (a grant role, or any other) was refused. */
export function deniedCallEvent(input: DeniedCallInput): CloudTrailEvent {
  const partition = input.partition ?? 'aws';
  const roleName = input.roleArn.split('/').pop() ?? '';
  const sessionName = input.sessionName ?? 'vendor-engineer';
  const eventSource = input.eventSource ?? 'ssm.amazonaws.com';
  const errorCode = input.errorCode ?? 'AccessDeniedException';
  return envelope(input, eventSource, input.at, {
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE${roleName.length}:${sessionName}`,
      arn: `arn:${partition}:sts::${input.accountId}:assumed-role/${roleName}/${sessionName}`,
      accountId: input.accountId,
      accessKeyId: 'ASIAEXAMPLE',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROAEXAMPLE${roleName.length}`,
          arn: input.roleArn,
          accountId: input.accountId,
          userName: roleName,
        },
        attributes: { creationDate: cloudTrailTime(input.at), mfaAuthenticated: 'false' },
      },
    },
    eventName: input.eventName ?? 'StartSession',
    sourceIPAddress: input.sourceIp ?? '203.0.113.10',
    userAgent: 'aws-cli/2.17.0',
    errorCode,
    errorMessage: `User is not authorized to perform this operation (${errorCode})`,
    requestParameters: null,
    responseElements: null,
    requestID: randomUUID(),
    eventID: input.eventId ?? randomUUID(),
  });
}

/** An `sts:AssumeRole` of a role that failed, as the role's account records it (the caller is another account). */
export function failedAssumeRoleEvent(input: FailedAssumeRoleInput): CloudTrailEvent {
  return envelope(input, 'sts.amazonaws.com', input.at, {
    userIdentity: { type: 'AWSAccount', principalId: 'AIDAEXAMPLECALLER', accountId: input.callerAccountId },
    eventName: 'AssumeRole',
    sourceIPAddress: input.sourceIp ?? '203.0.113.10',
    userAgent: 'aws-cli/2.17.0',
    errorCode: input.errorCode ?? 'AccessDenied',
    errorMessage: `User is not authorized to perform: sts:AssumeRole on resource: ${input.roleArn}`,
    requestParameters: { roleArn: input.roleArn, roleSessionName: 'vendor-engineer', durationSeconds: 3600 },
    responseElements: null,
    requestID: randomUUID(),
    eventID: input.eventId ?? randomUUID(),
    resources: [{ accountId: input.accountId, type: 'AWS::IAM::Role', ARN: input.roleArn }],
  });
}
