import { S3ChangeSnapshots } from '../adapters/change-snapshots';
import { CloudTrailLookup } from '../adapters/cloudtrail';
import { KmsEvidenceSigner } from '../adapters/evidence-signer';
import { S3TranscriptObjects } from '../adapters/transcripts';
import type { AuditSources } from '../lifecycle/audit';
import { awsClientConfig } from '../shared/aws-client-config';
import { makeLedger } from '../adapters/ledger';
import { makeSessionLogs } from '../adapters/logs';
import { makeSessions } from '../adapters/ssm';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { ENV } from '../shared/environment';
import { auditGrant, auditReview, auditSigningKey } from './api/audit';
import { createApiFunction } from './api/http';

let sources: AuditSources | undefined;

/** The audit function's own readers and signer, from its environment, made on first use. */
export function lambdaAuditSources(env: NodeJS.ProcessEnv = process.env): AuditSources {
  if (sources) return sources;
  const keyArn = env[ENV.evidenceKeyArn];
  const bucketName = env[ENV.sessionBucket];
  if (!keyArn || !bucketName) {
    throw new Error(`the audit function's environment is missing ${ENV.evidenceKeyArn} or ${ENV.sessionBucket}`);
  }
  const config = awsClientConfig();
  sources = {
    cloudTrail: new CloudTrailLookup(config),
    transcripts: new S3TranscriptObjects(bucketName, config),
    signer: new KmsEvidenceSigner(keyArn, config),
    changeDeltas: new S3ChangeSnapshots(bucketName, config),
  };
  return sources;
}

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = { ledger: makeLedger, sessions: makeSessions, sessionLogs: makeSessionLogs };

/** The API's audit routes: a grant's signed evidence, access reviews, and the evidence key's public half. */
export function createApiAuditHandler(
  given?: () => Dependencies,
  auditSources: () => AuditSources = lambdaAuditSources,
) {
  const deps = handlerDependencies(ADAPTERS, given);
  return createApiFunction(
    'api-audit',
    {
      auditGrant: auditGrant(auditSources),
      auditReview,
      auditSigningKey: auditSigningKey(auditSources),
    },
    deps,
  );
}

export const handler = createApiAuditHandler();
