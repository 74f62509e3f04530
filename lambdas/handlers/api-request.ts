import { lambdaDependencies, type Dependencies } from '../shared/dependencies';
import { createApiFunction } from './api/http';
import { createRequest } from './api/create-request';
import { extend } from './api/extend';

/** The API's routes that start the approval workflow. */
export function createApiRequestHandler(deps: () => Dependencies = lambdaDependencies) {
  return createApiFunction('api-request', { createRequest, extend }, deps);
}

export const handler = createApiRequestHandler();
