import * as z from 'zod/mini';
import { parseAccessRequest } from '../domain/request-validation';
import { checkRequest, type CheckedRequest } from '../lifecycle/check-request';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { forGrant, parseEvent } from '../shared/handler-support';

const eventSchema = z.object({ input: z.unknown(), grantId: z.string() });

/** What the workflow carries after validation; `Wait for start` reads `startAt`, the break-glass choice `request`. */
export type ValidatedWorkflowState = CheckedRequest;

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = TEARDOWN_ADAPTERS;

/**
 * First workflow step: applies every business rule to the execution input (which the API wrote with the signed
 * requester, and which is still re-checked here) and returns the plan approvers will see. Writes nothing.
 */
export function createValidateRequestHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown): Promise<ValidatedWorkflowState> => {
    const { input, grantId } = parseEvent(eventSchema, event);
    return forGrant(grantId, () => checkRequest(deps(), parseAccessRequest(input, grantId), { isNew: true }));
  };
}

export const handler = createValidateRequestHandler();
