import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type * as ChangeSnapshots from '../../lambdas/adapters/change-snapshots';
import type * as CloudTrail from '../../lambdas/adapters/cloudtrail';
import type * as EvidenceSigner from '../../lambdas/adapters/evidence-signer';
import type * as Transcripts from '../../lambdas/adapters/transcripts';
import type * as ApiAudit from '../../lambdas/handlers/api-audit';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';
const BUCKET = 'jitaccess-sessions-111122223333-eu-west-1';
const MISSING = "the audit function's environment is missing EVIDENCE_KEY_ARN or SESSION_BUCKET_NAME";

interface Fresh {
  readonly lambdaAuditSources: typeof ApiAudit.lambdaAuditSources;
  readonly classes: {
    readonly CloudTrailLookup: typeof CloudTrail.CloudTrailLookup;
    readonly S3TranscriptObjects: typeof Transcripts.S3TranscriptObjects;
    readonly KmsEvidenceSigner: typeof EvidenceSigner.KmsEvidenceSigner;
    readonly S3ChangeSnapshots: typeof ChangeSnapshots.S3ChangeSnapshots;
  };
}

/**
 * A fresh copy of the module (it keeps the sources it made for the life of the function instance), with the adapter
 * classes of the same copy. The SDK modules the adapters load on first use, after this, are the test's own.
 *
 * The copies are made when this file loads, one per test, not inside the tests: module-level code run inside a test
 * counts as that test's coverage, and a mutation run (npm run mutation) would then test a mutant in a module-level
 * table of the whole domain against this file's tests alone.
 */
function loadFresh(): Fresh {
  let fresh: Fresh | undefined;
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports -- a copy of the module needs its own registry */
    fresh = {
      lambdaAuditSources: (require('../../lambdas/handlers/api-audit') as typeof ApiAudit).lambdaAuditSources,
      classes: {
        CloudTrailLookup: (require('../../lambdas/adapters/cloudtrail') as typeof CloudTrail).CloudTrailLookup,
        S3TranscriptObjects: (require('../../lambdas/adapters/transcripts') as typeof Transcripts).S3TranscriptObjects,
        KmsEvidenceSigner: (require('../../lambdas/adapters/evidence-signer') as typeof EvidenceSigner)
          .KmsEvidenceSigner,
        S3ChangeSnapshots: (require('../../lambdas/adapters/change-snapshots') as typeof ChangeSnapshots)
          .S3ChangeSnapshots,
      },
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  return fresh as Fresh;
}

const COPIES: Fresh[] = Array.from({ length: 6 }, loadFresh);

/** The next unused copy; each test takes its own. */
function freshModule(): Fresh {
  const next = COPIES.shift();
  if (!next) throw new Error('each test takes its own copy: make COPIES one longer');
  return next;
}

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());
afterAll(() => s3.restore());

describe("the audit function's own sources (lambdaAuditSources)", () => {
  it('makes the CloudTrail reader, the transcript reader, the signer and the change reader from its environment', async () => {
    // Prepare
    const { lambdaAuditSources, classes } = freshModule();
    s3.on(ListObjectsV2Command).resolves({});

    // Act
    const sources = lambdaAuditSources({ EVIDENCE_KEY_ARN: KEY_ARN, SESSION_BUCKET_NAME: BUCKET });

    // Assess
    expect(sources.cloudTrail).toBeInstanceOf(classes.CloudTrailLookup);
    expect(sources.transcripts).toBeInstanceOf(classes.S3TranscriptObjects);
    expect(sources.transcripts.bucketName).toBe(BUCKET);
    expect(sources.signer).toBeInstanceOf(classes.KmsEvidenceSigner);
    expect(sources.signer.keyArn).toBe(KEY_ARN);
    expect(sources.changeDeltas).toBeInstanceOf(classes.S3ChangeSnapshots);
    await sources.changeDeltas.deltas({ grantId: 'grant-0001', targets: [], osAccount: {} });
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Bucket)).toEqual([BUCKET, BUCKET]);
  });

  it('makes them once per function instance', async () => {
    // Prepare
    const { lambdaAuditSources } = freshModule();
    const first = lambdaAuditSources({ EVIDENCE_KEY_ARN: KEY_ARN, SESSION_BUCKET_NAME: BUCKET });

    // Act
    const second = lambdaAuditSources({ EVIDENCE_KEY_ARN: `${KEY_ARN}-other`, SESSION_BUCKET_NAME: 'other-bucket' });

    // Assess
    expect(second).toBe(first);
    expect(second.transcripts.bucketName).toBe(BUCKET);
  });

  it("reads the function's own environment by default", async () => {
    // Prepare
    const { lambdaAuditSources } = freshModule();
    const saved = { key: process.env.EVIDENCE_KEY_ARN, bucket: process.env.SESSION_BUCKET_NAME };
    process.env.EVIDENCE_KEY_ARN = KEY_ARN;
    process.env.SESSION_BUCKET_NAME = BUCKET;

    // Act
    let sources;
    try {
      sources = lambdaAuditSources();
    } finally {
      if (saved.key === undefined) delete process.env.EVIDENCE_KEY_ARN;
      else process.env.EVIDENCE_KEY_ARN = saved.key;
      if (saved.bucket === undefined) delete process.env.SESSION_BUCKET_NAME;
      else process.env.SESSION_BUCKET_NAME = saved.bucket;
    }

    // Assess
    expect(sources.signer.keyArn).toBe(KEY_ARN);
    expect(sources.transcripts.bucketName).toBe(BUCKET);
  });

  it('refuses to start without the evidence key', async () => {
    // Prepare
    const { lambdaAuditSources } = freshModule();

    // Act
    const making = () => lambdaAuditSources({ SESSION_BUCKET_NAME: BUCKET });

    // Assess
    expect(making).toThrow(new Error(MISSING));
  });

  it('refuses to start without the session bucket', async () => {
    // Prepare
    const { lambdaAuditSources } = freshModule();

    // Act
    const making = () => lambdaAuditSources({ EVIDENCE_KEY_ARN: KEY_ARN, SESSION_BUCKET_NAME: '' });

    // Assess
    expect(making).toThrow(new Error(MISSING));
  });

  it('keeps nothing from a refused start: the next call with both settings succeeds', async () => {
    // Prepare
    const { lambdaAuditSources } = freshModule();
    expect(() => lambdaAuditSources({})).toThrow(new Error(MISSING));

    // Act
    const sources = lambdaAuditSources({ EVIDENCE_KEY_ARN: KEY_ARN, SESSION_BUCKET_NAME: BUCKET });

    // Assess
    expect(sources.signer.keyArn).toBe(KEY_ARN);
  });
});
