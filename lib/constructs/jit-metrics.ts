import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** Where the functions publish (Powertools `Metrics`, `lambdas/shared/powertools.ts`): namespace and service dimension. */
const JIT_METRICS_NAMESPACE = 'JitAccess';
const SERVICE_DIMENSION = { service: 'jit-access' } as const;

export interface JitMetricOptions {
  /** @default Sum */
  readonly statistic?: string;
  /** @default 5 minutes */
  readonly period?: Duration;
  /** @default the metric name */
  readonly label?: string;
}

/** A metric one of the functions publishes with `metrics.addMetric(metricName, …)`. */
export function jitMetric(metricName: string, options: JitMetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: JIT_METRICS_NAMESPACE,
    metricName,
    dimensionsMap: SERVICE_DIMENSION,
    statistic: options.statistic ?? cloudwatch.Stats.SUM,
    period: options.period ?? Duration.minutes(5),
    ...(options.label ? { label: options.label } : {}),
  });
}

/** An alarm on one of the functions' metrics, raised by a single occurrence within five minutes. */
export interface OccurrenceAlarm {
  /** The alarm's construct id. */
  readonly id: string;
  /** The metric the functions publish. */
  readonly metric: string;
  /** What happened and where to look, after "jit-access: " in the alarm's description. */
  readonly what: string;
}

/** Creates `alarm` under `scope`, notifying `topic`: a single occurrence raises it, no data leaves it OK. */
export function occurrenceAlarm(scope: Construct, alarm: OccurrenceAlarm, topic: sns.ITopic): cloudwatch.Alarm {
  const created = jitMetric(alarm.metric).createAlarm(scope, alarm.id, {
    alarmDescription: `jit-access: ${alarm.what}`,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  created.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  return created;
}
