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
 * mapping to HTTP statuses see; its message says what happened.
 */
describe('the domain errors', () => {
  test.each<[Error, string, string]>([
    [new ValidationError('ticket', 'INVALID_FIELD', 'is empty'), 'jit.ValidationError', 'ticket: is empty'],
    [
      new NotStartedError('2030-03-01T09:00:00.000Z', 'the grant'),
      'jit.NotStarted',
      'startAt: the grant starts at 2030-03-01T09:00:00.000Z, not before',
    ],
    [new ApprovalError('SELF_APPROVAL', 'not your own'), 'jit.ApprovalError', 'not your own'],
    [
      new GrantFailedError('g-1', 'create role', new Error('boom')),
      'jit.GrantFailed',
      'grant g-1 failed at create role: boom',
    ],
    [new GrantFailedError('g-1', 'create role', 'text'), 'jit.GrantFailed', 'grant g-1 failed at create role: text'],
    [new TransitionError('ACTIVE', 'PENDING'), 'jit.TransitionError', 'a grant cannot go from ACTIVE to PENDING'],
    [new AccessDeniedError('NOT_AN_ADMIN', 'admins only'), 'jit.AccessDenied', 'admins only'],
    [new NotFoundError('grantId', 'no grant g-1'), 'jit.NotFound', 'no grant g-1'],
  ])('%s is named %s', (error, name, message) => {
    expect(error.name).toBe(name);
    expect(error.message).toBe(message);
  });
});
