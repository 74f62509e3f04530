import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AUDIT_EVENTS } from '../../lambdas/shared/audit-log';
import { AuditTrail } from '../../lib/constructs/audit-trail';
import { CLOUDTRAIL_FIELDS, SESSION_STREAM_FIELDS } from '../../lib/constructs/saved-queries';
import { exampleConfig } from '../helpers/config-fixture';
import { scratchApp } from '../helpers/scratch-app';
import { onlyLogicalId, synthTemplate } from '../helpers/synth-stack';

const template: Template = synthTemplate();
/** The example with its own trail, longer retention and an archive transition: the one more synth this file needs. */
const withTrail: Template = synthTemplate(
  exampleConfig((raw) => {
    raw.cloudTrail = { create: true };
    raw.logRetentionDays = 731;
    raw.objectLockDays = 400;
    raw.archiveAfterDays = 90;
    raw.archiveStorageClass = 'DEEP_ARCHIVE';
  }),
);
const STACK = 'JitAccess';

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

const resourcesOf = (t: Template, type: string) =>
  Object.entries(t.findResources(type) as Record<string, Resource>).map(([id, r]) => ({ id, ...r }));

/** Saved queries by name (without the stack's folder), with their query and log group names. */
function savedQueries(t: Template): Map<string, { readonly query: string; readonly logGroups: string[] }> {
  const logGroupName = (ref: unknown): string => {
    const id = (ref as { Ref: string }).Ref;
    return (t.toJSON().Resources[id] as Resource).Properties.LogGroupName as string;
  };
  return new Map(
    resourcesOf(t, 'AWS::Logs::QueryDefinition').map((q) => [
      (q.Properties.Name as string).replace(`${STACK}-audit/`, ''),
      {
        query: q.Properties.QueryString as string,
        logGroups: (q.Properties.LogGroupNames as unknown[]).map(logGroupName),
      },
    ]),
  );
}

const KEYWORDS = new Set(
  ['fields', 'filter', 'stats', 'sort', 'parse', 'display', 'limit', 'by', 'as', 'and', 'or', 'not'].concat([
    'asc',
    'desc',
    'like',
    'in',
  ]),
);
const BUILT_IN_FIELDS = new Set(['@timestamp', '@message', '@logStream', '@log', '@ingestionTime']);

/**
 * The log fields a Logs Insights query reads: every identifier outside string and regex literals that is not a
 * keyword, a function (followed by `(`), a name the query defines (`as x`, `(?<x>…)` in a parse), or a built-in field.
 */
export function fieldsReadBy(query: string): string[] {
  const defined = new Set([...query.matchAll(/\(\?<(\w+)>/g)].map((m) => m[1]!));
  const code = query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ').replace(/\/(?:[^/\\\n]|\\.)+\//g, ' ');
  for (const m of code.matchAll(/\bas\s+([A-Za-z_]\w*)/g)) defined.add(m[1]!);
  const identifiers = [...code.matchAll(/@?[A-Za-z_]\w*(?:\.\w+)*(?![\w.])(?!\s*\()/g)].map((m) => m[0]);
  return [...new Set(identifiers)].filter(
    (name) => !KEYWORDS.has(name) && !defined.has(name) && !BUILT_IN_FIELDS.has(name),
  );
}

/** Every metric name published with `metrics.addMetric('<name>', …)` somewhere under lambdas/. */
function emittedMetrics(): Set<string> {
  const root = path.join(__dirname, '..', '..', 'lambdas');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const source = files.map((f) => readFileSync(path.join(root, f), 'utf8')).join('\n');
  // The name argument may choose between names (`clean ? 'GrantsRevoked' : 'RevokesIncomplete'`): each counts.
  const nameArguments = [...source.matchAll(/addMetric\(([^,]+),/g)].map((m) => m[1]!);
  return new Set(nameArguments.flatMap((argument) => [...argument.matchAll(/'(\w+)'/g)].map((m) => m[1]!)));
}

/** The JitAccess metric names the dashboard and the alarms of a template use. */
function metricsUsed(t: Template): { readonly dashboard: Set<string>; readonly alarms: Set<string> } {
  const body = JSON.stringify(resourcesOf(t, 'AWS::CloudWatch::Dashboard').map((d) => d.Properties.DashboardBody));
  const dashboard = new Set([...body.matchAll(/\\"JitAccess\\",\\"(\w+)\\"/g)].map((m) => m[1]!));
  const alarms = new Set(
    resourcesOf(t, 'AWS::CloudWatch::Alarm')
      .filter((a) => a.Properties.Namespace === 'JitAccess')
      .map((a) => a.Properties.MetricName as string),
  );
  return { dashboard, alarms };
}

describe('the query field reader used below', () => {
  test('finds the fields a query reads, and not its keywords, functions, aliases, literals or parse captures', () => {
    // Act
    const fields = fieldsReadBy(
      'fields @timestamp, a.b | parse c /x(?<d>\\w+)\\// | filter e = "f g" and h like /i/ | stats count(*) as j by d, k | sort j desc',
    );

    // Assess
    expect(fields.sort()).toEqual(['a.b', 'c', 'e', 'h', 'k']);
  });
});

describe('saved Logs Insights queries', () => {
  const queries = savedQueries(template);

  test('include every query the auditor section names, and one command query per vendor', () => {
    // Assess
    expect([...queries.keys()].sort()).toEqual(
      [
        'sessions by grant',
        'commands by vendor acme',
        'commands by vendor globex',
        'denied attempts by grant role',
        'grants by approver',
        'break-glass grants',
        'teardown duration',
      ].sort(),
    );
  });

  test('session queries read the session log group and only fields Session Manager streams', () => {
    // Prepare
    const sessionQueries = [...queries.entries()].filter(([name]) => /^(sessions|commands) by/.test(name));

    // Assess
    expect(sessionQueries).toHaveLength(3);
    for (const [, { query, logGroups }] of sessionQueries) {
      expect(logGroups).toEqual([`/jit-access/${STACK}/sessions`]);
      expect(SESSION_STREAM_FIELDS).toEqual(expect.arrayContaining(fieldsReadBy(query)));
    }
    expect(queries.get('commands by vendor acme')?.query).toContain('filter runAsUser = "acme-support"');
  });

  test.each([
    ['denied attempts by grant role', 'deniedAttempt', ['lockout']],
    ['grants by approver', 'voteRecorded', ['api-decide']],
    ['break-glass grants', 'grantRequested', ['request-approval']],
    ['teardown duration', 'revokeFinished', ['revoke', 'sweeper', 'api-decide', 'grant', 'lockout']],
  ] as const)(
    '"%s" reads the %s audit lines, only their fields, from the functions that write them',
    (name, event, writers) => {
      // Prepare
      const saved = queries.get(name)!;

      // Act
      const fields = fieldsReadBy(saved.query);

      // Assess
      expect(saved.query).toContain(`message = "${AUDIT_EVENTS[event].message}"`);
      expect(['message', ...AUDIT_EVENTS[event].fields]).toEqual(expect.arrayContaining(fields));
      expect(fields.length).toBeGreaterThan(1);
      expect(saved.logGroups).toEqual(
        expect.arrayContaining(writers.map((fn) => `/jit-access/${STACK}/ops/lambda/${fn}`)),
      );
    },
  );

  test('with the stack trail, a CloudTrail query of denied calls by grant roles reads only CloudTrail fields', () => {
    // Prepare
    const trailQuery = savedQueries(withTrail).get('denied calls by grant roles (CloudTrail)');

    // Assess
    expect(queries.has('denied calls by grant roles (CloudTrail)')).toBe(false);
    expect(trailQuery?.logGroups).toEqual([`/jit-access/${STACK}/trail`]);
    expect(CLOUDTRAIL_FIELDS).toEqual(expect.arrayContaining(fieldsReadBy(trailQuery!.query)));
    expect(trailQuery?.query).toContain('requestParameters.roleArn like /:role\\/jit-access\\/jit-/');
  });
});

describe('alarms to the notification topic', () => {
  const topicId = onlyLogicalId(template, 'AWS::SNS::Topic');

  test.each([
    ['revoke failure', 'RevokesIncomplete'],
    ['break-glass used', 'BreakGlassGrants'],
    ['lockout', 'VendorLockouts'],
    ['sweeper found residue', 'SweeperOrphansFound'],
    ['snapshot failure', 'SnapshotFailed'],
  ])('%s alarms on one %s and notifies the topic', (_what, metric) => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'JitAccess',
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: 'jit-access' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  test('each dead-letter queue not empty alarms to the topic, once each', () => {
    // Assess
    const dlqAlarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter(
      (a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    expect(dlqAlarms).toHaveLength(2);
    for (const alarm of dlqAlarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  test('no two alarms watch the same metric', () => {
    // Act
    const watched = resourcesOf(template, 'AWS::CloudWatch::Alarm').map((a) =>
      JSON.stringify([a.Properties.Namespace, a.Properties.MetricName, a.Properties.Dimensions]),
    );

    // Assess
    expect(new Set(watched).size).toBe(watched.length);
  });
});

describe('the operations dashboard', () => {
  const body = JSON.stringify(
    resourcesOf(template, 'AWS::CloudWatch::Dashboard').map((d) => d.Properties.DashboardBody),
  );

  test('is named after the stack and shows every panel the owner checks', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: `${STACK}-operations` });
    for (const title of [
      'Alarms',
      'Active grants',
      'Requests, approvals, denials',
      'Time from expiry to revoke done',
      'Revoke failures',
      'Sweeper findings',
      'Dead-letter queue depth',
      'Break-glass use',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}`);
    }
  });

  test('shows the depth of both dead-letter queues', () => {
    // Prepare
    const queueIds = resourcesOf(template, 'AWS::SQS::Queue')
      .filter((q) => q.id.includes('DeadLetter'))
      .map((q) => q.id);

    // Assess
    expect(queueIds).toHaveLength(2);
    expect(body.match(/ApproximateNumberOfMessagesVisible/g)).toHaveLength(2);
    for (const id of queueIds) expect(body).toContain(`{"Fn::GetAtt":["${id}","QueueName"]}`);
  });

  test('and the alarms use only metrics some function publishes', () => {
    // Prepare
    const emitted = emittedMetrics();
    const { dashboard, alarms } = metricsUsed(template);

    // Act
    const unpublished = [...dashboard, ...alarms].filter((m) => !emitted.has(m));

    // Assess
    expect(dashboard.size).toBeGreaterThan(15);
    expect(unpublished).toEqual([]);
  });
});

describe('the optional CloudTrail trail', () => {
  test('is not created by default (accounts with an organization trail)', () => {
    // Assess
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
  });

  test('with cloudTrail.create is multi-region, KMS-encrypted, validated, and sends to an encrypted log group', () => {
    // Prepare
    const keyId = onlyLogicalId(withTrail, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('CloudTrail') });

    // Assess
    withTrail.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: `${STACK}-trail`,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      CloudWatchLogsLogGroupArn: Match.anyValue(),
    });
    withTrail.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/jit-access/${STACK}/trail`,
      RetentionInDays: 731,
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  test('lets CloudTrail use its key only for this trail, by aws:SourceArn and the encryption context', () => {
    // Prepare
    const keyId = onlyLogicalId(withTrail, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('CloudTrail') });
    const key = withTrail.toJSON().Resources[keyId] as Resource;
    const statements = (key.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const forTrail = statements.filter((s) => JSON.stringify(s.Principal).includes('cloudtrail.amazonaws.com'));
    const trailArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':cloudtrail:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:trail/${STACK}-trail`,
        ],
      ],
    };

    // Assess
    expect(forTrail).toHaveLength(2);
    for (const statement of forTrail) {
      expect(statement.Condition).toMatchObject({ StringEquals: { 'aws:SourceArn': trailArn } });
    }
    expect(forTrail.find((s) => s.Action === 'kms:GenerateDataKey*')?.Condition).toMatchObject({
      StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn },
    });
  });

  test('writes to an Object Lock bucket: TLS only, public access blocked, access logged, archived as configured', () => {
    // Prepare
    const trailId = onlyLogicalId(withTrail, 'AWS::CloudTrail::Trail');
    const trail = withTrail.toJSON().Resources[trailId] as Resource;
    const bucketId = (trail.Properties.S3BucketName as { Ref: string }).Ref;
    const accessLogBucketId = onlyLogicalId(withTrail, 'AWS::S3::Bucket', {
      BucketEncryption: Match.objectLike({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      }),
    });

    // Assess
    const bucket = withTrail.toJSON().Resources[bucketId] as Resource;
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } } },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogBucketId }, LogFilePrefix: 'trail-bucket/' },
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ Transitions: [{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 90 }] })],
      },
    });
    withTrail.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('the AuditTrail construct on its own', () => {
  const trailIn = (stack: Stack, retention: ConstructorParameters<typeof AuditTrail>[2]['retention']) =>
    new AuditTrail(stack, 'Trail', {
      retention,
      logRetention: logs.RetentionDays.ONE_YEAR,
      accessLogBucket: new s3.Bucket(stack, `AccessLogs${stack.node.children.length}`),
    });

  test('refuses an archive transition at or after the end of Object Lock, naming both fields', () => {
    // Act
    const build = () => trailIn(new Stack(scratchApp()), { objectLockDays: 30, archiveAfterDays: 30 });

    // Assess
    expect(build).toThrow(/Trail: archiveAfterDays 30 must be .* fewer than objectLockDays \(30\)/);
  });

  test('in GOVERNANCE mode denies everyone s3:BypassGovernanceRetention on the trail bucket', () => {
    // Prepare
    const stack = new Stack(scratchApp());

    // Act
    const trail = trailIn(stack, { objectLockDays: 30, objectLockMode: 'GOVERNANCE' });

    // Assess
    const policy = trail.bucket.policy?.document.toJSON() as { Statement: { Sid?: string; Effect: string }[] };
    expect(policy.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Sid: 'NobodyBypassesGovernanceRetention', Effect: 'Deny' })]),
    );
  });
});

describe('evidence retention from the config', () => {
  test('by default keeps session transcripts and their access logs in S3 Standard (no lifecycle rule)', () => {
    // Assess
    for (const bucket of resourcesOf(template, 'AWS::S3::Bucket')) {
      expect(bucket.Properties.LifecycleConfiguration).toBeUndefined();
    }
  });

  test('moves every evidence bucket to the archive class after archiveAfterDays, current and older versions', () => {
    // Prepare
    const buckets = resourcesOf(withTrail, 'AWS::S3::Bucket');

    // Assess
    expect(buckets).toHaveLength(3);
    for (const bucket of buckets) {
      expect(bucket.Properties.LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'ArchiveEvidence',
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 90 }],
            NoncurrentVersionTransitions: [{ StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 90 }],
          },
        ],
      });
    }
  });

  test('every log group of the stack keeps its events for logRetentionDays', () => {
    // Act
    const retentions = resourcesOf(withTrail, 'AWS::Logs::LogGroup').map((g) => g.Properties.RetentionInDays);

    // Assess
    expect(retentions.length).toBeGreaterThan(10);
    expect(new Set(retentions)).toEqual(new Set([731]));
  });
});
