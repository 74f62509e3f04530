import { loopbackEndpoint } from '../../scripts/local-aws/local-aws';
import { localClientConfig as clientConfigFor } from '../../scripts/local-aws/local-world';

/** Config for an AWS SDK v3 client that talks to the moto server started by test/helpers/moto-global-setup.ts. */
export function localClientConfig(): ReturnType<typeof clientConfigFor> {
  const endpoint = process.env.JIT_AWS_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'JIT_AWS_ENDPOINT is not set: run integration tests through the jest project whose globalSetup is ' +
        'test/helpers/moto-global-setup.ts, or start moto with `npm run local-aws -- start` and export ' +
        'the endpoint it prints.',
    );
  }
  return clientConfigFor(loopbackEndpoint(endpoint, 'JIT_AWS_ENDPOINT'));
}
