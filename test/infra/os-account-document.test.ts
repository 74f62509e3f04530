import { readFileSync } from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambdas/shared/environment';
import {
  CHANGE_SNAPSHOT_SCRIPT_PATH,
  OS_ACCOUNT_SCRIPT_PATH,
  OsAccountDocument,
} from '../../lib/constructs/os-account-document';
import { scratchApp } from '../helpers/scratch-app';
import {
  actionsOf,
  onlyLogicalId,
  resourcesOf,
  statementsOfHandler,
  synthTemplate,
  type TemplateStatement,
} from '../helpers/synth-stack';

const template: Template = synthTemplate();
const documentId = onlyLogicalId(template, 'AWS::SSM::Document', { DocumentType: 'Command' });

interface DocumentContent {
  readonly schemaVersion: string;
  readonly parameters: Record<string, { allowedValues?: string[]; allowedPattern?: string; default?: string }>;
  readonly mainSteps: { action: string; name: string; inputs: { runCommand: string[]; timeoutSeconds: string } }[];
}

const content = (template.toJSON() as { Resources: Record<string, { Properties: { Content: DocumentContent } }> })
  .Resources[documentId]!.Properties.Content;

const documentArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':document/',
      { Ref: documentId },
    ],
  ],
};

const sending = (handler: string): TemplateStatement[] =>
  statementsOfHandler(template, handler).filter(
    (s) => s.Effect === 'Allow' && actionsOf(s).includes('ssm:SendCommand'),
  );

describe('the OS-account Command document', () => {
  it('is a schema 2.2 Command document: the start snapshot, the OS-account step, the end snapshot', () => {
    // Assess
    template.hasResourceProperties('AWS::SSM::Document', {
      DocumentType: 'Command',
      TargetType: '/AWS::EC2::Instance',
    });
    expect(content.schemaVersion).toBe('2.2');
    expect(content.mainSteps.map((step) => [step.action, step.name])).toEqual([
      ['aws:runShellScript', 'snapshotStart'],
      ['aws:runShellScript', 'osAccount'],
      ['aws:runShellScript', 'snapshotEnd'],
    ]);
  });

  it('runs the script file as it is, after the three parameters', () => {
    // Prepare
    const script = readFileSync(OS_ACCOUNT_SCRIPT_PATH, 'utf8').trimEnd().split('\n');

    // Act
    const runCommand = content.mainSteps.find((step) => step.name === 'osAccount')!.inputs.runCommand;

    // Assess
    expect(runCommand).toEqual([
      "ACTION='{{ action }}'",
      "OS_USER='{{ osUser }}'",
      "BLOCK_IMDS='{{ blockImds }}'",
      ...script,
    ]);
  });

  test.each([
    ['snapshotStart', 'start', 'unlock', 10],
    ['snapshotEnd', 'end', 'lock', 60],
  ])(
    'runs the snapshot script file as it is in %s, for the %s phase of each %s, within %i s',
    (name, phase, action, limit) => {
      // Prepare
      const script = readFileSync(CHANGE_SNAPSHOT_SCRIPT_PATH, 'utf8').trimEnd().split('\n');

      // Act
      const step = content.mainSteps.find((s) => s.name === name)!;

      // Assess
      expect(step.inputs.runCommand).toEqual([
        "ACTION='{{ action }}'",
        `SNAPSHOT_PHASE=${phase}`,
        `SNAPSHOT_ON=${action}`,
        `SNAPSHOT_TIME_LIMIT_SECONDS=${limit}`,
        "SNAPSHOT_DIRECTORIES=('/etc')",
        ...script,
      ]);
      expect(step.inputs.timeoutSeconds).toBe('120');
    },
  );

  it('has the OS-account step alone when change tracking is off', () => {
    // Prepare
    const stack = new Stack(scratchApp({ builtinCloudFormationValidation: false }));

    // Act
    new OsAccountDocument(stack, 'Doc', { changeTracking: { enabled: false, directories: ['/etc'] } });

    // Assess
    const steps = Template.fromStack(stack).findResources('AWS::SSM::Document');
    const [document] = Object.values(steps) as { Properties: { Content: DocumentContent } }[];
    expect(document!.Properties.Content.mainSteps.map((step) => step.name)).toEqual(['osAccount']);
  });

  test.each([["/etc'; reboot"], ['/etc/../root'], ['relative']])(
    'refuses to write the directory %s into the script, naming the field',
    (directory) => {
      // Act
      const build = () =>
        new OsAccountDocument(new Stack(scratchApp()), 'Doc', {
          changeTracking: { enabled: true, directories: [directory] },
        });

      // Assess
      expect(build).toThrow(/changeTracking\.directories .*: each must be an absolute path/);
    },
  );

  it('admits only unlock or lock, true or false, and a plain user name', () => {
    // Act
    const { action, osUser, blockImds } = content.parameters;
    const userPattern = new RegExp(osUser!.allowedPattern!);

    // Assess
    expect(action?.allowedValues).toEqual(['unlock', 'lock']);
    expect(blockImds).toEqual(expect.objectContaining({ allowedValues: ['true', 'false'], default: 'false' }));
    expect(userPattern.test('acme-support')).toBe(true);
    for (const hostile of ["x';reboot;'", 'a b', '$(id)', 'Root', '../etc', 'x\nroot']) {
      expect(userPattern.test(hostile)).toBe(false);
    }
  });

  it('is named to every function that sends it', () => {
    // Assess
    for (const handler of ['grant', 'revoke', 'sweeper']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { [ENV.osAccountDocument]: { Ref: documentId } } },
        Tags: [{ Key: 'jit-access:handler', Value: handler }],
      });
    }
  });
});

describe('where its output goes', () => {
  it('names the evidence bucket to every function that sends it, for the change snapshots', () => {
    // Prepare
    const bucketId = onlyLogicalId(template, 'AWS::S3::Bucket', { ObjectLockEnabled: true });

    // Assess
    for (const handler of ['grant', 'revoke', 'sweeper', 'api-decide']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { [ENV.evidenceBucket]: { Ref: bucketId } } },
        Tags: [{ Key: 'jit-access:handler', Value: handler }],
      });
    }
  });
});

describe('who may send it', () => {
  test.each(['grant', 'revoke', 'sweeper', 'api-decide'])(
    '%s may send only this document, and only to instances carrying a target-group tag',
    (handler) => {
      // Act
      const statements = sending(handler);

      // Assess
      expect(statements.flatMap(resourcesOf)).not.toContain('*');
      expect(statements).toEqual([
        expect.objectContaining({ Resource: documentArn }),
        expect.objectContaining({
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ec2:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':instance/*',
              ],
            ],
          },
          Condition: {
            StringEquals: { 'ssm:resourceTag/jit-access:target-group': ['billing-db', 'web-frontend'] },
          },
        }),
      ]);
    },
  );

  test.each(['validate-request', 'request-approval', 'record-outcome', 'api-read', 'api-request'])(
    '%s may not send commands',
    (handler) => {
      // Assess
      expect(sending(handler)).toEqual([]);
    },
  );
});

describe('the lock alarm', () => {
  it('alarms on any OS-account lock that did not hold', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OsAccountLocksFailed',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});
