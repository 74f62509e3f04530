import {
  assertMayVote,
  countedApprovals,
  hasEnoughApprovals,
  isOpenForVotes,
  type VoteContext,
} from '../../lambdas/domain/approval-rules';
import { ApprovalError } from '../../lambdas/domain/errors';
import { personOf, type Caller } from '../../lambdas/domain/identity';
import type { GrantStatus, Vote } from '../../lambdas/domain/types';
import { exampleConfig } from '../helpers/config-fixture';
import { ACCOUNT_ID, ALICE, BOB, CAROL, DANA, ERIN } from '../helpers/handler-deps';

const PLAN_HASH = 'a'.repeat(64);
const OTHER_PLAN_HASH = 'b'.repeat(64);
/** A second identity of alice: her IAM user, besides her Identity Center user. */
const ALICE_IAM_USER = 'arn:aws:iam::111122223333:user/alice';

const pendingGrant: VoteContext = { requester: DANA.person, status: 'PENDING' };

function approval(voter: Caller, planHash = PLAN_HASH): Vote {
  return { person: voter.person, arn: voter.arn, decision: 'approve', at: '2030-03-01T09:05:00.000Z', planHash };
}

/** The example config, with alice also signing in as an IAM user. */
function configWithAliceTwice() {
  return exampleConfig((raw) => {
    raw.people.alice!.push({ iamUser: ALICE_IAM_USER });
  });
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
  test('lets an approver vote on a pending grant someone else requested', () => {
    // Prepare
    const config = exampleConfig();

    // Act
    const act = () => assertMayVote(BOB.person, pendingGrant, config);

    // Assess
    expect(act).not.toThrow();
  });

  test('refuses the requester voting on their own grant', () => {
    // Prepare
    const grant: VoteContext = { requester: ALICE.person, status: 'PENDING' };

    // Act
    const error = approvalErrorOf(() => assertMayVote(ALICE.person, grant, exampleConfig()));

    // Assess
    expect(error.code).toBe('SELF_APPROVAL');
    expect(error.message).toContain('ask another approver');
  });

  test('refuses the requester voting under a second identity of theirs', () => {
    // Prepare
    const config = configWithAliceTwice();
    const grant: VoteContext = { requester: personOf(ALICE.arn, config, ACCOUNT_ID) ?? '', status: 'PENDING' };
    const voter = personOf(ALICE_IAM_USER, config, ACCOUNT_ID) ?? '';

    // Act
    const error = approvalErrorOf(() => assertMayVote(voter, grant, config));

    // Assess
    expect(error.code).toBe('SELF_APPROVAL');
  });

  test('refuses a person who is not an approver, naming the approvers', () => {
    // Prepare
    const grant: VoteContext = { requester: ERIN.person, status: 'PENDING' };

    // Act
    const error = approvalErrorOf(() => assertMayVote(DANA.person, grant, exampleConfig()));

    // Assess
    expect(error.code).toBe('NOT_AN_APPROVER');
    expect(error.message).toContain('jitAccess.approvers.people (alice, bob, carol)');
  });

  test('refuses an approver the current config no longer lists', () => {
    // Prepare
    const config = exampleConfig((raw) => {
      raw.approvers.people = ['alice', 'carol'];
    });

    // Act
    const error = approvalErrorOf(() => assertMayVote(BOB.person, pendingGrant, config));

    // Assess
    expect(error.code).toBe('NOT_AN_APPROVER');
  });

  test.each<GrantStatus>(['APPROVED', 'DENIED', 'EXPIRED', 'ACTIVE', 'REVOKED'])(
    'refuses a vote on a grant that is %s',
    (status) => {
      // Prepare
      const grant: VoteContext = { requester: DANA.person, status };

      // Act
      const error = approvalErrorOf(() => assertMayVote(BOB.person, grant, exampleConfig()));

      // Assess
      expect(error.code).toBe('NOT_PENDING');
      expect(error.message).toContain(`the grant is ${status}`);
    },
  );

  test('lets an approver review an active break-glass grant whose review is pending', () => {
    // Prepare
    const grant: VoteContext = { requester: ERIN.person, status: 'ACTIVE', breakGlass: { review: 'PENDING' } };

    // Act
    const act = () => assertMayVote(CAROL.person, grant, exampleConfig());

    // Assess
    expect(act).not.toThrow();
  });

  test('refuses a vote on a break-glass grant whose review is already approved', () => {
    // Prepare
    const grant: VoteContext = { requester: ERIN.person, status: 'ACTIVE', breakGlass: { review: 'APPROVED' } };

    // Act
    const error = approvalErrorOf(() => assertMayVote(CAROL.person, grant, exampleConfig()));

    // Assess
    expect(error.code).toBe('NOT_PENDING');
  });
});

describe('isOpenForVotes', () => {
  test('finds an overdue break-glass review closed', () => {
    // Prepare
    const grant: VoteContext = { requester: ERIN.person, status: 'ACTIVE', breakGlass: { review: 'OVERDUE' } };

    // Act
    const open = isOpenForVotes(grant);

    // Assess
    expect(open).toBe(false);
  });
});

describe('countedApprovals', () => {
  test('counts the approvers who approved the plan, each by name, in name order', () => {
    // Prepare
    const votes = [approval(CAROL), approval(ALICE)];

    // Act
    const counted = countedApprovals(
      votes,
      { requester: DANA.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      exampleConfig(),
    );

    // Assess
    expect(counted).toEqual(['alice', 'carol']);
  });

  test("does not count a vote whose signed ARN is not the person it names: the ledger's record is a claim", () => {
    // Prepare
    const forged: Vote = { ...approval(CAROL), arn: BOB.arn };

    // Act
    const counted = countedApprovals(
      [forged, approval(ALICE)],
      { requester: DANA.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      exampleConfig(),
    );

    // Assess
    expect(counted).toEqual(['alice']);
  });

  test('does not count the requester, even when they approved under a second identity', () => {
    // Prepare
    const config = configWithAliceTwice();
    const votes = [{ ...approval(ALICE), arn: ALICE_IAM_USER }, approval(BOB)];

    // Act
    const counted = countedApprovals(
      votes,
      { requester: ALICE.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      config,
    );

    // Assess
    expect(counted).toEqual(['bob']);
  });

  test('counts a person who approved under two identities once', () => {
    // Prepare
    const config = configWithAliceTwice();
    const votes = [approval(ALICE), { ...approval(ALICE), arn: ALICE_IAM_USER }];

    // Act
    const counted = countedApprovals(
      votes,
      { requester: DANA.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      config,
    );

    // Assess
    expect(counted).toEqual(['alice']);
  });

  test('does not count an approval given for another plan', () => {
    // Prepare
    const votes = [approval(ALICE), approval(BOB, OTHER_PLAN_HASH)];

    // Act
    const counted = countedApprovals(
      votes,
      { requester: DANA.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      exampleConfig(),
    );

    // Assess
    expect(counted).toEqual(['alice']);
  });

  test('does not count an approval by a person who is not an approver', () => {
    // Prepare
    const votes = [approval(ALICE), approval(ERIN)];

    // Act
    const counted = countedApprovals(
      votes,
      { requester: DANA.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      exampleConfig(),
    );

    // Assess
    expect(counted).toEqual(['alice']);
  });

  test('does not count an approval by a person the current config no longer lists as an approver', () => {
    // Prepare
    const config = exampleConfig((raw) => {
      raw.approvers.people = ['alice', 'carol'];
    });
    const votes = [approval(ALICE), approval(BOB)];

    // Act
    const counted = countedApprovals(
      votes,
      { requester: DANA.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      config,
    );

    // Assess
    expect(counted).toEqual(['alice']);
  });

  test('does not count a deny', () => {
    // Prepare
    const votes: Vote[] = [approval(ALICE), { ...approval(BOB), decision: 'deny' }];

    // Act
    const counted = countedApprovals(
      votes,
      { requester: DANA.person, planHash: PLAN_HASH, stackAccountId: ACCOUNT_ID },
      exampleConfig(),
    );

    // Assess
    expect(counted).toEqual(['alice']);
  });
});

describe('hasEnoughApprovals', () => {
  test('does not count the same approver twice', () => {
    // Prepare
    const approvals = ['alice', 'alice'];

    // Act
    const enough = hasEnoughApprovals(approvals, 2);

    // Assess
    expect(enough).toBe(false);
  });

  test('finds one approval not enough when two are needed', () => {
    // Prepare
    const approvals = ['carol'];

    // Act
    const enough = hasEnoughApprovals(approvals, 2);

    // Assess
    expect(enough).toBe(false);
  });

  test('finds two distinct approvals enough when two are needed', () => {
    // Prepare
    const approvals = ['alice', 'carol'];

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
