import cdkJson from '../../cdk.json';
import { ConfigError, parseConfig } from '../../lib/config/load-config';
import type { JitAccessConfig, JitAccessConfigInput } from '../../lib/config/schema';

/** A fresh deep copy of the raw `jitAccess` example from cdk.json: change it freely, no other test sees it. */
export function exampleConfigInput(): JitAccessConfigInput {
  return structuredClone(cdkJson.context.jitAccess) as JitAccessConfigInput;
}

/**
 * The cdk.json example, parsed (defaults applied). To build a variant, pass `change`: it edits the raw copy before
 * parsing, e.g. `exampleConfig((raw) => { raw.vendors[0]!.enabled = false; })`.
 */
export function exampleConfig(change?: (raw: JitAccessConfigInput) => void): JitAccessConfig {
  const raw = exampleConfigInput();
  change?.(raw);
  return parseConfig(raw);
}

/**
 * A second config, unlike the example wherever a rule depends on it: three approvals out of four approvers, another
 * IAM path, a vendor with no ports (shell only) and no MFA, and a vendor with several ports and ranges. Properties
 * that must hold for any config run over both fixtures (see CONFIG_FIXTURES).
 */
export function secondConfig(): JitAccessConfig {
  return exampleConfig((raw) => {
    raw.iamPath = '/vendors/jit/';
    raw.people.frank = [{ iamUser: 'arn:aws:iam::111122223333:user/frank' }];
    raw.approvers = { people: ['alice', 'bob', 'carol', 'frank'], minApprovals: 3 };
    raw.vendors = [
      {
        id: 'initech',
        displayName: 'Initech Shell Support',
        enabled: true,
        principals: ['arn:aws:iam::222233334444:role/InitechSupport'],
        externalId: 'initech-5a6b7c8d9e0f',
        allowedCidrs: ['198.51.100.128/25'],
        osUser: 'initech-support',
        ports: [],
        maxGrantHours: 2,
        eligibleTargetGroups: ['web-frontend'],
        sponsors: ['dana'],
        requireMfa: false,
      },
      {
        id: 'umbrella',
        displayName: 'Umbrella Network Operations',
        enabled: true,
        principals: ['arn:aws:iam::555566667777:role/UmbrellaNoc', 'arn:aws:iam::555566667777:role/UmbrellaNocBackup'],
        externalId: 'umbrella-0f1e2d3c4b5a',
        allowedCidrs: ['203.0.113.0/26', '203.0.113.64/26', '192.0.2.0/27', '192.0.2.32/27'],
        osUser: 'umbrella-noc',
        ports: [
          { protocol: 'tcp', fromPort: 5432, toPort: 5432 },
          { protocol: 'tcp', fromPort: 8080, toPort: 8089 },
          { protocol: 'udp', fromPort: 161, toPort: 162 },
        ],
        maxGrantHours: 12,
        eligibleTargetGroups: ['billing-db', 'web-frontend'],
        sponsors: ['dana', 'erin'],
        requireMfa: true,
      },
    ];
  });
}

/** Both fixtures by name, for `describe.each`: the cdk.json example and the second config. */
export const CONFIG_FIXTURES: readonly (readonly [string, () => JitAccessConfig])[] = [
  ['the cdk.json example', () => exampleConfig()],
  ['the second config', secondConfig],
];

/** The problem lines parseConfig reports for `raw`, or an empty list when it accepts it. */
export function problemsOf(raw: unknown): readonly string[] {
  try {
    parseConfig(raw);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
