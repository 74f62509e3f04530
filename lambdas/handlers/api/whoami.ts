import { isAdmin, isApprover, isBreakGlassPerson, isSponsor, mayAudit } from '../../domain/identity';
import type { RouteImplementation } from './http';

/** GET /me: who the signed request is, and what that person may do. */
export const whoami: RouteImplementation<'whoami'> = async (deps, { caller }) => {
  const { config } = deps.settings;
  return {
    person: caller.person,
    arn: caller.arn,
    approver: isApprover(caller.person, config),
    admin: isAdmin(caller.person, config),
    breakGlass: isBreakGlassPerson(caller.person, config),
    auditor: mayAudit(caller.person, config),
    sponsorOf: config.vendors.filter((v) => isSponsor(caller.person, v)).map((v) => v.id),
  };
};
