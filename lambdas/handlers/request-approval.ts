import * as z from 'zod/mini';
import { parseAccessRequest } from '../domain/request-validation';
import { recordRequest } from '../lifecycle/record-request';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({
  /** Absent only on the break-glass path, which does not wait for a decision. */
  taskToken: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  grantId: z.string(),
  request: z.record(z.string(), z.unknown()),
});

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = TEARDOWN_ADAPTERS;

/**
 * The `.waitForTaskToken` step (and, without a token, the break-glass step): re-checks the request it is handed,
 * keeps the token in the ledger (approvers never see it) and sends approvers the plan and its hash.
 */
export function createRequestApprovalHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown) => {
    const { taskToken, grantId, request } = parseEvent(eventSchema, event);
    return forGrant(grantId, async () => {
      // The state carries the request with its grant id; the id that counts is the execution's.
      const { grantId: _claimedId, ...input } = request;
      return recordRequest(deps(), parseAccessRequest(input, grantId), taskToken);
    });
  };
}

export const handler = createRequestApprovalHandler();
