import {
  accessMinutesOf,
  cloudTrailWindow,
  endedAtOf,
  outcomeOf,
  transcriptFileOf,
} from '../../lambdas/domain/audit-report';
import type { GrantRecord, GrantStatus } from '../../lambdas/domain/types';

/** The fields of a grant these functions read; the rest is not looked at. */
function grant(fields: Partial<GrantRecord> & { status: GrantStatus }): GrantRecord {
  return {
    grantId: 'g-0123456789ab',
    plan: { window: { startAt: '2030-03-01T09:00:00.000Z', expiresAt: '2030-03-01T11:00:00.000Z' } },
    created: {},
    createdAt: '2030-03-01T08:50:00.000Z',
    updatedAt: '2030-03-01T12:00:00.000Z',
    ...fields,
  } as unknown as GrantRecord;
}

describe("a grant's outcome in a reviewer's words", () => {
  test.each<[GrantStatus, string]>([
    ['PENDING', 'waiting for approval'],
    ['APPROVED', 'approved, not started yet'],
    ['DENIED', 'denied'],
    ['EXPIRED', 'never granted (approval timed out or cancelled)'],
    ['GRANTING', 'being granted'],
    ['ACTIVE', 'active'],
    ['REVOKING', 'revoke incomplete: residue left for the sweeper'],
    ['FAILED', 'grant failed: what it created was removed'],
  ])('%s: %s', (status, words) => {
    expect(outcomeOf(grant({ status }))).toBe(words);
  });

  test.each<[GrantRecord['revokeReason'], string]>([
    ['expiry', 'expired at the end of its window'],
    ['kill-switch', 'revoked (kill-switch)'],
    [undefined, 'revoked (before it started)'],
  ])('REVOKED for %s: %s', (revokeReason, words) => {
    expect(outcomeOf(grant({ status: 'REVOKED', ...(revokeReason ? { revokeReason } : {}) }))).toBe(words);
  });
});

describe('when access ended', () => {
  it('is the residue check of a revoke, else the last change, for grants that are over or being revoked', () => {
    const checked = { checkedAt: '2030-03-01T10:30:00.000Z', residue: {} } as GrantRecord['residueCheck'];
    expect(endedAtOf(grant({ status: 'REVOKED', residueCheck: checked }))).toBe('2030-03-01T10:30:00.000Z');
    expect(endedAtOf(grant({ status: 'FAILED' }))).toBe('2030-03-01T12:00:00.000Z');
    expect(endedAtOf(grant({ status: 'REVOKING' }))).toBe('2030-03-01T12:00:00.000Z');
  });

  test.each<GrantStatus>(['PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'GRANTING', 'ACTIVE'])(
    'is not set while %s',
    (status) => {
      expect(endedAtOf(grant({ status, updatedAt: '2030-03-01T12:00:00.000Z' }))).toBeUndefined();
    },
  );
});

describe('minutes of access', () => {
  const now = new Date('2030-03-01T10:00:00.000Z');
  const granted = { roleArn: 'arn:role' };

  it('is 0 for a grant that never made its role, or has no expiry', () => {
    expect(accessMinutesOf(grant({ status: 'DENIED' }), now)).toBe(0);
    expect(accessMinutesOf(grant({ status: 'ACTIVE', created: granted }), now)).toBe(0);
  });

  it('runs from the window start to now while active', () => {
    const active = grant({ status: 'ACTIVE', created: granted, expiresAt: '2030-03-01T11:00:00.000Z' });
    expect(accessMinutesOf(active, now)).toBe(60);
  });

  it('ends at the revoke, or at the expiry when that came first', () => {
    const revoked = {
      status: 'REVOKED' as const,
      created: granted,
      expiresAt: '2030-03-01T11:00:00.000Z',
      residueCheck: { checkedAt: '2030-03-01T09:20:29.000Z', residue: {} } as GrantRecord['residueCheck'],
    };
    expect(accessMinutesOf(grant(revoked), now)).toBe(20);
    expect(accessMinutesOf(grant({ ...revoked, expiresAt: '2030-03-01T09:10:00.000Z' }), now)).toBe(10);
  });

  it('is never negative', () => {
    const early = grant({ status: 'ACTIVE', created: granted, expiresAt: '2030-03-01T11:00:00.000Z' });
    expect(accessMinutesOf(early, new Date('2030-03-01T08:00:00.000Z'))).toBe(0);
  });
});

describe("the part of a window CloudTrail's 90-day history still holds", () => {
  const now = new Date('2030-06-01T00:00:00.000Z');
  const historyStart = '2030-03-03T00:00:00.000Z';

  it('is the whole window when it lies within the history', () => {
    expect(cloudTrailWindow('2030-05-01T00:00:00.000Z', '2030-05-02T00:00:00.000Z', now)).toEqual({
      from: '2030-05-01T00:00:00.000Z',
      to: '2030-05-02T00:00:00.000Z',
    });
  });

  it('starts at the history when the window began before it, and says so', () => {
    expect(cloudTrailWindow('2030-03-01T00:00:00.000Z', '2030-03-05T00:00:00.000Z', now)).toEqual({
      from: historyStart,
      to: '2030-03-05T00:00:00.000Z',
      historyStartsAt: historyStart,
    });
  });

  it('is gone when the whole window is older than the history', () => {
    expect(cloudTrailWindow('2030-02-01T00:00:00.000Z', '2030-03-02T23:59:59.000Z', now)).toBe('gone');
  });

  it('is kept when it ends exactly where the history starts', () => {
    expect(cloudTrailWindow('2030-03-02T00:00:00.000Z', historyStart, now)).toEqual({
      from: historyStart,
      to: historyStart,
      historyStartsAt: historyStart,
    });
  });
});

describe("a session's transcript file in the bundle", () => {
  it('keeps letters, digits, dots, dashes and underscores, and replaces anything else', () => {
    expect(transcriptFileOf('acme-0a1b2c.3_x')).toBe('transcripts/acme-0a1b2c.3_x.log');
    expect(transcriptFileOf('../etc/passwd')).toBe('transcripts/.._etc_passwd.log');
  });
});
