import {
  AccessDeniedError,
  ApprovalError,
  GrantFailedError,
  NotFoundError,
  NotStartedError,
  TransitionError,
  ValidationError,
} from '../../lambdas/domain/errors';

/**
 * Each error's name is what logs, the workflow (`jit.GrantFailed` is a Catch in the state machine) and the API's
 * mapping to HTTP statuses see; its message says what happened. The titles name the classes by hand: a title made
 * from the error itself would change with the code under test (and mutation testing would then skip the test).
 */
describe('the domain errors', () => {
  test.each<[string, () => Error, string, string]>([
    [
      'ValidationError',
      () => new ValidationError('ticket', 'INVALID_FIELD', 'is empty'),
      'jit.ValidationError',
      'ticket: is empty',
    ],
    [
      'NotStartedError',
      () => new NotStartedError('2030-03-01T09:00:00.000Z', 'the grant'),
      'jit.NotStarted',
      'startAt: the grant starts at 2030-03-01T09:00:00.000Z, not before',
    ],
    ['ApprovalError', () => new ApprovalError('SELF_APPROVAL', 'not your own'), 'jit.ApprovalError', 'not your own'],
    [
      'GrantFailedError',
      () => new GrantFailedError('g-1', 'create role', new Error('boom')),
      'jit.GrantFailed',
      'grant g-1 failed at create role: boom',
    ],
    [
      'GrantFailedError of a thrown string',
      () => new GrantFailedError('g-1', 'create role', 'text'),
      'jit.GrantFailed',
      'grant g-1 failed at create role: text',
    ],
    [
      'TransitionError',
      () => new TransitionError('ACTIVE', 'PENDING'),
      'jit.TransitionError',
      'a grant cannot go from ACTIVE to PENDING',
    ],
    [
      'AccessDeniedError',
      () => new AccessDeniedError('NOT_AN_ADMIN', 'admins only'),
      'jit.AccessDenied',
      'admins only',
    ],
    ['NotFoundError', () => new NotFoundError('grantId', 'no grant g-1'), 'jit.NotFound', 'no grant g-1'],
  ])('%s has the name logs and the workflow expect, and its message', (_, make, name, message) => {
    const error = make();
    expect(error.name).toBe(name);
    expect(error.message).toBe(message);
  });
});
