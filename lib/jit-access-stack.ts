import { AspectPriority, Aspects, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { JitAccessConfig } from './config/schema';
import { ApprovalWorkflow } from './constructs/approval-workflow';
import { AuditAlarms } from './constructs/audit-alarms';
import { AuditTrail } from './constructs/audit-trail';
import { evidenceRetentionOf } from './constructs/evidence-retention';
import { EvidenceSigningKey } from './constructs/evidence-signing-key';
import { ExpiryScheduler } from './constructs/expiry-scheduler';
import { GrantPermissionsBoundary } from './constructs/grant-permissions-boundary';
import { JitIngressSecurityGroups } from './constructs/jit-ingress-security-groups';
import { LedgerTable } from './constructs/ledger-table';
import { LifecycleFunctions } from './constructs/lifecycle-functions';
import { Lockout } from './constructs/lockout';
import { Notifications } from './constructs/notifications';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OperatorApi } from './constructs/operator-api';
import { OsAccountDocument } from './constructs/os-account-document';
import { SavedQueries } from './constructs/saved-queries';
import { OsAccountResults } from './constructs/os-account-results';
import { SessionLogging } from './constructs/session-logging';
import { StackIamPath } from './constructs/stack-iam-path';
import { TeardownAlarms } from './constructs/teardown-alarms';
import { UnheldIngressAlarm } from './constructs/unheld-ingress-alarm';
import { OUTPUTS, securityGroupOutput } from './stack-outputs';

export interface JitAccessStackProps extends StackProps {
  /** The validated config (parse it with `parseConfig` from `lib/config/load-config`). */
  readonly config: JitAccessConfig;
}

/** The whole jit-access system, composed in the order of a grant's lifecycle, with the API people use in front. */
export class JitAccessStack extends Stack {
  constructor(scope: Construct, id: string, props: JitAccessStackProps) {
    super(scope, id, props);
    const { config } = props;
    Aspects.of(this).add(new StackIamPath(), { priority: AspectPriority.MUTATING });

    const notifications = new Notifications(this, 'Notifications', { emails: config.notificationEmails });
    const ledger = new LedgerTable(this, 'Ledger');
    const sessionLogging = new SessionLogging(this, 'SessionLogging', {
      logRetention: config.logRetentionDays,
      retention: evidenceRetentionOf(config),
      idleTimeoutMinutes: config.session.idleTimeoutMinutes,
      maxSessionDurationMinutes: config.session.maxSessionDurationMinutes,
    });
    const boundary = new GrantPermissionsBoundary(this, 'GrantPermissionsBoundary', {
      sessionDocumentName: sessionLogging.documentName,
      sessionKey: sessionLogging.key.key,
      targetGroups: config.targetGroups,
      vendorCidrs: config.vendors.flatMap((v) => v.allowedCidrs),
      iamPath: config.iamPath,
    });
    const ingress = new JitIngressSecurityGroups(this, 'JitIngress', { targetGroups: config.targetGroups });
    const expiry = new ExpiryScheduler(this, 'Expiry', {
      alarmTopic: notifications.topic,
      sweeperRate: Duration.minutes(config.sweeperRateMinutes),
    });

    const osAccountDocument = new OsAccountDocument(this, 'OsAccount', { changeTracking: config.changeTracking });
    const functions = new LifecycleFunctions(this, 'Functions', {
      config,
      ledger,
      notifications,
      sessionLogging,
      boundary,
      ingress,
      expiry,
      osAccountDocument,
    });
    expiry.targetRevokeFunction(functions.revoke.function);
    expiry.runSweeper(functions.sweeper.function);
    const teardownAlarms = new TeardownAlarms(this, 'TeardownAlarms', { alarmTopic: notifications.topic });
    const unheldIngressAlarm = new UnheldIngressAlarm(this, 'UnheldIngressAlarm', {
      alarmTopic: notifications.topic,
      sweeperRate: Duration.minutes(config.sweeperRateMinutes),
    });
    const lockout = new Lockout(this, 'Lockout', { config, functions, alarmTopic: notifications.topic });
    new OsAccountResults(this, 'OsAccountResults', {
      config,
      functions,
      ledger,
      notifications,
      documentName: osAccountDocument.documentName,
      deadLetterQueue: expiry.deadLetterQueue,
    });

    const workflow = new ApprovalWorkflow(this, 'ApprovalWorkflow', {
      validateRequest: functions.validateRequest.function,
      requestApproval: functions.requestApproval.function,
      grant: functions.grant.function,
      recordOutcome: functions.recordOutcome.function,
      approvalTimeout: Duration.minutes(config.approvalTimeoutMinutes),
      logEncryptionKey: functions.logKey.key,
      logRetention: config.logRetentionDays,
    });

    const evidenceKey = new EvidenceSigningKey(this, 'EvidenceKey');
    const api = new OperatorApi(this, 'OperatorApi', {
      config,
      functions,
      ledger,
      sessionLogging,
      evidenceKey,
      stateMachine: workflow.stateMachine,
    });
    workflow.allowAnswering(api.functions['api-decide'].role);
    workflow.allowReadingExecutions(functions.sweeper);

    // What auditors and owners watch: the optional trail, saved queries, alarms and one dashboard.
    const trail = config.cloudTrail.create
      ? new AuditTrail(this, 'AuditTrail', {
          retention: evidenceRetentionOf(config),
          logRetention: config.logRetentionDays,
          accessLogBucket: sessionLogging.accessLogBucket,
        })
      : undefined;
    new SavedQueries(this, 'SavedQueries', {
      vendors: config.vendors,
      grantRolePath: config.iamPath,
      sessionLogGroup: sessionLogging.logGroup,
      functionLogGroups: [
        ...[
          functions.validateRequest,
          functions.requestApproval,
          functions.grant,
          functions.revoke,
          functions.sweeper,
          functions.recordOutcome,
        ].map((fn) => fn.logGroup),
        ...Object.values(api.functions).map((fn) => fn.logGroup),
        lockout.function.logGroup,
      ],
      ...(trail ? { trailLogGroup: trail.logGroup } : {}),
    });
    const auditAlarms = new AuditAlarms(this, 'AuditAlarms', { alarmTopic: notifications.topic });
    const dashboard = new OperationsDashboard(this, 'Dashboard', {
      sweeperRate: Duration.minutes(config.sweeperRateMinutes),
      deadLetterQueues: { 'expiry schedules': expiry.deadLetterQueue, 'lockout rules': lockout.deadLetterQueue },
      alarms: [
        ...teardownAlarms.alarms,
        unheldIngressAlarm.alarm,
        expiry.deadLetterAlarm,
        lockout.deadLetterAlarm,
        ...auditAlarms.alarms,
      ],
    });

    // People need only the API (execute-api:Invoke); no output names a function to invoke.
    const output = (name: string, value: string, description?: string) =>
      new CfnOutput(this, name, { value, ...(description ? { description } : {}) });
    output(
      OUTPUTS.apiUrl,
      api.api.url,
      'The jit-access CLI finds it here (or pass --api-url); every call is SigV4-signed',
    );
    output(OUTPUTS.apiId, api.api.restApiId);
    output(OUTPUTS.stateMachineArn, workflow.stateMachine.stateMachineArn);
    output(OUTPUTS.ledgerTableName, ledger.table.tableName);
    output(OUTPUTS.sessionDocumentName, sessionLogging.documentName);
    output(
      OUTPUTS.osAccountDocumentName,
      osAccountDocument.documentName,
      "Unlocks and locks vendors' OS users; run it by hand only to lock one again",
    );
    output(OUTPUTS.sessionLogGroupName, sessionLogging.logGroup.logGroupName);
    output(OUTPUTS.sessionBucketName, sessionLogging.bucket.bucketName);
    output(OUTPUTS.dashboardName, dashboard.dashboardName);
    if (trail) output(OUTPUTS.trailName, trail.trailName);
    // With these three and the security groups below, `jit-access plan` computes offline what a grant creates.
    output(OUTPUTS.sessionKeyArn, sessionLogging.key.key.keyArn);
    output(OUTPUTS.permissionsBoundaryArn, boundary.policy.managedPolicyArn);
    output(OUTPUTS.scheduleGroupName, expiry.scheduleGroupName);
    output(OUTPUTS.grantRolePath, config.iamPath);
    output(
      OUTPUTS.instancePolicyArn,
      sessionLogging.instancePolicy.managedPolicyArn,
      'Attach to the instance role of every target instance so its sessions are recorded',
    );
    output(
      OUTPUTS.evidenceKeyArn,
      evidenceKey.key.keyArn,
      'Signs every audit bundle; jit-access audit verify checks a bundle against it',
    );
    for (const [groupName, securityGroupId] of Object.entries(ingress.securityGroupIds)) {
      output(
        securityGroupOutput(groupName),
        securityGroupId,
        `Attach to the instances of target group ${groupName} (empty at rest)`,
      );
    }
  }
}
