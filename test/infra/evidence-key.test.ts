import type { Template } from 'aws-cdk-lib/assertions';
import { OUTPUTS } from '../../lib/stack-outputs';
import {
  actionsOf,
  allStatements,
  functionLogicalId,
  onlyLogicalId,
  resourcesOf,
  statementsOfHandler,
  synthTemplate,
} from '../helpers/synth-stack';

const template: Template = synthTemplate();
const keyId = onlyLogicalId(template, 'AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256' });
const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
const auditRoleId = (
  template.toJSON().Resources[functionLogicalId(template, 'api-audit')].Properties.Role as {
    'Fn::GetAtt': [string, string];
  }
)['Fn::GetAtt'][0];

interface KeyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

describe('the evidence signing key', () => {
  it('is an asymmetric P-256 key for signing only, kept when the stack is deleted', () => {
    // Act
    const key = template.toJSON().Resources[keyId];

    // Assess
    expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it("denies kms:Sign in its key policy to every principal but the audit function's role", () => {
    // Act
    const statements = template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as KeyStatement[];

    // Assess
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'kms:Sign',
        Principal: { AWS: '*' },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [auditRoleId, 'Arn'] } } },
      }),
    );
  });

  it('is used to sign by the audit function alone, on this key only', () => {
    // Act
    const signers = allStatements(template).filter(
      ({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).some((a) => /^kms:(Sign|\*)$/.test(a)),
    );

    // Assess
    expect(signers.map(({ statement }) => resourcesOf(statement))).toEqual([[keyArn]]);
    expect(statementsOfHandler(template, 'api-audit')).toContainEqual(
      expect.objectContaining({ Action: ['kms:GetPublicKey', 'kms:Sign'], Resource: keyArn }),
    );
  });

  it('is a stack output, so a verifier can compare the key that signed a bundle', () => {
    // Act & Assess
    expect(template.toJSON().Outputs[OUTPUTS.evidenceKeyArn].Value).toEqual(keyArn);
  });
});
