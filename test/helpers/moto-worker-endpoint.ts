import { WORKER_ENDPOINTS } from './moto-global-setup';

/**
 * Before each integration test file: this jest worker's own moto server (JIT_AWS_ENDPOINT), from the ones globalSetup
 * started. A JIT_AWS_ENDPOINT set from outside is left as it is.
 */
const endpoints = process.env[WORKER_ENDPOINTS]?.split(',').filter(Boolean) ?? [];
if (endpoints.length > 0) {
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  process.env.JIT_AWS_ENDPOINT = endpoints[(Math.max(1, worker) - 1) % endpoints.length];
}
