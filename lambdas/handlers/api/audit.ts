import { AccessDeniedError } from '../../domain/errors';
import { EVIDENCE_SIGNING_ALGORITHM } from '../../domain/evidence-manifest';
import { mayAudit, type Caller } from '../../domain/identity';
import { accessReview, auditBundle, type AuditSources } from '../../lifecycle/audit';
import type { Dependencies } from '../../shared/dependencies';
import { param, type RouteImplementation } from './http';
import { requireGrant } from './lookup';

function requireAuditor(deps: Dependencies, caller: Caller, what: string): void {
  if (!mayAudit(caller.person, deps.settings.config)) {
    throw new AccessDeniedError(
      'NOT_AN_AUDITOR',
      `${caller.person} may not read ${what}: auditors and admins may (ask the platform team to add you to jitAccess.auditors)`,
    );
  }
}

/** GET /grants/{grantId}/audit: the grant's evidence, read and signed by this function. */
export function auditGrant(sources: () => AuditSources): RouteImplementation<'auditGrant'> {
  return async (deps, call) => {
    const grantId = param(call, 'grantId');
    requireAuditor(deps, call.caller, `the evidence of ${grantId}`);
    const grant = await requireGrant(deps, grantId);
    return auditBundle(deps, sources(), grant, call.caller);
  };
}

/** GET /audit: every grant requested in the range, for a periodic access review. */
export const auditReview: RouteImplementation<'auditReview'> = async (deps, { caller, query }) => {
  requireAuditor(deps, caller, 'access reviews');
  const rows = await accessReview(deps, query);
  return { since: query.since, until: query.until, ...(query.vendor ? { vendor: query.vendor } : {}), rows };
};

/** GET /audit/signing-key: the evidence key's public half, so anyone can check a bundle offline. */
export function auditSigningKey(sources: () => AuditSources): RouteImplementation<'auditSigningKey'> {
  return async () => {
    const { signer } = sources();
    return {
      signingKeyArn: signer.keyArn,
      signingAlgorithm: EVIDENCE_SIGNING_ALGORITHM,
      publicKeyPem: await signer.publicKeyPem(),
    };
  };
}
