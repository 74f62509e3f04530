import { backoffDelays } from '../../lambdas/domain/backoff';

describe('backoffDelays', () => {
  it('doubles each wait while the total stays within the budget', () => {
    expect(backoffDelays(1_000, 15_000)).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('stops before the wait that would pass the budget', () => {
    expect(backoffDelays(1_000, 14_999)).toEqual([1_000, 2_000, 4_000]);
  });

  it.each([
    [500, 20_000],
    [1_000, 20_000],
    [250, 3_500],
    [7, 1_000],
  ])('never waits more than the budget in all (first %i ms, budget %i ms)', (first, budget) => {
    const delays = backoffDelays(first, budget);
    expect(delays.reduce((sum, d) => sum + d, 0)).toBeLessThanOrEqual(budget);
    expect(delays[0]).toBe(first);
    delays.slice(1).forEach((delay, i) => expect(delay).toBe(2 * (delays[i] as number)));
  });

  it('waits not at all when the first wait does not fit', () => {
    expect(backoffDelays(2_000, 1_999)).toEqual([]);
  });

  it('refuses a first wait that is not positive, naming the field', () => {
    expect(() => backoffDelays(0, 10_000)).toThrow(/firstMs must be a positive number/);
  });
});
