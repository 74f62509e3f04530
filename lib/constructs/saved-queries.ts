import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AUDIT_EVENTS } from '../../lambdas/shared/audit-log';
import type { VendorConfig } from '../config/schema';
import { stackResourceName } from './naming';

/**
 * The fields of each event Session Manager streams to CloudWatch Logs (one log stream per session, named after the
 * session id): `{"eventVersion", "eventTime", "awsRegion", "target": {"id"}, "userIdentity": {"arn"}, "runAsUser",
 * "sessionId", "sessionData": [...]}`. Logs Insights flattens nested keys with dots.
 */
export const SESSION_STREAM_FIELDS = [
  'eventVersion',
  'eventTime',
  'awsRegion',
  'target.id',
  'userIdentity.arn',
  'runAsUser',
  'sessionId',
  'sessionData',
] as const;

/** The fields of a CloudTrail record (as the trail sends it to CloudWatch Logs) that the trail's query reads. */
export const CLOUDTRAIL_FIELDS = [
  'eventTime',
  'eventSource',
  'eventName',
  'errorCode',
  'errorMessage',
  'sourceIPAddress',
  'userIdentity.arn',
  'userIdentity.sessionContext.sessionIssuer.userName',
  'requestParameters.roleArn',
] as const;

/** Grant roles are named `jit-<grantId>`: a session's grant is in the role of its `userIdentity.arn`. */
const GRANT_FROM_ROLE = 'userIdentity.arn /assumed-role\\/jit-(?<grantId>[^\\/]+)\\//';

/** Logs Insights filter for one audit event's lines (Powertools writes the message under `message`). */
const auditEvent = (event: keyof typeof AUDIT_EVENTS) => `message = "${AUDIT_EVENTS[event].message}"`;

/** Which of the stack's log groups a query reads. */
export type QuerySource = 'sessions' | 'functions' | 'trail';

export interface SavedQuery {
  /** Shown under the stack's folder in the Logs Insights console. */
  readonly name: string;
  readonly source: QuerySource;
  readonly query: logs.QueryStringProps;
}

/** A regular expression literal for Logs Insights that matches `text` anywhere. */
const containing = (text: string) => `/${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/`;

/**
 * The saved queries of the stack (for auditors, see README "Auditing"): one "commands by vendor" query per vendor, and
 * the CloudTrail query when the stack has its own trail (`grantRolePath` is the config's `iamPath`).
 */
export function savedQueries(
  vendors: readonly Pick<VendorConfig, 'id' | 'osUser'>[],
  options: { readonly withTrail: boolean; readonly grantRolePath: string },
): SavedQuery[] {
  const trailQueries: SavedQuery[] = [
    {
      name: 'denied calls by grant roles (CloudTrail)',
      source: 'trail',
      query: {
        fields: ['@timestamp', 'eventSource', 'eventName', 'errorCode', 'userIdentity.arn', 'sourceIPAddress'],
        // Calls a grant role's session made and was refused, and refused AssumeRole of a grant role.
        filterStatements: [
          'ispresent(errorCode)',
          `userIdentity.sessionContext.sessionIssuer.userName like /^jit-/ or requestParameters.roleArn like ${containing(`:role${options.grantRolePath}jit-`)}`,
        ],
        sort: '@timestamp desc',
      },
    },
  ];
  return [
    {
      name: 'sessions by grant',
      source: 'sessions',
      query: {
        parseStatements: [GRANT_FROM_ROLE],
        statsStatements: [
          'earliest(@timestamp) as started, latest(@timestamp) as lastOutput, count(*) as events by grantId, sessionId, target.id, runAsUser',
        ],
        sort: 'started desc',
      },
    },
    ...vendors.map((vendor): SavedQuery => ({
      name: `commands by vendor ${vendor.id}`,
      source: 'sessions',
      query: {
        fields: ['@timestamp', 'target.id', 'sessionId', '@message'],
        parseStatements: [GRANT_FROM_ROLE],
        // Sessions of a vendor run as its OS user (the grant role's SSMSessionRunAs tag).
        filterStatements: [`runAsUser = "${vendor.osUser}"`],
        sort: '@timestamp asc',
        display: '@timestamp, grantId, target.id, sessionId, @message',
      },
    })),
    {
      name: 'denied attempts by grant role',
      source: 'functions',
      query: {
        filterStatements: [auditEvent('deniedAttempt')],
        statsStatements: [
          'count(*) as denied, earliest(@timestamp) as first, latest(@timestamp) as last, max(attempts) as mostInWindow by grantId, vendorId, action, errorCode, caller',
        ],
        sort: 'last desc',
      },
    },
    {
      name: 'grants by approver',
      source: 'functions',
      query: {
        fields: ['@timestamp', 'approver', 'decision', 'grantId', 'vendorId', 'breakGlass'],
        filterStatements: [auditEvent('voteRecorded')],
        sort: '@timestamp desc',
      },
    },
    {
      name: 'break-glass grants',
      source: 'functions',
      query: {
        fields: ['@timestamp', 'grantId', 'vendorId', 'requester', 'ticket', 'breakGlass'],
        // Powertools writes the boolean as JSON `true`: matched in the raw line, whatever type Logs Insights infers.
        filterStatements: [auditEvent('grantRequested'), `@message like '"breakGlass":true'`],
        sort: '@timestamp desc',
      },
    },
    {
      name: 'teardown duration',
      source: 'functions',
      query: {
        filterStatements: [auditEvent('revokeFinished')],
        statsStatements: [
          'count(*) as revokes, avg(teardownSeconds) as avgTeardown, max(teardownSeconds) as maxTeardown, pct(secondsAfterExpiry, 95) as p95AfterExpiry, max(secondsAfterExpiry) as maxAfterExpiry by reason, clean',
        ],
        sort: 'maxTeardown desc',
      },
    },
    ...(options.withTrail ? trailQueries : []),
  ];
}

export interface SavedQueriesProps {
  /** Vendors (id and OS user): each gets a "commands by vendor" query. */
  readonly vendors: readonly Pick<VendorConfig, 'id' | 'osUser'>[];
  /** The session log group Session Manager streams to. */
  readonly sessionLogGroup: logs.ILogGroup;
  /** The log groups of every function that writes audit lines (lifecycle, API, lockout). */
  readonly functionLogGroups: readonly logs.ILogGroup[];
  /** The IAM path of grant roles (the config's `iamPath`). */
  readonly grantRolePath: string;
  /**
   * The stack's own trail's log group, when `cloudTrail.create` is on.
   * @default none: no CloudTrail query (query the organization trail, see README)
   */
  readonly trailLogGroup?: logs.ILogGroup;
}

/** The CloudWatch Logs Insights saved queries auditors start from, in a folder named after the stack. */
export class SavedQueries extends Construct {
  public readonly definitions: readonly logs.QueryDefinition[];

  constructor(scope: Construct, id: string, props: SavedQueriesProps) {
    super(scope, id);
    if (props.functionLogGroups.length === 0 || props.functionLogGroups.length > 50) {
      throw new Error(
        `${this.node.path}: functionLogGroups must hold 1-50 log groups (a saved query reads at most 50), got ${props.functionLogGroups.length}`,
      );
    }
    const folder = stackResourceName(this, 'audit');
    const { trailLogGroup } = props;
    const logGroupsOf: Record<QuerySource, logs.ILogGroup[]> = {
      sessions: [props.sessionLogGroup],
      functions: [...props.functionLogGroups],
      trail: trailLogGroup ? [trailLogGroup] : [],
    };
    const queries = savedQueries(props.vendors, { withTrail: !!trailLogGroup, grantRolePath: props.grantRolePath });
    this.definitions = queries.map(
      (saved) =>
        new logs.QueryDefinition(this, saved.name.replace(/[^A-Za-z0-9]+/g, '-'), {
          queryDefinitionName: `${folder}/${saved.name}`,
          queryString: new logs.QueryString(saved.query),
          logGroups: logGroupsOf[saved.source],
        }),
    );
  }
}
