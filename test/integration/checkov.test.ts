import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { z } from 'zod';
import { CHECKOV, CHECKOV_REQUIREMENTS } from '../../scripts/local-aws/local-aws';
import { exampleConfig } from '../helpers/config-fixture';
import { buildStack } from '../helpers/synth-stack';

const SKIP_FILE = path.resolve(__dirname, '..', '..', 'security', 'checkov-skips.json');

const skipFileSchema = z.strictObject({
  $comment: z.string(),
  skips: z.array(
    z.strictObject({
      id: z.string().regex(/^CKV2?_AWS_\d+$/, 'must be a checkov AWS check id such as CKV_AWS_117'),
      reason: z.string(),
      resources: z.array(z.string()).min(1),
    }),
  ),
});
type Skip = z.infer<typeof skipFileSchema>['skips'][number];

const checkSchema = z.object({ check_id: z.string(), check_name: z.string(), resource: z.string() });
const reportSchema = z.object({
  results: z.object({ passed_checks: z.array(checkSchema), failed_checks: z.array(checkSchema) }),
  summary: z.object({
    passed: z.number(),
    failed: z.number(),
    parsing_errors: z.number(),
    resource_count: z.number(),
    checkov_version: z.string(),
  }),
});
type CheckovReport = z.infer<typeof reportSchema>;

interface FailedCheck {
  readonly id: string;
  readonly name: string;
  /** The construct path of the resource, or its logical id if no construct made it. */
  readonly path: string;
}

/** A construct-path pattern as a regular expression: `*` is one path segment, `**` any number of them. */
function pathPattern(pattern: string): RegExp {
  const source = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${source}$`);
}

const covers = (skip: Skip, pattern: string, check: FailedCheck) =>
  skip.id === check.id && pathPattern(pattern).test(check.path);

/** checkov exits 1 when a check fails; output that does not parse as its report fails the test. */
async function runCheckov(templatePath: string, binary = CHECKOV): Promise<CheckovReport> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(
      binary,
      ['--file', templatePath, '--framework', 'cloudformation', '--output', 'json', '--compact', '--skip-download'],
      {
        cwd: path.dirname(templatePath),
        maxBuffer: 64 * 1024 * 1024,
        // Offline and deterministic: no update check on PyPI, no policy download from the Prisma Cloud platform.
        env: { ...process.env, CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true', BC_SKIP_MAPPING: 'TRUE' },
      },
    ));
  } catch (error) {
    const { code, stdout: output } = error as { code?: unknown; stdout?: string };
    if (code !== 1 || !output) throw error;
    stdout = output;
  }
  return reportSchema.parse(JSON.parse(stdout));
}

let report: CheckovReport;
let resourceCount: number;
let failed: FailedCheck[];
let skips: Skip[];

beforeAll(async () => {
  // The example with the stack's own trail: every resource of the default stack and those of the optional trail.
  const { app, stack } = buildStack(
    exampleConfig((raw) => {
      raw.cloudTrail = { create: true };
    }),
  );
  const templatePath = app.synth().getStackByName(stack.stackName).templateFullPath;
  resourceCount = Object.keys(
    (JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: object }).Resources,
  ).length;
  const pathOf = new Map(
    stack.node
      .findAll()
      .filter(CfnResource.isCfnResource)
      .map((resource) => [Stack.of(resource).resolve(resource.logicalId) as string, resource.node.path]),
  );
  report = await runCheckov(templatePath);
  failed = report.results.failed_checks.map((check) => {
    // checkov names a CloudFormation resource `<Type>.<LogicalId>`.
    const logicalId = check.resource.slice(check.resource.indexOf('.') + 1);
    return { id: check.check_id, name: check.check_name, path: pathOf.get(logicalId) ?? logicalId };
  });
  skips = skipFileSchema.parse(JSON.parse(readFileSync(SKIP_FILE, 'utf8'))).skips;
});

describe('checkov on the synthesized template', () => {
  test('is the pinned version and checked every resource of the template', () => {
    // Prepare
    const pinned = /^checkov==(\S+)$/m.exec(readFileSync(CHECKOV_REQUIREMENTS, 'utf8'))?.[1];

    // Assess
    expect(report.summary).toMatchObject({ checkov_version: pinned, parsing_errors: 0, resource_count: resourceCount });
    expect(report.summary.passed).toBeGreaterThan(100);
  });

  test('fails no check but those security/checkov-skips.json lists for the resource', () => {
    // Act
    const unexplained = failed
      .filter((check) => !skips.some((skip) => skip.resources.some((pattern) => covers(skip, pattern, check))))
      .map((check) => `${check.id} at ${check.path}: ${check.name}`);

    // Assess
    expect(unexplained).toEqual([]);
  });
});

describe('the checkov run', () => {
  test('fails, instead of passing, when checkov cannot run', async () => {
    // Act
    const running = runCheckov(SKIP_FILE, path.join(path.dirname(CHECKOV), 'no-such-checkov'));

    // Assess
    await expect(running).rejects.toThrow(/ENOENT/);
  });
});

describe('security/checkov-skips.json', () => {
  test('gives every skip a specific reason', () => {
    // Act
    const vague = skips.filter((skip) => skip.reason.trim().length < 40).map((skip) => skip.id);

    // Assess
    expect(vague).toEqual([]);
  });

  test('lists each check once', () => {
    // Act
    const ids = skips.map((skip) => skip.id);

    // Assess
    expect(ids).toEqual([...new Set(ids)]);
  });

  test('lists only resource patterns that a failed check needs', () => {
    // Act
    const unneeded = skips.flatMap((skip) =>
      skip.resources
        .filter((pattern) => !failed.some((check) => covers(skip, pattern, check)))
        .map((pattern) => `${skip.id} at ${pattern}`),
    );

    // Assess
    expect(unneeded).toEqual([]);
  });
});
