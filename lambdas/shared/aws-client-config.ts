import type { IAMClientConfig } from '@aws-sdk/client-iam';
import { ENV } from './environment';

/** SDK settings shared by every adapter: region, optional local endpoint, and retries for transient faults. */
export interface AwsClientConfig {
  readonly region: string;
  readonly endpoint?: string;
  readonly maxAttempts: number;
  /** Only for the CLI: the named profile whose credentials and region the SDK uses. */
  readonly profile?: string;
  /** Only for local runs: an HTTP handler that counts calls or injects faults below the SDK's retries. */
  readonly requestHandler?: IAMClientConfig['requestHandler'];
}

/**
 * Built once per cold start. The endpoint is set only for local runs (moto); in AWS it is absent and the SDK uses
 * the regional endpoints. The SDK retries throttling and 5xx errors with backoff (`maxAttempts` in all).
 */
export function awsClientConfig(): AwsClientConfig {
  const endpoint = process.env[ENV.endpoint];
  return {
    region: process.env[ENV.region] ?? 'us-east-1',
    maxAttempts: 4,
    ...(endpoint ? { endpoint } : {}),
  };
}
