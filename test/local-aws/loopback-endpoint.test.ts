import { loopbackEndpoint } from '../../scripts/local-aws/local-aws';

const REFUSAL = (value: string) =>
  `JIT_AWS_ENDPOINT: "${value}" is not a local AWS endpoint: use http://127.0.0.1:<port> (npm run local-aws -- start prints one), or unset it`;

describe('loopbackEndpoint', () => {
  test.each(['http://127.0.0.1:5123', 'http://localhost:5123', 'http://[::1]:5123'])('accepts %s', (value) => {
    // Act
    const endpoint = loopbackEndpoint(value, 'JIT_AWS_ENDPOINT');

    // Assess
    expect(endpoint).toBe(value);
  });

  test.each([
    'https://dynamodb.eu-west-1.amazonaws.com',
    'http://10.0.0.5:5123',
    'http://127.0.0.1.example.com:5123',
    'https://127.0.0.1:5123',
    '127.0.0.1:5123',
    'not a url',
  ])('refuses %s, naming the variable and the fix', (value) => {
    // Act
    const call = () => loopbackEndpoint(value, 'JIT_AWS_ENDPOINT');

    // Assess
    expect(call).toThrow(new Error(REFUSAL(value)));
  });
});
