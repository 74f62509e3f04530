import { awsClientConfig } from '../../lambdas/shared/aws-client-config';

describe('awsClientConfig', () => {
  const originalEnv = process.env;

  beforeEach(() => {
    process.env = { ...originalEnv };
    delete process.env.JIT_AWS_ENDPOINT;
  });

  afterEach(() => {
    process.env = originalEnv;
  });

  it("uses the function's region, four attempts and the SDK's own endpoints", () => {
    // Prepare
    process.env.AWS_REGION = 'eu-central-1';

    // Act
    const config = awsClientConfig();

    // Assess
    expect(config).toStrictEqual({ region: 'eu-central-1', maxAttempts: 4 });
  });

  it('talks to the endpoint JIT_AWS_ENDPOINT names, such as a local moto server', () => {
    // Prepare
    process.env.AWS_REGION = 'eu-central-1';
    process.env.JIT_AWS_ENDPOINT = 'http://127.0.0.1:5000';

    // Act
    const config = awsClientConfig();

    // Assess
    expect(config).toStrictEqual({ region: 'eu-central-1', maxAttempts: 4, endpoint: 'http://127.0.0.1:5000' });
  });

  it('uses us-east-1 when no region is set', () => {
    // Prepare
    delete process.env.AWS_REGION;

    // Act
    const config = awsClientConfig();

    // Assess
    expect(config).toStrictEqual({ region: 'us-east-1', maxAttempts: 4 });
  });
});
