/**
 * Typed errors. `name` is what Step Functions sees as the error (catchers match on it), so each is stable and
 * prefixed with "jit.".
 */

/** A request broke a business rule; nothing was written. */
export class ValidationError extends Error {
  override readonly name: string = 'jit.ValidationError';
  constructor(
    public readonly field: string,
    public readonly code: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * The grant step ran before the grant's start: nothing was created. Its own name, so the workflow retries it for a
 * moment (a clock a little behind the Wait state's) instead of failing the grant.
 */
export class NotStartedError extends ValidationError {
  override readonly name = 'jit.NotStarted';
  constructor(startAt: string, what: string) {
    super('startAt', 'EARLY_START', `${what} starts at ${startAt}, not before`);
  }
}

/** A vote was refused (self-approval, not an approver, already decided, ...). */
export class ApprovalError extends Error {
  override readonly name = 'jit.ApprovalError';
  constructor(
    public readonly code: 'SELF_APPROVAL' | 'NOT_AN_APPROVER' | 'DUPLICATE_VOTE' | 'NOT_PENDING' | 'UNKNOWN_GRANT',
    message: string,
  ) {
    super(message);
  }
}

/** The grant could not be completed; what it had created was removed by the revoke path. */
export class GrantFailedError extends Error {
  override readonly name = 'jit.GrantFailed';
  constructor(
    public readonly grantId: string,
    public readonly step: string,
    cause: unknown,
  ) {
    super(`grant ${grantId} failed at ${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** A grant is not in a state that allows the requested transition. */
export class TransitionError extends Error {
  override readonly name = 'jit.TransitionError';
  constructor(
    public readonly from: string,
    public readonly to: string,
  ) {
    super(`a grant cannot go from ${from} to ${to}`);
  }
}

/** The caller may not do this: not a configured person, or not in the role the action needs. */
export class AccessDeniedError extends Error {
  override readonly name = 'jit.AccessDenied';
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The thing named does not exist (a grant id, a vendor id). */
export class NotFoundError extends Error {
  override readonly name = 'jit.NotFound';
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
