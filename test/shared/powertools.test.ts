import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { flushMetrics, metrics } from '../../lambdas/shared/powertools';

describe('flushMetrics', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    metrics.clearMetrics();
  });

  it("publishes the invocation's metrics and clears them", () => {
    // Prepare
    metrics.addMetric('GrantsIssued', MetricUnit.Count, 1);
    const publish = jest.spyOn(metrics, 'publishStoredMetrics');

    // Act
    flushMetrics();

    // Assess
    expect(publish).toHaveBeenCalledTimes(1);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it('publishes nothing when the invocation recorded no metric', () => {
    // Prepare
    const publish = jest.spyOn(metrics, 'publishStoredMetrics');

    // Act
    flushMetrics();

    // Assess
    expect(publish).not.toHaveBeenCalled();
  });
});
