import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { occurrenceAlarm, type OccurrenceAlarm } from './jit-metrics';

export interface AuditAlarmsProps {
  /** Topic the alarms notify. */
  readonly alarmTopic: sns.ITopic;
}

/**
 * The events an owner must hear of even when nothing failed: break-glass used, a vendor locked out, residue the
 * sweeper had to remove, a configuration snapshot that failed. (Revoke failures and dead-letter queues have their
 * alarms in TeardownAlarms, ExpiryScheduler and Lockout.)
 */
const AUDIT_ALARMS: readonly OccurrenceAlarm[] = [
  {
    id: 'BreakGlassUsedAlarm',
    metric: 'BreakGlassGrants',
    what: 'a break-glass grant was recorded; approvers must review it (jit-access approve|deny <grant-id>) before its review deadline',
  },
  {
    id: 'LockoutAlarm',
    metric: 'VendorLockouts',
    what: 'a vendor was locked out after repeated denied attempts; see the saved query "denied attempts by grant role" and unlock with jit-access vendor unlock',
  },
  {
    id: 'SweeperResidueAlarm',
    metric: 'SweeperOrphansFound',
    what: 'the sweeper found and removed resources no grant holds (roles, schedules, rules, sessions); see its "sweep finished" log line for what',
  },
  {
    id: 'SnapshotFailureAlarm',
    metric: 'SnapshotFailed',
    what: 'a configuration snapshot of a target instance failed; the evidence of that grant lacks it, see the grant history',
  },
];

/** One alarm per audit event, each raised by a single occurrence within five minutes. */
export class AuditAlarms extends Construct {
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AuditAlarmsProps) {
    super(scope, id);
    this.alarms = AUDIT_ALARMS.map((alarm) => occurrenceAlarm(this, alarm, props.alarmTopic));
  }
}
