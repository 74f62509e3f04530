import { NotFoundError } from '../../domain/errors';
import type { GrantRecord } from '../../domain/types';
import type { Dependencies } from '../../shared/dependencies';

/** The grant, or a 404 that says where grant ids come from. */
export async function requireGrant(deps: Dependencies, grantId: string): Promise<GrantRecord> {
  const grant = await deps.ledger.getGrant(grantId);
  if (!grant) {
    throw new NotFoundError(
      'grantId',
      `there is no grant ${grantId}: check the id with "jit-access list" (a request just made appears within seconds)`,
    );
  }
  return grant;
}
