import type { MotoGlobal } from './moto-global-setup';

/** Stops the moto server that globalSetup started; an endpoint supplied from outside is left running. */
export default async function motoGlobalTeardown(): Promise<void> {
  const state = globalThis as MotoGlobal;
  if (!state.jitMotoServer) return;
  await state.jitMotoServer.stop();
  delete state.jitMotoServer;
  // In watch mode the next run's globalSetup must start a fresh server, not reuse this dead endpoint.
  delete process.env.JIT_AWS_ENDPOINT;
}
