import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * The stack's evidence key: an asymmetric KMS key (`ECC_NIST_P256`, `SIGN_VERIFY`) that signs the manifest of every
 * evidence bundle. Exactly one role may sign with it (`allowSigning`): the key policy denies `kms:Sign` to every
 * other principal, administrators included, whatever their IAM policies say. Its public key verifies a bundle
 * anywhere, offline. KMS does not rotate asymmetric keys; a bundle stays verifiable while its key exists, so the key
 * outlives the stack.
 */
export class EvidenceSigningKey extends Construct {
  public readonly key: kms.Key;
  private signer?: iam.IRole;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'jit-access evidence signing: signs the SHA-256 manifest of each audit bundle',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Lets `role` (the audit function's) sign and read the public key; nobody else may ever sign. */
  public allowSigning(role: iam.IRole): void {
    if (this.signer) throw new Error(`${this.node.path}: only one role may sign evidence`);
    this.signer = role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SignEvidenceManifests',
        actions: ['kms:Sign', 'kms:GetPublicKey'],
        resources: [this.key.keyArn],
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheAuditFunctionSigns',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );
  }
}
