import { makeNetwork } from '../adapters/ec2';
import { makeRoles } from '../adapters/iam';
import { makeLedger } from '../adapters/ledger';
import { makeNotifier } from '../adapters/notifier';
import { makeSchedules } from '../adapters/scheduler';
import { makeExecutions } from '../adapters/sfn';
import { makeOsAccounts, makeSessions } from '../adapters/ssm';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { createApiFunction } from './api/http';
import { createRequest } from './api/create-request';
import { extend } from './api/extend';

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

/** The API's routes that start the approval workflow. */
export function createApiRequestHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return createApiFunction('api-request', { createRequest, extend }, deps);
}

export const handler = createApiRequestHandler();
