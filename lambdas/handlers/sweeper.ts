import { sweep, type SweepReport } from '../lifecycle/reconcile';
import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { flushMetrics, logger } from '../shared/powertools';

/** The backstop on a rate schedule: revokes expired grants and removes anything jit-access made that no grant holds. */
export function createSweeperHandler(deps: () => Dependencies = lambdaDependencies) {
  return async (): Promise<SweepReport> => {
    try {
      const report = await sweep(deps());
      logger.info('sweep finished', { report });
      return report;
    } finally {
      flushMetrics();
    }
  };
}

export const handler = createSweeperHandler();
