import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import type { GrantStatus } from '../../lambdas/domain/types';
import type { CliContext } from './context';
import { CliError } from './errors';

/** Where `--wait` stops: the grant is live, or will never be. */
const SETTLED: readonly GrantStatus[] = ['ACTIVE', 'DENIED', 'EXPIRED', 'FAILED', 'REVOKED'];
export const POLL_INTERVAL_MS = 5_000;

type Shown = ResponseOf<'showGrant'>;

/**
 * Polls the grant until it is active, denied, expired, failed or revoked, printing each change of state (and of
 * approvals) as progress on stderr. A request just made is not in the ledger for a moment: that is waited out too.
 */
export async function waitForGrant(context: CliContext, grantId: string, timeoutMs?: number): Promise<Shown> {
  const api = await context.api();
  const deadline = timeoutMs === undefined ? undefined : context.io.now().getTime() + timeoutMs;
  let last = '';
  for (;;) {
    let shown: Shown | undefined;
    try {
      shown = await api.call('showGrant', { params: { grantId } });
    } catch (error) {
      if (!(error instanceof CliError && error.detail.code === 'NOT_FOUND')) throw error;
    }
    const state = shown
      ? `${shown.grant.status}${shown.grant.status === 'PENDING' ? ` (approvals: ${approvalsSoFar(shown)})` : ''}`
      : 'being validated';
    if (state !== last) context.progress(`[wait] ${grantId}: ${state}`);
    last = state;
    if (shown && SETTLED.includes(shown.grant.status)) return shown;
    if (deadline !== undefined && context.io.now().getTime() >= deadline) {
      throw new CliError(1, [`--wait-timeout: ${grantId} is still ${state}`], {
        code: 'WAIT_TIMEOUT',
        message: `still ${state}`,
      });
    }
    await context.io.sleep(POLL_INTERVAL_MS);
  }
}

function approvalsSoFar(shown: Shown): string {
  const people = shown.votes.filter((v) => v.decision === 'approve').map((v) => v.person);
  return people.length > 0 ? people.join(', ') : 'none yet';
}
