import { startMoto, type MotoServer } from '../../scripts/local-aws/local-aws';

/** Jest runs globalSetup and globalTeardown in the same process; this global carries the server between them. */
export interface MotoGlobal {
  jitMotoServer?: MotoServer;
}

/**
 * Starts one moto server for the whole run. Workers are forked after this returns, so they inherit the endpoint
 * through the environment. A JIT_AWS_ENDPOINT that is already set (e.g. from `scripts/local-aws/cli.ts start`) is
 * reused, which lets a developer inspect the state in moto's dashboard after a run.
 */
export default async function motoGlobalSetup(): Promise<void> {
  if (process.env.JIT_AWS_ENDPOINT) {
    process.stderr.write(`[local-aws] using moto at ${process.env.JIT_AWS_ENDPOINT} from JIT_AWS_ENDPOINT\n`);
    return;
  }
  const moto = await startMoto();
  (globalThis as MotoGlobal).jitMotoServer = moto;
  process.env.JIT_AWS_ENDPOINT = moto.endpoint;
}
