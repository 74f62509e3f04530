import { WORKER_ENDPOINTS, type MotoGlobal } from './moto-global-setup';

/** Stops the moto servers that globalSetup started; an endpoint supplied from outside is left running. */
export default async function motoGlobalTeardown(): Promise<void> {
  const state = globalThis as MotoGlobal;
  if (!state.jitMotoServers) return;
  await Promise.all(state.jitMotoServers.map((server) => server.stop()));
  delete state.jitMotoServers;
  // In watch mode the next run's globalSetup must start fresh servers, not reuse these dead endpoints.
  delete process.env[WORKER_ENDPOINTS];
}
