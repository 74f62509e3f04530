import { decide } from '../../lifecycle/decision';
import { param, type RouteImplementation } from './http';

/** POST /grants/{grantId}/approve: the signed caller's vote. */
export const approve: RouteImplementation<'approve'> = (deps, call) =>
  decide(deps, param(call, 'grantId'), call.caller, 'approve', call.body.comment);
