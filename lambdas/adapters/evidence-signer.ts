import { EVIDENCE_SIGNING_ALGORITHM, publicKeyPemOf, signedStatementOf } from '../domain/evidence-manifest';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';

/** Signs evidence manifests with the stack's asymmetric KMS key, which only the audit function may use to sign. */
export interface EvidenceSigner {
  readonly keyArn: string;
  /** The DER signature (ECDSA_SHA_256) of the manifest's signed statement (`signedStatementOf`). */
  signManifest(manifestText: string): Promise<Uint8Array>;
  /** The key's public half, PEM: anyone verifies a bundle with it, offline. */
  publicKeyPem(): Promise<string>;
}

export class KmsEvidenceSigner implements EvidenceSigner {
  private readonly aws;
  private publicKey?: Promise<string>;

  constructor(
    readonly keyArn: string,
    config: AwsClientConfig,
  ) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-kms'),
      (sdk) => new sdk.KMSClient(config),
    );
  }

  async signManifest(manifestText: string): Promise<Uint8Array> {
    const { sdk, client } = await this.aws();
    const signed = await client.send(
      new sdk.SignCommand({
        KeyId: this.keyArn,
        Message: Buffer.from(signedStatementOf(manifestText), 'utf8'),
        MessageType: 'RAW',
        SigningAlgorithm: EVIDENCE_SIGNING_ALGORITHM,
      }),
    );
    if (!signed.Signature) throw new Error(`KMS returned no signature from ${this.keyArn}`);
    return signed.Signature;
  }

  publicKeyPem(): Promise<string> {
    this.publicKey ??= this.aws().then(async ({ sdk, client }) => {
      const key = await client.send(new sdk.GetPublicKeyCommand({ KeyId: this.keyArn }));
      if (!key.PublicKey) throw new Error(`KMS returned no public key for ${this.keyArn}`);
      return publicKeyPemOf(key.PublicKey);
    });
    this.publicKey.catch(() => (this.publicKey = undefined));
    return this.publicKey;
  }
}
