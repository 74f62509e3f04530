import { lazyClient } from '../../lambdas/adapters/lazy-client';

describe('lazyClient', () => {
  it('loads the module and creates the client once, on first use', async () => {
    // Prepare
    const sdk = { name: 'sdk' };
    const load = jest.fn(async () => sdk);
    const create = jest.fn((loaded: typeof sdk) => ({ client: loaded.name }));
    const aws = lazyClient(load, create);

    // Act
    const first = await aws();
    const second = await aws();

    // Assess
    expect(first).toEqual({ sdk, client: { client: 'sdk' } });
    expect(second).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledWith(sdk);
  });

  it('does not load before first use', () => {
    // Prepare
    const load = jest.fn(async () => ({}));

    // Act
    lazyClient(load, () => ({}));

    // Assess
    expect(load).not.toHaveBeenCalled();
  });

  it('passes on a failed load and loads again on the next use', async () => {
    // Prepare
    const sdk = { name: 'sdk' };
    const load = jest
      .fn<Promise<typeof sdk>, []>()
      .mockRejectedValueOnce(new Error('Cannot find module @aws-sdk/client-s3'))
      .mockResolvedValue(sdk);
    const create = jest.fn(() => 'client');
    const aws = lazyClient(load, create);

    // Act
    const first = aws();
    await first.catch(() => undefined);
    const second = await aws();

    // Assess
    await expect(first).rejects.toThrow(new Error('Cannot find module @aws-sdk/client-s3'));
    expect(second).toEqual({ sdk, client: 'client' });
    expect(load).toHaveBeenCalledTimes(2);
    expect(create).toHaveBeenCalledTimes(1);
  });
});
