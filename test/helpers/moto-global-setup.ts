import { loopbackEndpoint, startMoto, type MotoServer } from '../../scripts/local-aws/local-aws';

/** Jest runs globalSetup and globalTeardown in the same process; this global carries the servers between them. */
export interface MotoGlobal {
  jitMotoServers?: MotoServer[];
}

/** The endpoints of the servers globalSetup started, one per jest worker, comma-separated. */
export const WORKER_ENDPOINTS = 'JIT_AWS_ENDPOINTS';

/**
 * Starts one moto server per jest worker (moto answers on one Python thread at a time: two workers sharing one server
 * would wait on each other). Workers are forked after this returns, so they inherit the endpoints through the
 * environment, and test/helpers/moto-worker-endpoint.ts gives each its own. A JIT_AWS_ENDPOINT that is already set
 * (e.g. from `scripts/local-aws/cli.ts start`) is used by every worker, which lets a developer inspect the state in
 * moto's dashboard after a run.
 */
export default async function motoGlobalSetup(globalConfig: { readonly maxWorkers: number }): Promise<void> {
  const named = process.env.JIT_AWS_ENDPOINT;
  if (named) {
    // Only local AWS on loopback: the tests send it their local credentials, and create and delete what they like.
    process.stderr.write(
      `[local-aws] using moto at ${loopbackEndpoint(named, 'JIT_AWS_ENDPOINT')} from JIT_AWS_ENDPOINT\n`,
    );
    return;
  }
  const servers = await Promise.all(Array.from({ length: Math.max(1, globalConfig.maxWorkers) }, () => startMoto()));
  (globalThis as MotoGlobal).jitMotoServers = servers;
  process.env[WORKER_ENDPOINTS] = servers.map((server) => server.endpoint).join(',');
}
