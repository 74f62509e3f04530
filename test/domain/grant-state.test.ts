import { TransitionError } from '../../lambdas/domain/errors';
import {
  allowedSources,
  assertTransition,
  canTransition,
  LIVE_STATUSES,
  TERMINAL_STATUSES,
} from '../../lambdas/domain/grant-state';
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

  test.each<GrantStatus>(['DENIED', 'EXPIRED', 'REVOKED'])('lets a %s grant go nowhere', (from) => {
    // Prepare
    const destinations = GRANT_STATUSES;

    // Act
    const reachable = destinations.filter((to) => canTransition(from, to));

    // Assess
    expect(reachable).toEqual([]);
  });
});

describe('assertTransition', () => {
  test('accepts an allowed transition', () => {
    // Prepare
    const from: GrantStatus = 'PENDING';

    // Act
    const act = () => assertTransition(from, 'APPROVED');

    // Assess
    expect(act).not.toThrow();
  });

  test('throws a TransitionError naming both statuses for a refused transition', () => {
    // Prepare
    const from: GrantStatus = 'ACTIVE';

    // Act
    const act = () => assertTransition(from, 'PENDING');

    // Assess
    expect(act).toThrow(TransitionError);
    expect(act).toThrow('a grant cannot go from ACTIVE to PENDING');
  });
});

describe('allowedSources', () => {
  test('lets only a pending grant become approved', () => {
    // Prepare
    const to: GrantStatus = 'APPROVED';

    // Act
    const sources = allowedSources(to);

    // Assess
    expect(sources).toEqual(['PENDING']);
  });

  test('lets the sweeper start revoking a failed grant, besides granting and active ones', () => {
    // Prepare
    const to: GrantStatus = 'REVOKING';

    // Act
    const sources = allowedSources(to);

    // Assess
    expect([...sources].sort()).toEqual(['ACTIVE', 'FAILED', 'GRANTING']);
  });

  test('revokes directly only what created nothing yet or is being revoked', () => {
    // Prepare
    const to: GrantStatus = 'REVOKED';

    // Act
    const sources = allowedSources(to);

    // Assess
    expect([...sources].sort()).toEqual(['APPROVED', 'PENDING', 'REVOKING']);
  });

  test('lets nothing go back to pending', () => {
    // Prepare
    const to: GrantStatus = 'PENDING';

    // Act
    const sources = allowedSources(to);

    // Assess
    expect(sources).toEqual([]);
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
