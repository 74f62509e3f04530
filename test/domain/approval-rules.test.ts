import { assertMayVote, hasEnoughApprovals } from '../../lambdas/domain/approval-rules';
import { ApprovalError } from '../../lambdas/domain/errors';
import type { GrantStatus } from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';

const SPONSOR = 'arn:aws:sts::111122223333:assumed-role/PlatformSponsors/jane';
const ALICE = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/alice';
const BOB = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/bob';
const CAROL = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/carol';
const APPROVER_PATTERN = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/*';

const pendingGrant = { requester: SPONSOR, status: 'PENDING' as GrantStatus };

/** The example approvers: alice, bob and carol by exact ARN, two of them needed. */
function exactApprovers() {
  return exampleConfig().approvers;
}

/** Anyone in the SecurityApprovers role, one needed. */
function patternApprovers() {
  return exampleConfig((raw) => {
    raw.approvers = { principals: [APPROVER_PATTERN], minApprovals: 1 };
  }).approvers;
}

/** The ApprovalError `act` throws; any other outcome fails the test. */
function approvalErrorOf(act: () => unknown): ApprovalError {
  try {
    act();
  } catch (error) {
    if (error instanceof ApprovalError) return error;
    throw error;
  }
  throw new Error('expected an ApprovalError, but nothing was thrown');
}

describe('assertMayVote', () => {
  test('lets a listed approver vote on a pending grant someone else requested', () => {
    // Prepare
    const approvers = exactApprovers();

    // Act
    const act = () => assertMayVote(BOB, pendingGrant, approvers);

    // Assess
    expect(act).not.toThrow();
  });

  test('refuses the requester voting on their own grant', () => {
    // Prepare
    const grant = { requester: ALICE, status: 'PENDING' as GrantStatus };

    // Act
    const error = approvalErrorOf(() => assertMayVote(ALICE, grant, exactApprovers()));

    // Assess
    expect(error.code).toBe('SELF_APPROVAL');
    expect(error.message).toContain('ask another approver');
  });

  test('refuses the requester even when approvers are given by pattern', () => {
    // Prepare
    const requester = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/dave';
    const grant = { requester, status: 'PENDING' as GrantStatus };

    // Act
    const error = approvalErrorOf(() => assertMayVote(requester, grant, patternApprovers()));

    // Assess
    expect(error.code).toBe('SELF_APPROVAL');
  });

  test('refuses a principal that is not an approver', () => {
    // Prepare
    const outsider = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/mallory';

    // Act
    const error = approvalErrorOf(() => assertMayVote(outsider, pendingGrant, exactApprovers()));

    // Assess
    expect(error.code).toBe('NOT_AN_APPROVER');
    expect(error.message).toContain('jitAccess.approvers.principals');
  });

  test('lets any session of the approver role vote when approvers are given by pattern', () => {
    // Prepare
    const dave = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/dave';

    // Act
    const act = () => assertMayVote(dave, pendingGrant, patternApprovers());

    // Assess
    expect(act).not.toThrow();
  });

  test.each([
    ['another role', 'arn:aws:sts::111122223333:assumed-role/PlatformSponsors/alice'],
    [
      'a role whose name only starts like the approver role',
      'arn:aws:sts::111122223333:assumed-role/SecurityApproversTemp/alice',
    ],
    ['the same role in another account', 'arn:aws:sts::444455556666:assumed-role/SecurityApprovers/alice'],
  ])('refuses %s against a pattern approver', (_description, voter) => {
    // Prepare
    const approvers = patternApprovers();

    // Act
    const error = approvalErrorOf(() => assertMayVote(voter, pendingGrant, approvers));

    // Assess
    expect(error.code).toBe('NOT_AN_APPROVER');
  });

  test.each<GrantStatus>(['APPROVED', 'DENIED', 'EXPIRED', 'ACTIVE', 'REVOKED'])(
    'refuses a vote on a grant that is %s',
    (status) => {
      // Prepare
      const grant = { requester: SPONSOR, status };

      // Act
      const error = approvalErrorOf(() => assertMayVote(BOB, grant, exactApprovers()));

      // Assess
      expect(error.code).toBe('NOT_PENDING');
      expect(error.message).toContain(`the grant is ${status}`);
    },
  );
});

describe('hasEnoughApprovals', () => {
  test('does not count the same approver twice', () => {
    // Prepare
    const approvals = [ALICE, ALICE];

    // Act
    const enough = hasEnoughApprovals(approvals, 2);

    // Assess
    expect(enough).toBe(false);
  });

  test('finds one approval of three approvers not enough when two are needed', () => {
    // Prepare
    const approvals = [CAROL];

    // Act
    const enough = hasEnoughApprovals(approvals, 2);

    // Assess
    expect(enough).toBe(false);
  });

  test('finds two distinct approvals of three approvers enough when two are needed', () => {
    // Prepare
    const approvals = [ALICE, CAROL];

    // Act
    const enough = hasEnoughApprovals(approvals, 2);

    // Assess
    expect(enough).toBe(true);
  });

  test('finds no approvals not enough when one is needed', () => {
    // Prepare
    const approvals: string[] = [];

    // Act
    const enough = hasEnoughApprovals(approvals, 1);

    // Assess
    expect(enough).toBe(false);
  });
});
