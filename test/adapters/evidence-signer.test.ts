import { generateKeyPairSync, sign } from 'node:crypto';
import {
  GetPublicKeyCommand,
  KMSClient,
  SignCommand,
  type GetPublicKeyCommandInput,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsEvidenceSigner } from '../../lambdas/adapters/evidence-signer';
import { signatureValid, signedStatementOf } from '../../lambdas/domain/evidence-manifest';
import { awsError } from '../helpers/fake-aws';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';
const CONFIG = { region: 'eu-west-1', maxAttempts: 1 };
const MANIFEST = '{"grantId":"grant-0001","files":[]}\n';

const kms = mockClient(KMSClient);
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PUBLIC_KEY_DER = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
const PUBLIC_KEY_PEM = publicKey.export({ format: 'pem', type: 'spki' }).toString();

beforeEach(() => {
  kms.reset();
  // KMS signs the message's SHA-256 digest with the key (ECDSA_SHA_256, MessageType RAW): a DER signature.
  kms.on(SignCommand).callsFake((input: SignCommandInput) => ({
    KeyId: input.KeyId,
    Signature: new Uint8Array(sign('sha256', Buffer.from(input.Message ?? new Uint8Array()), privateKey)),
    SigningAlgorithm: input.SigningAlgorithm,
  }));
  kms.on(GetPublicKeyCommand).callsFake((input: GetPublicKeyCommandInput) => ({
    KeyId: input.KeyId,
    PublicKey: PUBLIC_KEY_DER,
  }));
});

afterAll(() => kms.restore());

const signCalls = () => kms.commandCalls(SignCommand).map((c) => c.args[0].input);
const publicKeyCalls = () => kms.commandCalls(GetPublicKeyCommand).map((c) => c.args[0].input);

describe('KmsEvidenceSigner', () => {
  it("signs the manifest's signed statement, raw, with ECDSA_SHA_256 under the evidence key", async () => {
    // Prepare
    const signer = new KmsEvidenceSigner(KEY_ARN, CONFIG);

    // Act
    const signature = await signer.signManifest(MANIFEST);

    // Assess
    expect(signer.keyArn).toBe(KEY_ARN);
    expect(signCalls()).toEqual([
      {
        KeyId: KEY_ARN,
        Message: Buffer.from(signedStatementOf(MANIFEST), 'utf8'),
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      },
    ]);
    expect(signatureValid(MANIFEST, signature, PUBLIC_KEY_PEM)).toBe(true);
  });

  it('fails naming the key when KMS answers no signature', async () => {
    // Prepare
    kms.on(SignCommand).resolves({ KeyId: KEY_ARN });

    // Act
    const signing = new KmsEvidenceSigner(KEY_ARN, CONFIG).signManifest(MANIFEST);

    // Assess
    await expect(signing).rejects.toThrow(new Error(`KMS returned no signature from ${KEY_ARN}`));
  });

  it("fails with KMS's own error when it refuses to sign", async () => {
    // Prepare
    kms.on(SignCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: kms:Sign'));

    // Act
    const signing = new KmsEvidenceSigner(KEY_ARN, CONFIG).signManifest(MANIFEST);

    // Assess
    await expect(signing).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'not authorized to perform: kms:Sign',
    });
  });

  it("answers the key's public half as PEM, asking KMS once", async () => {
    // Prepare
    const signer = new KmsEvidenceSigner(KEY_ARN, CONFIG);

    // Act
    const first = await signer.publicKeyPem();
    const second = await signer.publicKeyPem();

    // Assess
    expect(first).toBe(PUBLIC_KEY_PEM);
    expect(second).toBe(PUBLIC_KEY_PEM);
    expect(publicKeyCalls()).toEqual([{ KeyId: KEY_ARN }]);
  });

  it('fails naming the key when KMS answers no public key, and asks again on the next call', async () => {
    // Prepare
    kms
      .on(GetPublicKeyCommand)
      .resolvesOnce({ KeyId: KEY_ARN })
      .resolves({ KeyId: KEY_ARN, PublicKey: PUBLIC_KEY_DER });
    const signer = new KmsEvidenceSigner(KEY_ARN, CONFIG);

    // Act
    const first = signer.publicKeyPem();
    await first.catch(() => undefined);
    const second = await signer.publicKeyPem();

    // Assess
    await expect(first).rejects.toThrow(new Error(`KMS returned no public key for ${KEY_ARN}`));
    expect(second).toBe(PUBLIC_KEY_PEM);
    expect(publicKeyCalls()).toEqual([{ KeyId: KEY_ARN }, { KeyId: KEY_ARN }]);
  });

  it("fails with KMS's own error when it refuses the public key, and keeps no failure", async () => {
    // Prepare
    kms
      .on(GetPublicKeyCommand)
      .rejectsOnce(awsError('KMSInvalidStateException', `${KEY_ARN} is pending deletion.`))
      .resolves({ KeyId: KEY_ARN, PublicKey: PUBLIC_KEY_DER });
    const signer = new KmsEvidenceSigner(KEY_ARN, CONFIG);

    // Act
    const first = signer.publicKeyPem();
    await first.catch(() => undefined);
    const second = await signer.publicKeyPem();
    const third = await signer.publicKeyPem();

    // Assess
    await expect(first).rejects.toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${KEY_ARN} is pending deletion.`,
    });
    expect([second, third]).toEqual([PUBLIC_KEY_PEM, PUBLIC_KEY_PEM]);
    expect(publicKeyCalls()).toHaveLength(2);
  });

  it('uses the region it was configured with', async () => {
    // Prepare
    const signer = new KmsEvidenceSigner(KEY_ARN, { region: 'ap-southeast-2', maxAttempts: 1 });

    // Act
    await signer.signManifest(MANIFEST);

    // Assess
    const [call] = kms.commandCalls(SignCommand);
    expect(await (call?.thisValue as KMSClient).config.region()).toBe('ap-southeast-2');
  });
});
