import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { jitMetric } from './jit-metrics';

export interface UnheldIngressAlarmProps {
  /** Topic the alarm notifies. */
  readonly alarmTopic: sns.ITopic;
  /** How often the sweeper runs, so reports the metric: one evaluation period. */
  readonly sweeperRate: Duration;
}

/**
 * Alarms while a JIT security group holds an inbound rule that no live grant holds: the sweeper counts them every run
 * (`UnheldIngressRules`), whatever they admit (IPv4, IPv6, a prefix list, another group), and while no grant is live
 * that is every rule. It closes those jit-access opened; the others (a person's emergency change) stay for a person
 * to look at, and the alarm stays raised until they are gone.
 */
export class UnheldIngressAlarm extends Construct {
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: UnheldIngressAlarmProps) {
    super(scope, id);
    const minutes = props.sweeperRate.toSeconds() / 60;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
      throw new Error(
        `${this.node.path}: sweeperRate must be a whole number of minutes from 1 to 60 (sweeperRateMinutes)`,
      );
    }
    // Each run reports the count it found (zero included): the latest run's count is the state of the groups.
    this.alarm = jitMetric('UnheldIngressRules', {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: props.sweeperRate,
    }).createAlarm(this, 'Alarm', {
      alarmDescription:
        'jit-access: a JIT security group holds an inbound rule no live grant holds; the sweeper closed those jit-access opened and left the others open: see its log lines "unheld ingress rule in a JIT security group"',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // A period the sweeper did not report in (its schedule drifts across period edges) keeps the alarm as it was.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
  }
}
