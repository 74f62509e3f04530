import { Match, type Template } from 'aws-cdk-lib/assertions';
import { onlyLogicalId, synthTemplate } from '../helpers/synth-stack';

const template: Template = synthTemplate();
const STACK = 'JitAccess';

interface KeyStatement {
  readonly Sid?: string;
  readonly Principal?: { readonly Service?: unknown };
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The ARN CloudFormation resolves for a log group name of this stack. */
const logGroupArn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':logs:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:log-group:${name}`,
    ],
  ],
});

/** The log groups (by encryption-context ARN) CloudWatch Logs may use a key for, from the key policy. */
function logGroupsAllowedBy(keyId: string): unknown {
  const key = template.toJSON().Resources[keyId] as { Properties: { KeyPolicy: { Statement: KeyStatement[] } } };
  const forLogs = key.Properties.KeyPolicy.Statement.filter((s) => JSON.stringify(s.Principal ?? {}).includes('logs.'));
  expect(forLogs).toHaveLength(1);
  return forLogs[0]!.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'];
}

/** Names of the log groups encrypted with a key. */
function logGroupsEncryptedBy(keyId: string): unknown[] {
  return Object.values(
    template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } }),
  ).map((group) => group.Properties.LogGroupName);
}

describe('the log groups CloudWatch Logs may use each key for', () => {
  test('the session key serves only the session log group, never any other log group of the account', () => {
    // Prepare
    const sessionKeyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('session') });

    // Assess
    expect(logGroupsAllowedBy(sessionKeyId)).toEqual([logGroupArn(`/jit-access/${STACK}/sessions`)]);
    expect(logGroupsEncryptedBy(sessionKeyId)).toEqual([`/jit-access/${STACK}/sessions`]);
  });

  test('the operational log key serves only the stack operational log groups, and every group it encrypts is one', () => {
    // Prepare
    const logKeyId = onlyLogicalId(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('operational') });

    // Act
    const encrypted = logGroupsEncryptedBy(logKeyId);

    // Assess
    expect(logGroupsAllowedBy(logKeyId)).toEqual([logGroupArn(`/jit-access/${STACK}/ops/*`)]);
    expect(encrypted.length).toBeGreaterThan(8);
    for (const name of encrypted) expect(name).toMatch(new RegExp(`^/jit-access/${STACK}/ops/[a-z-]+(/[a-z-]+)?$`));
    expect(encrypted).toEqual(
      expect.arrayContaining([
        `/jit-access/${STACK}/ops/lambda/revoke`,
        `/jit-access/${STACK}/ops/workflow`,
        `/jit-access/${STACK}/ops/api-access`,
      ]),
    );
  });
});
