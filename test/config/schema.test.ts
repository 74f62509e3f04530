import { parseConfig } from '../../lib/config/load-config';
import { exampleConfigInput, problemsOf } from '../helpers/config-fixture';

describe('parseConfig', () => {
  test('accepts the cdk.json example', () => {
    // Prepare
    const raw = exampleConfigInput();

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.vendors.map((v) => v.id)).toEqual(['acme', 'globex']);
    expect(config.targetGroups.map((g) => g.name)).toEqual(['billing-db', 'web-frontend']);
    expect(config.approvers.minApprovals).toBe(2);
  });

  test('applies the documented defaults to fields the config leaves out', () => {
    // Prepare
    const raw = exampleConfigInput();
    const vendor = raw.vendors[0]!;
    for (const field of ['enabled', 'ports', 'maxGrantHours', 'requireMfa'] as const) delete vendor[field];
    for (const field of [
      'iamPath',
      'approvalTimeoutMinutes',
      'session',
      'logRetentionDays',
      'objectLockDays',
      'objectLockMode',
      'notificationEmails',
      'sweeperRateMinutes',
      'archiveAfterDays',
      'archiveStorageClass',
      'cloudTrail',
    ] as const) {
      delete raw[field];
    }
    delete raw.approvers.minApprovals;

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.vendors[0]).toMatchObject({ enabled: true, ports: [], maxGrantHours: 8, requireMfa: true });
    expect(config).toMatchObject({
      iamPath: '/jit-access/',
      approvalTimeoutMinutes: 1440,
      session: { idleTimeoutMinutes: 20, maxSessionDurationMinutes: 240 },
      logRetentionDays: 365,
      objectLockDays: 365,
      objectLockMode: 'COMPLIANCE',
      archiveStorageClass: 'GLACIER',
      cloudTrail: { create: false },
      notificationEmails: [],
      sweeperRateMinutes: 5,
      approvers: { minApprovals: 2 },
    });
  });

  test('applies the documented defaults to the people settings the config leaves out', () => {
    // Prepare
    const raw = exampleConfigInput();
    for (const field of ['pinnedSessionRoles', 'identityCenterAccounts', 'admins', 'breakGlass', 'api'] as const) {
      delete raw[field];
    }
    raw.people.carol = [{ iamUser: 'arn:aws:iam::111122223333:user/carol' }];

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config).toMatchObject({
      pinnedSessionRoles: [],
      identityCenterAccounts: [],
      admins: [],
      breakGlass: { people: [], maxMinutes: 60, reviewWithinHours: 24 },
      api: { throttleRatePerSecond: 10, throttleBurst: 20, createCloudWatchRole: true },
    });
  });

  test('defaults a port range protocol to tcp', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.ports = [{ fromPort: 22, toPort: 22 }];

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.vendors[0]!.ports).toEqual([{ protocol: 'tcp', fromPort: 22, toPort: 22 }]);
  });

  test('reports a malformed CIDR with its path and the expected form', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.allowedCidrs[1] = '10.0.0.0/33';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].allowedCidrs[1]: "10.0.0.0/33" is not a valid CIDR: use a.b.c.d/n with n from 8 to 32',
    ]);
  });

  test('reports a private CIDR because aws:SourceIp only sees public addresses', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.allowedCidrs[0] = '10.1.0.0/16';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].allowedCidrs[0]: "10.1.0.0/16" is not a public range: aws:SourceIp only sees public addresses, so use the vendor\'s public egress range (and never /0)',
    ]);
  });

  test('reports a /0 range as too wide to be a vendor CIDR', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[1]!.allowedCidrs = ['0.0.0.0/0'];

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[1].allowedCidrs[0]: "0.0.0.0/0" is not a valid CIDR: use a.b.c.d/n with n from 8 to 32',
    ]);
  });

  test('refuses a vendor CIDR wider than /24, naming the field and both fixes', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.allowedCidrs[1] = '198.51.100.0/23';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].allowedCidrs[1]: "198.51.100.0/23" is wider than /24: list the vendor\'s actual egress ranges (/24 or narrower), or set jitAccess.vendors[0].allowWideCidr to { "reason": "<why this vendor needs it>" }',
    ]);
  });

  test('accepts a vendor CIDR wider than /24 when allowWideCidr gives a reason', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.allowedCidrs[1] = '198.51.100.0/22';
    raw.vendors[0]!.allowWideCidr = { reason: 'Acme support egress is its whole /22 NAT pool, ticket SEC-42' };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.vendors[0]?.allowedCidrs).toContain('198.51.100.0/22');
  });

  test.each([
    ['an empty reason', ''],
    ['a one-word reason', 'needed-for-the-vendor-support'],
    ['a reason shorter than 20 characters', 'the vendor asked'],
    ['a two-word reason, however long and widely spaced', 'vendor-support-egress-pool    SEC-42'],
  ])('refuses allowWideCidr with %s', (_why, reason) => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.allowedCidrs[1] = '198.51.100.0/22';
    raw.vendors[0]!.allowWideCidr = { reason };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].allowWideCidr.reason: say in a sentence (20 characters or more) why the vendor needs a range wider than /24, e.g. "their support NAT pool is a /22, ticket SEC-42"',
    ]);
  });

  test('accepts allowWideCidr with a reason of exactly 20 characters in exactly three words', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.allowedCidrs[1] = '198.51.100.0/22';
    raw.vendors[0]!.allowWideCidr = { reason: 'their NAT-pool SEC-4' };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.vendors[0]?.allowWideCidr).toEqual({ reason: 'their NAT-pool SEC-4' });
  });

  test('refuses allowWideCidr without a reason', () => {
    // Prepare
    const raw = exampleConfigInput();
    Object.assign(raw.vendors[0]!, { allowWideCidr: {} });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].allowWideCidr.reason: is required']);
  });

  test('reports a vendor referencing a target group that does not exist, listing the ones that do', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[1]!.eligibleTargetGroups[1] = 'web-frontnd';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[1].eligibleTargetGroups[1]: "web-frontnd" is not a target group: add it to targetGroups or use one of billing-db, web-frontend',
    ]);
  });

  test('reports a vendor id used twice at its second use', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[1]!.id = 'acme';

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[1].id: "acme" is used twice: each id must be unique']);
  });

  test('reports a target group name used twice at its second use', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.targetGroups.push({ ...raw.targetGroups[0]!, tagValue: 'billing-db-2' });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.targetGroups[2].name: "billing-db" is used twice: each name must be unique']);
  });

  test('reports minApprovals larger than the number of distinct approvers', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.approvers.minApprovals = 4;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.approvers.minApprovals: 4 approvals can never be reached with 3 distinct approvers: lower minApprovals or add approvers',
    ]);
  });

  test('counts an approver listed twice only once against minApprovals', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.approvers.people = ['alice', 'alice'];

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.approvers.minApprovals: 2 approvals can never be reached with 1 distinct approvers: lower minApprovals or add approvers',
    ]);
  });

  test('reports a wildcard in a vendor principal, which a trust policy cannot hold', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.principals = ['arn:aws:iam::444455556666:role/Acme*'];

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].principals[0]: must be an IAM or STS ARN without wildcards, such as "arn:aws:iam::111122223333:role/Support"',
    ]);
  });

  test.each(['root', 'ec2-user', 'ubuntu', 'ssm-user'])('reports osUser %s as a privileged user', (user) => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.osUser = user;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].osUser: must not be root or a default sudo user of an AMI (ec2-user, ubuntu, ssm-user, ...): create a restricted OS user for the vendor',
    ]);
  });

  test.each([0, 25])('reports maxGrantHours of %d as outside 1-24 hours', (hours) => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.maxGrantHours = hours;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].maxGrantHours: must be between 1 and 24 hours']);
  });

  test('reports port 0 as outside 1-65535', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.ports![0]!.fromPort = 0;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].ports[0].fromPort: ports run from 1 to 65535']);
  });

  test('reports port 70000 as outside 1-65535', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.ports![0]!.toPort = 70000;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].ports[0].toPort: ports run from 1 to 65535']);
  });

  test('reports a port range whose fromPort is larger than its toPort', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.ports = [{ protocol: 'tcp', fromPort: 5433, toPort: 5432 }];

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].ports[0].toPort: fromPort must not be larger than toPort']);
  });

  test.each([0, 61])('reports an idle timeout of %d minutes as outside 1-60', (minutes) => {
    // Prepare
    const raw = exampleConfigInput();
    raw.session = { idleTimeoutMinutes: minutes, maxSessionDurationMinutes: 240 };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.session.idleTimeoutMinutes: must be 1-60 minutes']);
  });

  test('reports a maximum session duration shorter than the idle timeout', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.session = { idleTimeoutMinutes: 30, maxSessionDurationMinutes: 29 };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.session.maxSessionDurationMinutes: must not be shorter than idleTimeoutMinutes',
    ]);
  });

  test('accepts a maximum session duration equal to the idle timeout', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.session = { idleTimeoutMinutes: 30, maxSessionDurationMinutes: 30 };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.session).toEqual({ idleTimeoutMinutes: 30, maxSessionDurationMinutes: 30 });
  });

  test('reports an Object Lock mode other than COMPLIANCE or GOVERNANCE, naming both', () => {
    // Prepare
    const raw = { ...exampleConfigInput(), objectLockMode: 'governance' };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.objectLockMode: must be "COMPLIANCE" (the default) or "GOVERNANCE"']);
  });

  test('leaves evidence in S3 Standard unless archiveAfterDays is set', () => {
    // Act
    const config = parseConfig(exampleConfigInput());

    // Assess
    expect(config.archiveAfterDays).toBeUndefined();
  });

  test('accepts an archive transition while Object Lock still protects the evidence', () => {
    // Prepare
    const raw = {
      ...exampleConfigInput(),
      objectLockDays: 2557,
      archiveAfterDays: 90,
      archiveStorageClass: 'DEEP_ARCHIVE',
    };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config).toMatchObject({ archiveAfterDays: 90, archiveStorageClass: 'DEEP_ARCHIVE' });
  });

  test('reports an archive transition at or after the end of Object Lock, naming both fields and the fix', () => {
    // Prepare
    const raw = { ...exampleConfigInput(), objectLockDays: 365, archiveAfterDays: 365 };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.archiveAfterDays: 365 must be fewer than objectLockDays (365): evidence moves to archive storage while Object Lock still protects it; lower archiveAfterDays or raise objectLockDays',
    ]);
  });

  test('reports an archive storage class S3 lifecycle rules do not offer for evidence, listing the ones it may be', () => {
    // Prepare
    const raw = { ...exampleConfigInput(), archiveStorageClass: 'STANDARD_IA' };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.archiveStorageClass: must be "GLACIER_IR", "GLACIER" (the default) or "DEEP_ARCHIVE"',
    ]);
  });

  test('reports a cloudTrail setting that is not an object with create, naming the field', () => {
    // Prepare
    const raw = { ...exampleConfigInput(), cloudTrail: { create: 'yes' } };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^jitAccess\.cloudTrail\.create: /);
  });

  test('reports a log retention that CloudWatch does not offer, listing the values it does', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.logRetentionDays = 500;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      "jitAccess.logRetentionDays: must be one of CloudWatch's retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
    ]);
  });

  test('reports a CloudWatch retention shorter than a year as too short for audit evidence', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.logRetentionDays = 30;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.logRetentionDays: must be at least 365 days: session logs are audit evidence',
    ]);
  });

  test('reports a misspelt vendor field by name, and the required field it failed to set', () => {
    // Prepare
    const raw = exampleConfigInput();
    const vendor = raw.vendors[0]!;
    Object.assign(vendor, { alowedCidrs: vendor.allowedCidrs });
    Reflect.deleteProperty(vendor, 'allowedCidrs');

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].allowedCidrs: is required',
      'jitAccess.vendors[0]: has unknown field(s) alowedCidrs: remove or fix the spelling',
    ]);
  });

  test('reports a misspelt top-level field instead of silently applying the default', () => {
    // Prepare
    const raw = { ...exampleConfigInput(), sweeperRate: 10 };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess: has unknown field(s) sweeperRate: remove or fix the spelling']);
  });

  test('reports a missing required field as required', () => {
    // Prepare
    const raw = exampleConfigInput();
    Reflect.deleteProperty(raw.vendors[0]!, 'externalId');

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].externalId: is required']);
  });

  test('reports a value of the wrong type as such, not as missing', () => {
    // Prepare
    const raw = exampleConfigInput();
    Object.assign(raw.vendors[0]!.ports![0]!, { fromPort: '5432' });

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].ports[0].fromPort: must be a number, not "5432"']);
  });

  test('reports a fractional number where a whole one is needed', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.maxGrantHours = 1.5;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess.vendors[0].maxGrantHours: must be a whole number, not 1.5']);
  });

  test('reports every problem at once, one line each', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.allowedCidrs[1] = '10.0.0.0/33';
    raw.vendors[1]!.maxGrantHours = 25;
    raw.approvers.minApprovals = 4;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'jitAccess.vendors[0].allowedCidrs[1]: "10.0.0.0/33" is not a valid CIDR: use a.b.c.d/n with n from 8 to 32',
      'jitAccess.vendors[1].maxGrantHours: must be between 1 and 24 hours',
      'jitAccess.approvers.minApprovals: 4 approvals can never be reached with 3 distinct approvers: lower minApprovals or add approvers',
    ]);
  });

  test('prints every problem on its own indented line in the error message', () => {
    // Prepare
    const raw = exampleConfigInput();
    raw.vendors[0]!.maxGrantHours = 0;
    raw.logRetentionDays = 30;

    // Act
    const act = (): unknown => parseConfig(raw);

    // Assess
    expect(act).toThrow(
      'Invalid jit-access config (cdk.json context "jitAccess"):\n' +
        '  jitAccess.vendors[0].maxGrantHours: must be between 1 and 24 hours\n' +
        '  jitAccess.logRetentionDays: must be at least 365 days: session logs are audit evidence',
    );
  });

  test('reports a missing jitAccess context with where to add it', () => {
    // Prepare
    const raw = undefined;

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess: is missing: add a "jitAccess" object under "context" in cdk.json']);
  });

  test('reports a jitAccess context that is not an object', () => {
    // Prepare
    const raw: unknown = [];

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual(['jitAccess: must be an object, not a list']);
  });
});
