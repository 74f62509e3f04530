import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** One logger, metrics and tracer for every handler (service "jit-access"; namespace from the environment). */
export const logger = new Logger({ serviceName: 'jit-access' });
export const metrics = new Metrics({ namespace: 'JitAccess', serviceName: 'jit-access' });
export const tracer = new Tracer({ serviceName: 'jit-access' });

/** Flushes the invocation's metrics; an invocation that recorded none writes nothing (Powertools would warn). */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
