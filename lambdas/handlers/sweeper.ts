import { sweep, type SweepReport } from '../lifecycle/reconcile';
import { makeNetwork } from '../adapters/ec2';
import { makeRoles } from '../adapters/iam';
import { makeLedger } from '../adapters/ledger';
import { makeNotifier } from '../adapters/notifier';
import { makeSchedules } from '../adapters/scheduler';
import { makeExecutions } from '../adapters/sfn';
import { makeOsAccounts, makeSessions } from '../adapters/ssm';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { flushMetrics, logger } from '../shared/powertools';

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = {
  ledger: makeLedger,
  roles: makeRoles,
  network: makeNetwork,
  schedules: makeSchedules,
  sessions: makeSessions,
  osAccounts: makeOsAccounts,
  notifier: makeNotifier,
  executions: makeExecutions,
};

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
