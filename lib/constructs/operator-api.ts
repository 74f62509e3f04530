import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { operationalLogGroupName } from './naming';
import { wildcardResourceFinding } from './nag-findings';
import { API_FUNCTIONS, ROUTE_NAMES, ROUTES, type ApiFunctionName } from '../../lambdas/handlers/api/contract';
import { CHANGE_SNAPSHOT_KEY_PREFIX } from '../../lambdas/domain/change-snapshot-layout';
import { ENV } from '../../lambdas/shared/environment';
import type { JitAccessConfig } from '../config/schema';
import { JitFunction, type JitFunctionProps } from './jit-function';
import type { EvidenceSigningKey } from './evidence-signing-key';
import type { LedgerTable } from './ledger-table';
import type { LifecycleFunctions } from './lifecycle-functions';
import { SESSION_KEY_PREFIX, type SessionLogging } from './session-logging';

/**
 * Executions reserved for api-decide, which also runs the kill switch: a busy account cannot keep people from ending a
 * grant. Votes, kill switches and vendor disables are human actions, so five at once leaves room to spare.
 */
const DECIDE_CONCURRENCY = 5;

const NO_WAF_REASON =
  'Every method requires SigV4 from an identity of this account (or organization), the resource policy denies everyone else and the stage is throttled; a WAF can be attached to the stage where an organization requires one.';

export interface OperatorApiProps {
  readonly config: JitAccessConfig;
  /** The stack's functions: their shared environment, log key and the teardown permissions. */
  readonly functions: LifecycleFunctions;
  readonly ledger: LedgerTable;
  readonly sessionLogging: SessionLogging;
  /** The key only the audit function signs evidence manifests with. */
  readonly evidenceKey: EvidenceSigningKey;
  /** The approval workflow that create-request and extend start. */
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * The only way people act: a REST API whose every method requires SigV4 (`AWS_IAM`), so the caller is the identity
 * AWS verified, never a field in the body. A resource policy admits only the deploying account (and, if configured,
 * the AWS Organization); every call is access-logged with the caller's ARN; the stage is throttled.
 *
 * Four functions serve the routes, grouped by the rights they need: `api-read` (ledger reads, session logs),
 * `api-request` (starts the workflow), `api-decide` (answers the workflow's approval task, and tears down grants for
 * the kill switch, a denied break-glass grant and vendor disable), `api-audit` (reads a grant's evidence and signs
 * its manifest with the evidence key).
 */
export class OperatorApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly accessLogGroup: logs.LogGroup;
  public readonly functions: Readonly<Record<ApiFunctionName, JitFunction>>;

  constructor(scope: Construct, id: string, props: OperatorApiProps) {
    super(scope, id);
    const { config, functions, ledger, sessionLogging, evidenceKey, stateMachine } = props;
    const stack = Stack.of(this);

    const create = (
      name: ApiFunctionName,
      environment: Record<string, string> = {},
      options: Pick<JitFunctionProps, 'reservedConcurrency'> = {},
    ) =>
      new JitFunction(this, name, {
        handlerName: name,
        config,
        environment: { ...functions.environment, ...environment },
        logEncryptionKey: functions.logKey.key,
        logRetention: config.logRetentionDays,
        ...options,
      });

    const read = create('api-read', { [ENV.sessionLogGroup]: sessionLogging.logGroup.logGroupName });
    ledger.grantRead(read.role);
    read.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadSessionLogsForShadowing',
        actions: ['logs:FilterLogEvents'],
        resources: [sessionLogging.logGroup.logGroupArn],
      }),
    );
    read.allowUnscoped(['ssm:DescribeSessions'], "watch finds the grant's sessions to read their log streams.");

    const request = create('api-request', { [ENV.stateMachineArn]: stateMachine.stateMachineArn });
    ledger.grantRead(request.role);
    stateMachine.grantStartExecution(request.role);
    request.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules'],
      'a request is checked at once: its instances and the security groups rule headroom.',
    );

    const decide = create('api-decide', {}, { reservedConcurrency: DECIDE_CONCURRENCY });
    functions.permissions.allowTeardown(decide);
    decide.allowUnscoped(
      ['ec2:DescribeInstances', 'ec2:DescribeSecurityGroupRules', 'ssm:DescribeSessions'],
      'the kill switch finds the grant live sessions and its tagged SG rules, as revoke does.',
    );
    const audit = this.createAuditFunction(create, ledger, sessionLogging, evidenceKey);
    this.functions = { 'api-read': read, 'api-request': request, 'api-decide': decide, 'api-audit': audit };
    for (const fn of [read, request, decide, audit]) {
      fn.acknowledgeSynchronousOnly('API Gateway (Lambda proxy integration), which answers the caller with the error');
    }
    for (const fn of [read, request, audit]) {
      fn.acknowledgeUnreservedConcurrency(
        "it serves only operator API routes, whose stage throttle (api.throttleRatePerSecond, api.throttleBurst) bounds its concurrency; reservations go to what ends access (revoke, sweeper, api-decide), and more would withdraw capacity from the account's other workloads.",
      );
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: operationalLogGroupName(this, 'api-access'),
      retention: config.logRetentionDays,
      encryptionKey: functions.logKey.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${stack.stackName}-operator-api`,
      description: 'jit-access: request, approve, revoke and audit vendor access (SigV4 only)',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      policy: this.resourcePolicy(config.api.organizationId),
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      cloudWatchRole: config.api.createCloudWatchRole,
      // CDK accepts a removal policy only for a role it creates.
      ...(config.api.createCloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: config.api.throttleRatePerSecond,
        throttlingBurstLimit: config.api.throttleBurst,
        // Errors only, and never request or response bodies: reasons and comments stay in the ledger.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigw.AccessLogField.contextRequestId(),
            at: apigw.AccessLogField.contextRequestTime(),
            userArn: apigw.AccessLogField.contextIdentityUserArn(),
            accountId: apigw.AccessLogField.contextIdentityAccountId(),
            sourceIp: apigw.AccessLogField.contextIdentitySourceIp(),
            method: apigw.AccessLogField.contextHttpMethod(),
            resource: apigw.AccessLogField.contextResourcePath(),
            path: apigw.AccessLogField.contextPath(),
            status: apigw.AccessLogField.contextStatus(),
            error: apigw.AccessLogField.contextErrorMessage(),
            latencyMs: apigw.AccessLogField.contextResponseLatency(),
          }),
        ),
      },
    });

    // The stack's own ApiUrl output says this, once.
    this.api.node.tryRemoveChild('Endpoint');

    const integrations = Object.fromEntries(
      API_FUNCTIONS.map((name) => [
        name,
        new apigw.LambdaIntegration(this.functions[name].function, { proxy: true, allowTestInvoke: false }),
      ]),
    ) as Record<ApiFunctionName, apigw.LambdaIntegration>;
    for (const name of ROUTE_NAMES) {
      const route = ROUTES[name];
      this.api.root.resourceForPath(route.path).addMethod(route.method, integrations[route.function], {
        authorizationType: apigw.AuthorizationType.IAM,
        operationName: name,
      });
    }

    this.acknowledge(config.api.createCloudWatchRole);
  }

  /**
   * api-audit reads a grant's evidence itself (ledger, session logs and transcripts, CloudTrail's event history) and
   * is the only principal that may sign with the evidence key; it writes nothing.
   */
  private createAuditFunction(
    create: (name: ApiFunctionName, environment: Record<string, string>) => JitFunction,
    ledger: LedgerTable,
    sessionLogging: SessionLogging,
    evidenceKey: EvidenceSigningKey,
  ): JitFunction {
    const audit = create('api-audit', {
      [ENV.sessionLogGroup]: sessionLogging.logGroup.logGroupName,
      [ENV.sessionBucket]: sessionLogging.bucket.bucketName,
      [ENV.evidenceKeyArn]: evidenceKey.key.keyArn,
    });
    ledger.grantRead(audit.role);
    audit.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadSessionLogs',
        actions: ['logs:FilterLogEvents'],
        resources: [sessionLogging.logGroup.logGroupArn],
      }),
    );
    audit.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListTranscriptVersions',
        actions: ['s3:ListBucketVersions'],
        resources: [sessionLogging.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${SESSION_KEY_PREFIX}*`] } },
      }),
    );
    const transcripts = sessionLogging.bucket.arnForObjects(`${SESSION_KEY_PREFIX}*`);
    audit.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTranscriptsAndTheirLocks',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectRetention'],
        resources: [transcripts],
      }),
    );
    audit.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListChangeSnapshots',
        actions: ['s3:ListBucket'],
        resources: [sessionLogging.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${CHANGE_SNAPSHOT_KEY_PREFIX}*`] } },
      }),
    );
    const snapshots = sessionLogging.bucket.arnForObjects(`${CHANGE_SNAPSHOT_KEY_PREFIX}*`);
    audit.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadChangeSnapshots',
        actions: ['s3:GetObject'],
        resources: [snapshots],
      }),
    );
    audit.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DecryptTranscripts',
        actions: ['kms:Decrypt'],
        resources: [sessionLogging.key.key.keyArn],
      }),
    );
    evidenceKey.allowSigning(audit.role);
    audit.allowUnscoped(
      ['ssm:DescribeSessions', 'cloudtrail:LookupEvents'],
      "the audit finds the grant's sessions and reads CloudTrail's event history of the grant role.",
    );
    Validations.of(audit.role.node.findChild('DefaultPolicy')).acknowledge({
      id: wildcardResourceFinding(this, transcripts),
      reason:
        'Session Manager writes one transcript object per session under sessions/: the audit reads those of the grant.',
    });
    Validations.of(audit.role.node.findChild('DefaultPolicy')).acknowledge({
      id: wildcardResourceFinding(this, snapshots),
      reason:
        "The SSM agent writes each instance's change snapshots under change-snapshots/<grant>/: the audit reads those of the grant.",
    });
    return audit;
  }

  /** Only the deploying account (and the organization, if configured) may even reach the methods. */
  private resourcePolicy(organizationId: string | undefined): iam.PolicyDocument {
    const stack = Stack.of(this);
    const anyMethod = 'execute-api:/*';
    const outsiders = organizationId
      ? { StringNotEquals: { 'aws:PrincipalAccount': stack.account, 'aws:PrincipalOrgID': organizationId } }
      : { StringNotEquals: { 'aws:PrincipalAccount': stack.account } };
    const statements = [
      new iam.PolicyStatement({
        sid: 'InvokeFromThisAccount',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [anyMethod],
      }),
      new iam.PolicyStatement({
        sid: 'NobodyElse',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [anyMethod],
        conditions: outsiders,
      }),
    ];
    if (organizationId) {
      statements.splice(
        1,
        0,
        new iam.PolicyStatement({
          sid: 'InvokeFromTheOrganization',
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: [anyMethod],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
        }),
      );
    }
    return new iam.PolicyDocument({ statements });
  }

  private acknowledge(createsCloudWatchRole: boolean): void {
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          "Each route's zod schema validates its request in the function and answers with the field and the fix; API Gateway's own validation would replace that with a generic message.",
      },
      { id: 'AwsSolutions-APIG3', reason: NO_WAF_REASON },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers authenticate with IAM (AWS_IAM, SigV4): the signed identity is the person, resolved against jitAccess.people. Cognito would add a second, weaker identity.',
      },
    );
    Validations.of(this.api.deploymentStage).acknowledge(
      { id: 'NIST.800.53.R5-APIGWAssociatedWithWAF', reason: NO_WAF_REASON },
      {
        id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
        reason:
          'Caching is off on purpose, so there is no cache to encrypt: every answer is per caller and must show the ledger as it is now (a revoked grant must never read as active).',
      },
      {
        id: 'NIST.800.53.R5-APIGWSSLEnabled',
        reason:
          'A client certificate authenticates API Gateway to an HTTP backend; every integration here is a Lambda proxy integration, which API Gateway calls through the Lambda API with SigV4, so no backend could check one.',
      },
    );
    if (createsCloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-wide logging role needs exactly this AWS-managed policy to write execution and access logs; set api.createCloudWatchRole false where the account already has one.",
      });
    }
  }
}
