import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
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

describe('cdk-nag AwsSolutions', () => {
  test('reports no unacknowledged finding on the stack', () => {
    // Prepare
    const pack = new AwsSolutionsChecks();

    // Act
    const report = pack.validateScope(app);

    // Assess
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
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
