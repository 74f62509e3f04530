import { sweep, type SweepReport } from '../lifecycle/reconcile';
import { makeExecutions } from '../adapters/sfn';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { flushMetrics, logger } from '../shared/powertools';

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = { ...TEARDOWN_ADAPTERS, executions: makeExecutions };

/** The backstop on a rate schedule: revokes expired grants and removes anything jit-access made that no grant holds. */
export function createSweeperHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
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
