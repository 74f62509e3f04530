import { parseConfig } from '../../lib/config/load-config';
import type { JitAccessConfigInput } from '../../lib/config/schema';
import { exampleConfigInput, problemsOf } from '../helpers/config-fixture';

const PINNED_ROLE = 'arn:aws:iam::111122223333:role/SecurityApprovers';
const PERSON_REFERENCE_RULE =
  'must name a person from jitAccess.people (e.g. "alice"), not an ARN or a pattern: a pattern can let one person appear under two names';

/** The example with `change` applied to its raw copy. */
function exampleWith(change: (raw: JitAccessConfigInput) => void): JitAccessConfigInput {
  const raw = exampleConfigInput();
  change(raw);
  return raw;
}

describe('people in the config', () => {
  test('parses every person of the example with their identities', () => {
    // Prepare
    const raw = exampleConfigInput();

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.people).toEqual({
      dana: [{ identityCenterUser: 'dana@example.com' }],
      alice: [{ identityCenterUser: 'alice@example.com' }],
      bob: [{ iamUser: 'arn:aws:iam::111122223333:user/bob' }],
      carol: [{ roleSession: { role: PINNED_ROLE, sessionName: 'carol' } }],
      erin: [{ identityCenterUser: 'erin@example.com' }],
    });
  });

  test('accepts a person with several identities of different kinds', () => {
    // Prepare
    const raw = exampleWith((r) => {
      r.people.alice!.push({ iamUser: 'arn:aws:iam::111122223333:user/alice' });
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([]);
  });

  test('accepts two people as two sessions of the same pinned role', () => {
    // Prepare
    const raw = exampleWith((r) => {
      r.people.frank = [{ roleSession: { role: PINNED_ROLE, sessionName: 'frank' } }];
    });

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.people.frank).toEqual([{ roleSession: { role: PINNED_ROLE, sessionName: 'frank' } }]);
    expect(config.people.carol).toEqual([{ roleSession: { role: PINNED_ROLE, sessionName: 'carol' } }]);
  });

  test('accepts a person who lists the same identity twice, since it is still only theirs', () => {
    // Prepare
    const raw = exampleWith((r) => {
      r.people.bob!.push({ iamUser: 'arn:aws:iam::111122223333:user/bob' });
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([]);
  });

  test('accepts Identity Center accounts other than the stack account', () => {
    // Prepare
    const raw = exampleWith((r) => {
      r.identityCenterAccounts = ['777788889999'];
    });

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.identityCenterAccounts).toEqual(['777788889999']);
  });

  describe('reports', () => {
    test.each<[string, (raw: JitAccessConfigInput) => void, string]>([
      [
        'a vendor sponsor',
        (r) => {
          r.vendors[1]!.sponsors = ['dana', 'frank'];
        },
        'jitAccess.vendors[1].sponsors[1]',
      ],
      [
        'an approver',
        (r) => {
          r.approvers.people = ['alice', 'bob', 'frank'];
        },
        'jitAccess.approvers.people[2]',
      ],
      [
        'an admin',
        (r) => {
          r.admins = ['frank'];
        },
        'jitAccess.admins[0]',
      ],
      [
        'an auditor',
        (r) => {
          r.auditors = ['frank'];
        },
        'jitAccess.auditors[0]',
      ],
      [
        'a break-glass person',
        (r) => {
          r.breakGlass!.people = ['erin', 'frank'];
        },
        'jitAccess.breakGlass.people[1]',
      ],
    ])('%s who is not in people, at its path', (_role, change, path) => {
      // Prepare
      const raw = exampleWith(change);

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        `${path}: "frank" is not in jitAccess.people: add the person with their AWS identities, or fix the name`,
      ]);
    });

    test('an Identity Center user listed for two people, at the second listing', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.frank = [{ identityCenterUser: 'alice@example.com' }];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        "jitAccess.people.frank[0]: Identity Center user alice@example.com is already alice's: an identity belongs to one person only",
      ]);
    });

    test('an IAM user listed for two people', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.frank = [
          { identityCenterUser: 'frank@example.com' },
          { iamUser: 'arn:aws:iam::111122223333:user/bob' },
        ];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        "jitAccess.people.frank[1]: arn:aws:iam::111122223333:user/bob is already bob's: an identity belongs to one person only",
      ]);
    });

    test('an IAM user listed for two people under two paths, since a user name is unique in its account', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.frank = [{ iamUser: 'arn:aws:iam::111122223333:user/contractors/bob' }];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^jitAccess\.people\.frank\[0\]: .* is already bob's/);
    });

    test('a pinned role session listed for two people', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.frank = [{ roleSession: { role: PINNED_ROLE, sessionName: 'carol' } }];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        `jitAccess.people.frank[0]: ${PINNED_ROLE} session carol is already carol's: an identity belongs to one person only`,
      ]);
    });

    test('a role session whose role is not in pinnedSessionRoles, saying how to pin it', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.pinnedSessionRoles = [];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        `jitAccess.people.carol[0].roleSession.role: ${PINNED_ROLE} does not pin session names: whoever may assume it can choose any session name and appear as two people. Add the trust condition from the README ("People") and list the role in jitAccess.pinnedSessionRoles, or name carol by IAM user or Identity Center user`,
      ]);
    });

    test('a role session of another role than the pinned one', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.carol = [{ roleSession: { role: 'arn:aws:iam::111122223333:role/Developers', sessionName: 'carol' } }];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^jitAccess\.people\.carol\[0\]\.roleSession\.role: arn:aws:iam::111122223333:role\/Developers does not pin session names/,
      );
    });

    test('an Identity Center role named as a role session, pointing to identityCenterUser', () => {
      // Prepare
      const raw = exampleWith((r) => {
        const role = 'arn:aws:iam::111122223333:role/AWSReservedSSO_JitAccessUsers_0123456789abcdef';
        r.pinnedSessionRoles = [PINNED_ROLE, role];
        r.people.frank = [{ roleSession: { role, sessionName: 'frank@example.com' } }];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toContain(
        'jitAccess.pinnedSessionRoles[1]: is an IAM Identity Center role: name the person with {"identityCenterUser": "<user name>"} instead',
      );
      expect(problems).toContain(
        'jitAccess.people.frank[0].roleSession.role: is an IAM Identity Center role: name the person with {"identityCenterUser": "<user name>"} instead',
      );
    });

    test('an IAM user given with a wildcard', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.bob = [{ iamUser: 'arn:aws:iam::111122223333:user/*' }];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        'jitAccess.people.bob[0].iamUser: must be an IAM user ARN without wildcards, such as "arn:aws:iam::111122223333:user/alice"',
      ]);
    });

    test('a person with no identity', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.frank = [];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual(['jitAccess.people.frank: list at least one identity of this person']);
    });

    test('an Identity Center account that is not a 12-digit account id', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.identityCenterAccounts = ['1111-2222-3333'];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual(['jitAccess.identityCenterAccounts[0]: must be a 12-digit account id']);
    });

    test('an ARN given as a sponsor instead of a person', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.vendors[0]!.sponsors = ['arn:aws:iam::111122223333:user/bob'];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toContain(`jitAccess.vendors[0].sponsors[0]: ${PERSON_REFERENCE_RULE}`);
    });

    test('an ARN pattern given as an approver instead of a person', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.approvers.people = ['alice', 'bob', 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/*'];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toContain(`jitAccess.approvers.people[2]: ${PERSON_REFERENCE_RULE}`);
    });

    test('a name pattern given as an approver', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.approvers.people = ['alice', 'bob', 'car*'];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toContain(`jitAccess.approvers.people[2]: ${PERSON_REFERENCE_RULE}`);
    });

    test('a reference to a name the system uses for itself', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.admins = ['sweeper'];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toContain(
        "jitAccess.admins[0]: is reserved for the system's own history entries (workflow, grant, sweeper, scheduler, expiry-schedule, system): choose another name",
      );
    });

    test('a person named after a part of the system, saying the name is reserved', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.people.system = [{ identityCenterUser: 'ops@example.com' }];
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^jitAccess\.people\.system: .*is reserved for the system's own history entries/);
    });

    test('a sponsor who also approves when the other approvers cannot reach minApprovals', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.vendors[0]!.sponsors = ['alice'];
        r.approvers.minApprovals = 3;
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        'jitAccess.vendors[0].sponsors[0]: alice is also an approver, so only 2 others could approve their requests, fewer than minApprovals (3): add an approver or lower minApprovals',
      ]);
    });

    test('a break-glass person who also approves when the other approvers cannot reach minApprovals', () => {
      // Prepare
      const raw = exampleWith((r) => {
        r.breakGlass!.people = ['alice'];
        r.approvers.minApprovals = 3;
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^jitAccess\.breakGlass\.people\[0\]: alice is also an approver/);
    });

    test('the old approvers.principals key, asking for approvers.people', () => {
      // Prepare
      const raw = exampleWith((r) => {
        Object.assign(r.approvers, { principals: ['arn:aws:sts::111122223333:assumed-role/SecurityApprovers/*'] });
        Reflect.deleteProperty(r.approvers, 'people');
      });

      // Act
      const problems = problemsOf(raw);

      // Assess
      expect(problems).toEqual([
        'jitAccess.approvers.people: is required',
        'jitAccess.approvers: has unknown field(s) principals: remove or fix the spelling',
      ]);
    });
  });

  test('accepts a sponsor who also approves when the other approvers still reach minApprovals', () => {
    // Prepare
    const raw = exampleWith((r) => {
      r.vendors[0]!.sponsors = ['alice'];
    });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([]);
  });
});
