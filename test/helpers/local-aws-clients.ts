/** Settings shared by every AWS SDK v3 client a test creates against the run's moto server. */
export interface LocalClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Config for an AWS SDK v3 client that talks to the moto server started by test/helpers/moto-global-setup.ts. */
export function localClientConfig(): LocalClientConfig {
  const endpoint = process.env.JIT_AWS_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'JIT_AWS_ENDPOINT is not set: run integration tests through the jest project whose globalSetup is ' +
        'test/helpers/moto-global-setup.ts, or start moto with `npx tsx scripts/local-aws/cli.ts start` and export ' +
        'the endpoint it prints.',
    );
  }
  return { endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}
