import { randomUUID } from 'node:crypto';
import type { CloudTrailHistory, LookupAttribute, LookupResult } from '../../lambdas/adapters/cloudtrail';
import type { CloudTrailRecord } from '../../lambdas/domain/audit-report';

/** CloudTrail writes `eventTime` to the second. */
function cloudTrailTime(at: Date | string): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * TEST DOUBLE of CloudTrail's event history. moto's server does not answer `LookupEvents`, so local runs record the
 * calls of the vendor's grant role here (its AssumeRole, its sessions' calls, refused ones included) and the audit
 * looks them up behind the cloudtrail adapter's interface, matched as LookupEvents matches: `ResourceName` against
 * a record's resources, `Username` against its user name, within the time range, newest first.
 */
export class InMemoryCloudTrailHistoryDouble implements CloudTrailHistory {
  readonly records: CloudTrailRecord[] = [];
  readonly lookups: { readonly attribute: LookupAttribute; readonly from: string; readonly to: string }[] = [];
  /** Set to make every lookup fail (CloudTrail throttling, a missing permission). */
  failWith?: Error;

  /**
   * @param record told of each lookup, so local runs count the double's calls with the real AWS ones; it throws to
   *   fail the call when a fault is injected
   */
  constructor(private readonly record: (call: 'cloudtrail:LookupEvents') => void = () => undefined) {}

  async lookup(attribute: LookupAttribute, from: string, to: string, maxEvents: number): Promise<LookupResult> {
    this.record('cloudtrail:LookupEvents');
    this.lookups.push({ attribute, from, to });
    if (this.failWith) throw this.failWith;
    const matching = this.records
      .filter((r) => Date.parse(r.eventTime) >= Date.parse(from) && Date.parse(r.eventTime) <= Date.parse(to))
      .filter((r) =>
        attribute.key === 'ResourceName'
          ? r.resources.some((resource) => resource.name === attribute.value)
          : r.username === attribute.value,
      )
      .sort((a, b) => (a.eventTime < b.eventTime ? 1 : a.eventTime > b.eventTime ? -1 : 0));
    return { events: matching.slice(0, maxEvents), truncated: matching.length > maxEvents };
  }

  /** The vendor assumed the grant role: CloudTrail names the role as the event's resource. */
  assumedRole(input: {
    readonly roleArn: string;
    readonly sessionName: string;
    readonly callerArn: string;
    readonly at: Date | string;
    readonly sourceIp?: string;
    readonly errorCode?: string;
  }): CloudTrailRecord {
    const roleName = input.roleArn.split('/').pop() ?? '';
    const eventId = randomUUID();
    return this.add({
      eventId,
      eventTime: cloudTrailTime(input.at),
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      resources: [{ type: 'AWS::IAM::Role', name: roleName }],
      cloudTrailEvent: JSON.stringify({
        eventVersion: '1.09',
        eventID: eventId,
        eventTime: cloudTrailTime(input.at),
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        userIdentity: { type: 'AWSAccount', arn: input.callerArn, accountId: input.callerArn.split(':')[4] },
        sourceIPAddress: input.sourceIp ?? '203.0.113.10',
        requestParameters: { roleArn: input.roleArn, roleSessionName: input.sessionName },
        responseElements: input.errorCode
          ? null
          : { assumedRoleUser: { arn: `assumed-role/${roleName}/${input.sessionName}` } },
        ...(input.errorCode ? { errorCode: input.errorCode } : {}),
      }),
    });
  }

  /** A call made by a session of the grant role: CloudTrail's user name is the session name. */
  sessionCall(input: {
    readonly roleArn: string;
    readonly sessionName: string;
    readonly at: Date | string;
    readonly eventSource: string;
    readonly eventName: string;
    readonly requestParameters?: Record<string, unknown>;
    readonly responseElements?: Record<string, unknown>;
    readonly errorCode?: string;
    readonly sourceIp?: string;
  }): CloudTrailRecord {
    const roleName = input.roleArn.split('/').pop() ?? '';
    const account = input.roleArn.split(':')[4] ?? '';
    const eventId = randomUUID();
    return this.add({
      eventId,
      eventTime: cloudTrailTime(input.at),
      eventSource: input.eventSource,
      eventName: input.eventName,
      username: input.sessionName,
      resources: [],
      cloudTrailEvent: JSON.stringify({
        eventVersion: '1.09',
        eventID: eventId,
        eventTime: cloudTrailTime(input.at),
        eventSource: input.eventSource,
        eventName: input.eventName,
        userIdentity: {
          type: 'AssumedRole',
          arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${input.sessionName}`,
          accountId: account,
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: input.roleArn, accountId: account, userName: roleName },
          },
        },
        sourceIPAddress: input.sourceIp ?? '203.0.113.10',
        requestParameters: input.requestParameters ?? null,
        responseElements: input.responseElements ?? null,
        ...(input.errorCode ? { errorCode: input.errorCode } : {}),
      }),
    });
  }

  add(record: CloudTrailRecord): CloudTrailRecord {
    this.records.push(record);
    return record;
  }
}
