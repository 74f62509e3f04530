import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, type IApplyRule, NagRuleCompliance, NIST80053R5Checks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { exampleConfig } from '../helpers/config-fixture';
import { buildStack } from '../helpers/synth-stack';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded with `Validations.of(scope).acknowledge` under `root`. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** A rule's finding on a resource, acknowledged or not. */
interface Finding {
  readonly id: string;
  readonly path: string;
}

/** The finding ids one rule produces on its resource, named as cdk-nag names them (`<pack>-<rule>[<finding>]`). */
function findingsOf(packName: string, params: IApplyRule): Finding[] {
  const id = `${packName}-${params.ruleSuffixOverride ?? params.rule.name}`;
  const path = params.node.node.path;
  let result;
  try {
    result = params.rule(params.node);
  } catch {
    return [{ id, path }]; // cdk-nag reports a rule that throws as a finding of the rule itself
  }
  if (Array.isArray(result)) return result.map((finding) => ({ id: `${id}[${finding}]`, path }));
  return result === NagRuleCompliance.NON_COMPLIANT ? [{ id, path }] : [];
}

// The packs, each also keeping every finding before acknowledgements apply, so that a stale acknowledgement shows.
class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  public readonly allFindings: Finding[] = [];
  protected override applyRule(params: IApplyRule): void {
    this.allFindings.push(...findingsOf(this.readPackName, params));
    super.applyRule(params);
  }
}

class RecordingNist80053R5Checks extends NIST80053R5Checks {
  public readonly allFindings: Finding[] = [];
  protected override applyRule(params: IApplyRule): void {
    this.allFindings.push(...findingsOf(this.readPackName, params));
    super.applyRule(params);
  }
}

type RecordingPack = NagPack & { readonly allFindings: Finding[] };

/** The packs `bin/jit-access.ts` runs at synth. */
const PACKS: readonly (readonly [string, () => RecordingPack])[] = [
  ['AwsSolutions', () => new RecordingAwsSolutionsChecks()],
  ['NIST 800-53 R5', () => new RecordingNist80053R5Checks()],
];

const { app } = buildStack();
app.synth();

/** The options off by default, all on: one more synth covers them all. */
const withOptions = buildStack(
  exampleConfig((raw) => {
    raw.api = { organizationId: 'o-a1b2c3d4e5' };
    raw.cloudTrail = { create: true };
    raw.archiveAfterDays = 90;
  }),
).app;
withOptions.synth();

/** Every unacknowledged finding of `pack` under `root`, as `<rule> at <construct path>`. */
function unacknowledgedFindings(pack: NagPack, root: App): string[] {
  const report = pack.validateScope(root);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
  );
}

describe.each(PACKS)('cdk-nag %s', (_name, createPack) => {
  test('reports no unacknowledged finding on the stack', () => {
    // Act
    const findings = unacknowledgedFindings(createPack(), app);

    // Assess
    expect(findings).toEqual([]);
  });

  test('reports no unacknowledged finding with the options on: an AWS Organization, the own trail, archiving', () => {
    // Act
    const findings = unacknowledgedFindings(createPack(), withOptions);

    // Assess
    expect(findings).toEqual([]);
  });
});

describe('cdk-nag acknowledgements', () => {
  test('every acknowledgement gives a specific reason', () => {
    // Act
    const acks = acknowledgements(app);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    const vague = acks.filter((ack) => ack.reason.trim().length < 20);
    expect(vague).toEqual([]);
  });

  test('every acknowledgement sits on a construct inside the stack, never on the app or the whole stack', () => {
    // Act
    const broad = acknowledgements(app).filter((ack) => ack.path.split('/').length < 2);

    // Assess
    expect(broad).toEqual([]);
  });

  test('every acknowledgement of a pack rule answers a finding on its construct or below', () => {
    // Prepare
    const packs = PACKS.map(([, createPack]) => createPack());
    const findings = packs.flatMap((pack) => {
      pack.validateScope(app);
      return pack.allFindings;
    });
    // Acknowledgements of CDK's own warnings (ids without a pack prefix) are not the packs' to judge.
    const ofPacks = (ack: Acknowledgement) => packs.some((pack) => ack.id.startsWith(`${pack.readPackName}-`));

    // Act
    const stale = acknowledgements(app)
      .filter(ofPacks)
      .filter(
        (ack) =>
          !findings.some(
            (finding) =>
              finding.id === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
          ),
      )
      .map((ack) => `${ack.id} at ${ack.path}`);

    // Assess
    expect(stale).toEqual([]);
  });
});
