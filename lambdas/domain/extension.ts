import { ValidationError } from './errors';
import type { Caller } from './identity';
import type { GrantRecord, RequestBody } from './types';

/** The body of a request that extends `original` by `byMinutes`: same vendor, targets and ports, from its expiry. */
export function extensionBody(
  original: GrantRecord,
  byMinutes: number,
  change: { readonly reason?: string; readonly ticket?: string } = {},
): RequestBody {
  if (original.status !== 'ACTIVE' || !original.expiresAt) {
    throw new ValidationError(
      'grantId',
      'NOT_ACTIVE',
      `grant ${original.grantId} is ${original.status}: only an active grant can be extended, request access anew`,
    );
  }
  const { vendorId, targets, ports, ticket } = original.request;
  return {
    vendorId,
    targets,
    ...(ports ? { ports } : {}),
    durationMinutes: byMinutes,
    startAt: original.expiresAt,
    ticket: change.ticket ?? ticket,
    reason: change.reason ?? `extends ${original.grantId}: ${original.request.reason}`.slice(0, 1000),
  };
}

/**
 * An extension is a claim about the grant it extends; it holds only if that grant is active and the request asks for
 * exactly its vendor, targets and ports, starting when it ends.
 */
export function checkExtension(
  request: RequestBody & { readonly extends?: string; readonly requester: Caller },
  original: GrantRecord | undefined,
): void {
  if (!request.extends) return;
  if (!original) {
    throw new ValidationError('extends', 'UNKNOWN_GRANT', `there is no grant ${request.extends} to extend`);
  }
  const expected = extensionBody(original, request.durationMinutes);
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
  if (
    request.vendorId !== expected.vendorId ||
    !same(request.targets, expected.targets) ||
    !same(request.ports, expected.ports) ||
    request.startAt !== expected.startAt ||
    request.breakGlass
  ) {
    throw new ValidationError(
      'extends',
      'EXTENSION_MISMATCH',
      `an extension of ${original.grantId} must keep its vendor, targets and ports and start at its expiry ${original.expiresAt}: use "jit-access extend ${original.grantId} --by <minutes>"`,
    );
  }
}

/** What approvers read about an extension: what stays and what changes. */
export function extensionDelta(original: GrantRecord, newExpiresAt: string): string {
  return `extends grant ${original.grantId}: same vendor, targets and ports; access that would end at ${original.expiresAt} continues until ${newExpiresAt} (a new role the vendor assumes then)`;
}
