import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
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

const { app } = buildStack();
app.synth();

/** Every unacknowledged AwsSolutions finding under `root`, as `<rule> at <construct path>`. */
function unacknowledgedFindings(root: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(root);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
  );
}

describe('cdk-nag AwsSolutions', () => {
  test('reports no unacknowledged finding on the stack', () => {
    // Act
    const findings = unacknowledgedFindings(app);

    // Assess
    expect(findings).toEqual([]);
  });

  test('reports no unacknowledged finding when the API also admits an AWS Organization', () => {
    // Prepare
    const withOrganization = buildStack(
      exampleConfig((raw) => {
        raw.api = { organizationId: 'o-a1b2c3d4e5' };
      }),
    ).app;
    withOrganization.synth();

    // Act
    const findings = unacknowledgedFindings(withOrganization);

    // Assess
    expect(findings).toEqual([]);
  });

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
});
