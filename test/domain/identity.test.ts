import { AccessDeniedError } from '../../lambdas/domain/errors';
import {
  isAdmin,
  isApprover,
  isBreakGlassPerson,
  isSponsor,
  mayAudit,
  mayOverseeGrant,
  personOf,
  resolveCaller,
  type Caller,
} from '../../lambdas/domain/identity';
import type { JitAccessConfig, VendorConfig } from '../../lib/config/schema';
import { exampleConfig } from '../helpers/config-fixture';
import { ACCOUNT_ID, ALICE, BOB, CAROL, DANA, ERIN, SSO_ROLE } from '../helpers/handler-deps';

const FOREIGN_ACCOUNT = '444455556666';
const OTHER_IDENTITY_CENTER_ACCOUNT = '777788889999';

function acme(config: JitAccessConfig = exampleConfig()): VendorConfig {
  const vendor = config.vendors.find((v) => v.id === 'acme');
  if (!vendor) throw new Error('the example config has no vendor "acme"');
  return vendor;
}

/** The AccessDeniedError `act` throws; any other outcome fails the test. */
function accessDeniedErrorOf(act: () => unknown): AccessDeniedError {
  try {
    act();
  } catch (error) {
    if (error instanceof AccessDeniedError) return error;
    throw error;
  }
  throw new Error('expected an AccessDeniedError, but nothing was thrown');
}

describe('personOf', () => {
  describe('resolves', () => {
    test.each<[string, Caller]>([
      ['an Identity Center user session', DANA],
      ['an IAM user', BOB],
      ['a session of a pinned role named after the person', CAROL],
    ])('%s to the person the config names', (_kind, caller) => {
      // Prepare
      const config = exampleConfig();

      // Act
      const person = personOf(caller.arn, config, ACCOUNT_ID);

      // Assess
      expect(person).toBe(caller.person);
    });

    test('an IAM user whatever its path, since user names are unique in an account', () => {
      // Prepare
      const arn = 'arn:aws:iam::111122223333:user/contractors/bob';

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBe('bob');
    });

    test('every identity of a person with several to the same person', () => {
      // Prepare
      const config = exampleConfig((raw) => {
        raw.people.alice!.push({ iamUser: 'arn:aws:iam::111122223333:user/alice' });
      });

      // Act
      const people = [ALICE.arn, 'arn:aws:iam::111122223333:user/alice'].map((arn) =>
        personOf(arn, config, ACCOUNT_ID),
      );

      // Assess
      expect(people).toEqual(['alice', 'alice']);
    });

    test('an Identity Center session from an account listed in identityCenterAccounts', () => {
      // Prepare
      const config = exampleConfig((raw) => {
        raw.identityCenterAccounts = [OTHER_IDENTITY_CENTER_ACCOUNT];
      });
      const arn = `arn:aws:sts::${OTHER_IDENTITY_CENTER_ACCOUNT}:assumed-role/${SSO_ROLE}/dana@example.com`;

      // Act
      const person = personOf(arn, config, ACCOUNT_ID);

      // Assess
      expect(person).toBe('dana');
    });
  });

  describe('resolves nobody for', () => {
    test('an Identity Center session from an account the config does not trust', () => {
      // Prepare
      const arn = `arn:aws:sts::${FOREIGN_ACCOUNT}:assumed-role/${SSO_ROLE}/dana@example.com`;

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test("an Identity Center session from the stack's account once identityCenterAccounts names others", () => {
      // Prepare
      const config = exampleConfig((raw) => {
        raw.identityCenterAccounts = [OTHER_IDENTITY_CENTER_ACCOUNT];
      });

      // Act
      const person = personOf(DANA.arn, config, ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('a session of an ordinary role whose session name is an Identity Center user name', () => {
      // Prepare
      const arn = 'arn:aws:sts::111122223333:assumed-role/Developers/dana@example.com';

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('a session of a role named like Identity Center roles but without their id suffix', () => {
      // Prepare
      const arn = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_JitAccessUsers/dana@example.com';

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('an Identity Center session of a user the config does not name', () => {
      // Prepare
      const arn = `arn:aws:sts::111122223333:assumed-role/${SSO_ROLE}/mallory@example.com`;

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('a federated user named like an Identity Center user', () => {
      // Prepare
      const arn = 'arn:aws:sts::111122223333:federated-user/dana@example.com';

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('the IAM user of the same name in another account', () => {
      // Prepare
      const arn = `arn:aws:iam::${FOREIGN_ACCOUNT}:user/bob`;

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('an IAM user whose name only starts like a configured one', () => {
      // Prepare
      const arn = 'arn:aws:iam::111122223333:user/bobby';

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('a session of the pinned role under a name the config does not give anyone', () => {
      // Prepare
      const arn = 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/carol2';

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('a session of a role with the pinned role name in another account', () => {
      // Prepare
      const arn = `arn:aws:sts::${FOREIGN_ACCOUNT}:assumed-role/SecurityApprovers/carol`;

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('a session of another role under the pinned session name', () => {
      // Prepare
      const arn = 'arn:aws:sts::111122223333:assumed-role/Developers/carol';

      // Act
      const person = personOf(arn, exampleConfig(), ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test('a session of a role the config lists for a person but does not pin', () => {
      // Prepare
      const config: JitAccessConfig = { ...exampleConfig(), pinnedSessionRoles: [] };

      // Act
      const person = personOf(CAROL.arn, config, ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });

    test.each([
      ['the account root', 'arn:aws:iam::111122223333:root'],
      ['a role ARN rather than a session of it', 'arn:aws:iam::111122223333:role/SecurityApprovers'],
      ['text that is not an ARN', 'carol'],
    ])('%s', (_description, arn) => {
      // Prepare
      const config = exampleConfig();

      // Act
      const person = personOf(arn, config, ACCOUNT_ID);

      // Assess
      expect(person).toBeUndefined();
    });
  });
});

describe('resolveCaller', () => {
  test('answers the person and the ARN they signed with', () => {
    // Prepare
    const arn = BOB.arn;

    // Act
    const caller = resolveCaller(arn, exampleConfig(), ACCOUNT_ID);

    // Assess
    expect(caller).toEqual({ person: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' });
  });

  test('refuses a request that carries no signed identity', () => {
    // Prepare
    const arn = undefined;

    // Act
    const error = accessDeniedErrorOf(() => resolveCaller(arn, exampleConfig(), ACCOUNT_ID));

    // Assess
    expect(error.code).toBe('UNSIGNED_REQUEST');
    expect(error.message).toContain('SigV4-signed');
  });

  test('refuses an identity the config does not name, saying how to be added', () => {
    // Prepare
    const arn = 'arn:aws:iam::111122223333:user/mallory';

    // Act
    const error = accessDeniedErrorOf(() => resolveCaller(arn, exampleConfig(), ACCOUNT_ID));

    // Assess
    expect(error.code).toBe('NOT_A_PERSON');
    expect(error.message).toContain(`${arn} is not a person jit-access knows`);
    expect(error.message).toContain('jitAccess.people');
  });
});

describe('roles of a person', () => {
  test('an approver listed in approvers.people is an approver', () => {
    // Prepare
    const config = exampleConfig();

    // Act
    const approver = isApprover(CAROL.person, config);

    // Assess
    expect(approver).toBe(true);
  });

  test('a sponsor who is not listed among the approvers is no approver', () => {
    // Prepare
    const config = exampleConfig();

    // Act
    const approver = isApprover(DANA.person, config);

    // Assess
    expect(approver).toBe(false);
  });

  test('a person listed in admins is an admin', () => {
    // Prepare
    const config = exampleConfig();

    // Act
    const admin = isAdmin(ERIN.person, config);

    // Assess
    expect(admin).toBe(true);
  });

  test('an approver is no admin unless listed in admins', () => {
    // Prepare
    const config = exampleConfig();

    // Act
    const admin = isAdmin(ALICE.person, config);

    // Assess
    expect(admin).toBe(false);
  });

  test("a person listed in a vendor's sponsors sponsors it", () => {
    // Prepare
    const vendor = acme();

    // Act
    const sponsor = isSponsor(DANA.person, vendor);

    // Assess
    expect(sponsor).toBe(true);
  });

  test("an approver not listed in a vendor's sponsors does not sponsor it", () => {
    // Prepare
    const vendor = acme();

    // Act
    const sponsor = isSponsor(ALICE.person, vendor);

    // Assess
    expect(sponsor).toBe(false);
  });

  test('a person listed in breakGlass.people may use break-glass', () => {
    // Prepare
    const config = exampleConfig();

    // Act
    const breakGlass = isBreakGlassPerson(ERIN.person, config);

    // Assess
    expect(breakGlass).toBe(true);
  });

  test('a sponsor not listed in breakGlass.people may not use break-glass', () => {
    // Prepare
    const config = exampleConfig();

    // Act
    const breakGlass = isBreakGlassPerson(DANA.person, config);

    // Assess
    expect(breakGlass).toBe(false);
  });
});

describe('mayOverseeGrant', () => {
  test.each([
    ['its requester', DANA.person],
    ['an approver', BOB.person],
    ['an admin', ERIN.person],
  ])('lets %s oversee a grant', (_who, person) => {
    // Prepare
    const requester = DANA.person;

    // Act
    const allowed = mayOverseeGrant(person, requester, exampleConfig());

    // Assess
    expect(allowed).toBe(true);
  });

  test('refuses a sponsor overseeing a grant another person requested', () => {
    // Prepare
    const requester = ERIN.person;

    // Act
    const allowed = mayOverseeGrant(DANA.person, requester, exampleConfig());

    // Assess
    expect(allowed).toBe(false);
  });
});

describe('mayAudit', () => {
  test('lets an auditor who is no admin audit', () => {
    // Act
    const allowed = mayAudit(CAROL.person, exampleConfig());

    // Assess
    expect(allowed).toBe(true);
  });

  test('lets an admin who is no auditor audit', () => {
    // Act
    const allowed = mayAudit(ERIN.person, exampleConfig());

    // Assess
    expect(allowed).toBe(true);
  });

  test('refuses an approver who is neither auditor nor admin', () => {
    // Act
    const allowed = mayAudit(ALICE.person, exampleConfig());

    // Assess
    expect(allowed).toBe(false);
  });
});
