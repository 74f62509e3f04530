/**
 * The waits of an exponential backoff: `firstMs`, then each twice the one before, for as long as their sum stays
 * within `budgetMs`. An empty list when even the first wait does not fit.
 */
export function backoffDelays(firstMs: number, budgetMs: number): number[] {
  if (!(firstMs > 0)) throw new RangeError(`firstMs must be a positive number of milliseconds, got ${firstMs}`);
  const delays: number[] = [];
  let total = 0;
  for (let delay = firstMs; total + delay <= budgetMs; delay *= 2) {
    delays.push(delay);
    total += delay;
  }
  return delays;
}
