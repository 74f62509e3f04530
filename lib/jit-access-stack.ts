import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { JitAccessConfig } from './config/schema';
import { ApprovalWorkflow } from './constructs/approval-workflow';
import { ExpiryScheduler } from './constructs/expiry-scheduler';
import { GrantPermissionsBoundary } from './constructs/grant-permissions-boundary';
import { JitIngressSecurityGroups } from './constructs/jit-ingress-security-groups';
import { LedgerTable } from './constructs/ledger-table';
import { LifecycleFunctions } from './constructs/lifecycle-functions';
import { Notifications } from './constructs/notifications';
import { pascalCase } from './constructs/naming';
import { SessionLogging } from './constructs/session-logging';
import { TeardownAlarms } from './constructs/teardown-alarms';

export interface JitAccessStackProps extends StackProps {
  /** The validated config (parse it with `parseConfig` from `lib/config/load-config`). */
  readonly config: JitAccessConfig;
}

/** The whole jit-access system, composed in the order of a grant's lifecycle. */
export class JitAccessStack extends Stack {
  constructor(scope: Construct, id: string, props: JitAccessStackProps) {
    super(scope, id, props);
    const { config } = props;

    const notifications = new Notifications(this, 'Notifications', { emails: config.notificationEmails });
    const ledger = new LedgerTable(this, 'Ledger');
    const sessionLogging = new SessionLogging(this, 'SessionLogging', {
      logRetention: config.logRetentionDays,
      objectLockDays: config.objectLockDays,
      idleTimeoutMinutes: config.session.idleTimeoutMinutes,
      maxSessionDurationMinutes: config.session.maxSessionDurationMinutes,
    });
    const boundary = new GrantPermissionsBoundary(this, 'GrantPermissionsBoundary', {
      sessionDocumentName: sessionLogging.documentName,
      sessionKey: sessionLogging.key.key,
      targetGroups: config.targetGroups,
    });
    const ingress = new JitIngressSecurityGroups(this, 'JitIngress', { targetGroups: config.targetGroups });
    const expiry = new ExpiryScheduler(this, 'Expiry', {
      alarmTopic: notifications.topic,
      sweeperRate: Duration.minutes(config.sweeperRateMinutes),
    });

    const functions = new LifecycleFunctions(this, 'Functions', {
      config,
      ledger,
      notifications,
      sessionLogging,
      boundary,
      ingress,
      expiry,
    });
    expiry.targetRevokeFunction(functions.revoke.function);
    expiry.runSweeper(functions.sweeper.function);
    new TeardownAlarms(this, 'TeardownAlarms', { alarmTopic: notifications.topic });

    const workflow = new ApprovalWorkflow(this, 'ApprovalWorkflow', {
      validateRequest: functions.validateRequest.function,
      requestApproval: functions.requestApproval.function,
      grant: functions.grant.function,
      recordOutcome: functions.recordOutcome.function,
      decide: functions.decide.role,
      approvalTimeout: Duration.minutes(config.approvalTimeoutMinutes),
      logEncryptionKey: functions.logKey.key,
      logRetention: config.logRetentionDays,
    });

    new CfnOutput(this, 'StateMachineArn', { value: workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'LedgerTableName', { value: ledger.table.tableName });
    new CfnOutput(this, 'DecideFunctionName', {
      value: functions.decide.function.functionName,
      description: 'Approvers invoke it with {grantId, approver, decision, comment}',
    });
    new CfnOutput(this, 'RevokeFunctionName', {
      value: functions.revoke.function.functionName,
      description: 'The kill switch: invoke it with {grantId, reason: "kill-switch", actor}',
    });
    new CfnOutput(this, 'SessionDocumentName', { value: sessionLogging.documentName });
    new CfnOutput(this, 'SessionLogGroupName', { value: sessionLogging.logGroup.logGroupName });
    new CfnOutput(this, 'SessionBucketName', { value: sessionLogging.bucket.bucketName });
    new CfnOutput(this, 'InstancePolicyArn', {
      value: sessionLogging.instancePolicy.managedPolicyArn,
      description: 'Attach to the instance role of every target instance so its sessions are recorded',
    });
    for (const [groupName, securityGroupId] of Object.entries(ingress.securityGroupIds)) {
      new CfnOutput(this, `JitSecurityGroup${pascalCase(groupName)}`, {
        value: securityGroupId,
        description: `Attach to the instances of target group ${groupName} (empty at rest)`,
      });
    }
  }
}
