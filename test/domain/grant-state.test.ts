import { TransitionError } from '../../lambdas/domain/errors';
import { assertTransitions, canTransition, LIVE_STATUSES, TERMINAL_STATUSES } from '../../lambdas/domain/grant-state';
import { GRANT_STATUSES, type GrantStatus } from '../../lambdas/domain/types';

describe('canTransition', () => {
  test.each<[GrantStatus, GrantStatus]>([
    ['PENDING', 'APPROVED'],
    ['PENDING', 'DENIED'],
    ['PENDING', 'EXPIRED'],
    ['PENDING', 'REVOKED'],
    ['APPROVED', 'GRANTING'],
    ['APPROVED', 'REVOKED'],
    ['GRANTING', 'ACTIVE'],
    ['GRANTING', 'FAILED'],
    ['ACTIVE', 'REVOKING'],
    ['REVOKING', 'REVOKED'],
    ['REVOKING', 'FAILED'],
    ['FAILED', 'REVOKING'],
  ])('allows %s to %s', (from, to) => {
    // Prepare
    const transition = { from, to };

    // Act
    const allowed = canTransition(transition.from, transition.to);

    // Assess
    expect(allowed).toBe(true);
  });

  test.each<[GrantStatus, GrantStatus]>([
    ['ACTIVE', 'PENDING'],
    ['ACTIVE', 'REVOKED'],
    ['PENDING', 'ACTIVE'],
    ['PENDING', 'GRANTING'],
    ['APPROVED', 'ACTIVE'],
    ['DENIED', 'APPROVED'],
    ['EXPIRED', 'APPROVED'],
    ['REVOKED', 'ACTIVE'],
    ['FAILED', 'ACTIVE'],
  ])('refuses %s to %s', (from, to) => {
    // Prepare
    const transition = { from, to };

    // Act
    const allowed = canTransition(transition.from, transition.to);

    // Assess
    expect(allowed).toBe(false);
  });

  test.each<GrantStatus>(['DENIED', 'EXPIRED'])('lets a %s grant go nowhere', (from) => {
    // Prepare
    const destinations = GRANT_STATUSES;

    // Act
    const reachable = destinations.filter((to) => canTransition(from, to));

    // Assess
    expect(reachable).toEqual([]);
  });
});

test('lets a REVOKED grant go back only to REVOKING (a lock SSM reported failed after the revoke ended)', () => {
  // Act
  const reachable = GRANT_STATUSES.filter((to) => canTransition('REVOKED', to));

  // Assess
  expect(reachable).toEqual(['REVOKING']);
});

describe('assertTransitions', () => {
  test('accepts changes the table holds from every source', () => {
    // Act
    const act = () => assertTransitions(['GRANTING', 'ACTIVE', 'REVOKING', 'FAILED'], 'REVOKING');

    // Assess
    expect(act).not.toThrow();
  });

  test('throws a TransitionError naming the first source the table refuses', () => {
    // Act
    const act = () => assertTransitions(['PENDING', 'ACTIVE'], 'APPROVED');

    // Assess
    expect(act).toThrow(TransitionError);
    expect(act).toThrow('a grant cannot go from ACTIVE to APPROVED');
  });

  test('lets a revoke start again on a grant it left REVOKING', () => {
    // Act
    const allowed = canTransition('REVOKING', 'REVOKING');

    // Assess
    expect(allowed).toBe(true);
  });
});

describe('status sets', () => {
  test('counts denied, expired and revoked grants as terminal, and not a failed one the sweeper may still clean', () => {
    // Prepare
    const terminal = TERMINAL_STATUSES;

    // Act
    const sorted = [...terminal].sort();

    // Assess
    expect(sorted).toEqual(['DENIED', 'EXPIRED', 'REVOKED']);
  });

  test('counts granting, active and revoking grants as live', () => {
    // Prepare
    const live = LIVE_STATUSES;

    // Act
    const sorted = [...live].sort();

    // Assess
    expect(sorted).toEqual(['ACTIVE', 'GRANTING', 'REVOKING']);
  });
});
