import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One logger and one metrics instance for every handler (service "jit-access"; namespace from the environment).
 * Tracing is Lambda's active tracing of each invocation; the X-Ray SDK that would sub-segment each AWS call is left
 * out, to keep every bundle small.
 */
export const logger = new Logger({ serviceName: 'jit-access' });
export const metrics = new Metrics({ namespace: 'JitAccess', serviceName: 'jit-access' });

/** Flushes the invocation's metrics; an invocation that recorded none writes nothing (Powertools would warn). */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
