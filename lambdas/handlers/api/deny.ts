import { decide } from '../../lifecycle/decision';
import { param, type RouteImplementation } from './http';

/** POST /grants/{grantId}/deny: the signed caller's vote against; one deny ends a pending request. */
export const deny: RouteImplementation<'deny'> = (deps, call) =>
  decide(deps, param(call, 'grantId'), call.caller, 'deny', call.body.reason);
