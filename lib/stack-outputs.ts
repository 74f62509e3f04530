import { pascalCase } from './constructs/naming';

/**
 * The stack's output names. The stack writes them and the CLI reads them (from CloudFormation, or from
 * `cdk deploy --outputs-file`), so both sides use these constants.
 */
export const OUTPUTS = {
  apiUrl: 'ApiUrl',
  apiId: 'ApiId',
  stateMachineArn: 'StateMachineArn',
  ledgerTableName: 'LedgerTableName',
  sessionDocumentName: 'SessionDocumentName',
  osAccountDocumentName: 'OsAccountDocumentName',
  sessionLogGroupName: 'SessionLogGroupName',
  sessionBucketName: 'SessionBucketName',
  sessionKeyArn: 'SessionKeyArn',
  permissionsBoundaryArn: 'PermissionsBoundaryArn',
  scheduleGroupName: 'ScheduleGroupName',
  grantRolePath: 'GrantRolePath',
  instancePolicyArn: 'InstancePolicyArn',
  dashboardName: 'DashboardName',
  /** Only when the stack creates its own trail (`cloudTrail.create`). */
  trailName: 'TrailName',
  evidenceKeyArn: 'EvidenceKeyArn',
} as const;

/** `JitSecurityGroupBillingDb` for target group `billing-db`. */
export function securityGroupOutput(targetGroup: string): string {
  return `JitSecurityGroup${pascalCase(targetGroup)}`;
}
