import { localClientConfig } from '../helpers/local-aws-clients';
import motoGlobalSetup, { type MotoGlobal, WORKER_ENDPOINTS } from '../helpers/moto-global-setup';

const FOREIGN = 'http://10.0.0.5:4566';
const REFUSED = `JIT_AWS_ENDPOINT: "${FOREIGN}" is not a local AWS endpoint: use http://127.0.0.1:<port> (npm run local-aws -- start prints one), or unset it`;

describe('the integration tests take JIT_AWS_ENDPOINT only on loopback', () => {
  const saved = process.env.JIT_AWS_ENDPOINT;
  afterEach(() => {
    if (saved === undefined) delete process.env.JIT_AWS_ENDPOINT;
    else process.env.JIT_AWS_ENDPOINT = saved;
  });

  it("jest's global setup refuses another host before starting anything", async () => {
    // Prepare
    process.env.JIT_AWS_ENDPOINT = FOREIGN;
    const workerEndpoints = process.env[WORKER_ENDPOINTS];

    // Act
    const setup = motoGlobalSetup({ maxWorkers: 2 });

    // Assess
    await expect(setup).rejects.toThrow(REFUSED);
    expect((globalThis as MotoGlobal).jitMotoServers).toBeUndefined();
    expect(process.env[WORKER_ENDPOINTS]).toBe(workerEndpoints);
  });

  it("a test's client config refuses another host, and takes a loopback one", () => {
    // Prepare
    process.env.JIT_AWS_ENDPOINT = FOREIGN;

    // Act
    const foreign = () => localClientConfig();

    // Assess
    expect(foreign).toThrow(REFUSED);
    process.env.JIT_AWS_ENDPOINT = 'http://127.0.0.1:45123';
    expect(localClientConfig()).toMatchObject({ endpoint: 'http://127.0.0.1:45123' });
  });
});
