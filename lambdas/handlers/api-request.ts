import { makeExecutions } from '../adapters/sfn';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { createApiFunction } from './api/http';
import { createRequest } from './api/create-request';
import { extend } from './api/extend';

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = { ...TEARDOWN_ADAPTERS, executions: makeExecutions };

/** The API's routes that start the approval workflow. */
export function createApiRequestHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return createApiFunction('api-request', { createRequest, extend }, deps);
}

export const handler = createApiRequestHandler();
