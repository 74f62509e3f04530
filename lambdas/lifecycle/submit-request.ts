import { randomBytes } from 'node:crypto';
import type { Caller } from '../domain/identity';
import type { AccessRequest, GrantWindow, RequestBody } from '../domain/types';
import type { Dependencies } from '../shared/dependencies';
import { checkRequest } from './check-request';

export interface SubmittedRequest {
  readonly grantId: string;
  readonly status: 'REQUESTED';
  readonly vendorId: string;
  readonly breakGlass: boolean;
  readonly extends?: string;
  readonly window: GrantWindow;
  readonly executionArn: string;
}

/** A new grant id: `g-` and 12 random hex digits (the role is `jit-<id>`, the execution is named after it). */
export function newGrantId(): string {
  return `g-${randomBytes(6).toString('hex')}`;
}

/**
 * Checks a request at once (so the sponsor gets a field-named error, with nothing written) and starts the approval
 * workflow with it. The requester is the signed caller; the workflow checks everything again.
 */
export async function submitRequest(
  deps: Dependencies,
  body: RequestBody,
  requester: Caller,
  extendsGrant?: string,
): Promise<SubmittedRequest> {
  const grantId = newGrantId();
  const request: AccessRequest = {
    ...body,
    grantId,
    requester,
    ...(extendsGrant ? { extends: extendsGrant } : {}),
  };
  const checked = await checkRequest(deps, request, { isNew: true });
  const { grantId: _id, ...input } = request;
  const executionArn = await deps.executions.start(grantId, input);
  return {
    grantId,
    status: 'REQUESTED',
    vendorId: request.vendorId,
    breakGlass: request.breakGlass === true,
    ...(extendsGrant ? { extends: extendsGrant } : {}),
    window: checked.plan.window,
    executionArn,
  };
}
