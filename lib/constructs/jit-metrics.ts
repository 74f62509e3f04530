import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

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
