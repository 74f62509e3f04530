import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { occurrenceAlarm, type OccurrenceAlarm } from './jit-metrics';

export interface TeardownAlarmsProps {
  /** Topic the alarms notify. */
  readonly alarmTopic: sns.ITopic;
}

/** Metrics the Lambdas publish with Powertools (namespace JitAccess, dimension service=jit-access). */
const teardownFailureMetrics: readonly OccurrenceAlarm[] = [
  {
    id: 'RevokeIncompleteAlarm',
    metric: 'RevokesIncomplete',
    what: 'a revoke left resources behind; the sweeper retries, check the grant residueCheck in the ledger',
  },
  {
    id: 'OsAccountLockAlarm',
    metric: 'OsAccountLocksFailed',
    what: "the vendor's OS user could not be shown locked on an instance; the sweeper retries, see the grant residueCheck.osAccounts",
  },
  {
    id: 'SweeperFailureAlarm',
    metric: 'SweeperItemFailures',
    what: 'the sweeper could not remove an item; it retries every run, see its logs for the item and error',
  },
];

/** Alarms for every teardown that did not finish, so what could not be removed is never silent. */
export class TeardownAlarms extends Construct {
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: TeardownAlarmsProps) {
    super(scope, id);
    this.alarms = teardownFailureMetrics.map((alarm) => occurrenceAlarm(this, alarm, props.alarmTopic));
  }
}
