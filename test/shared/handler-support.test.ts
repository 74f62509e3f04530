import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { ValidationError } from '../../lambdas/domain/errors';
import { forGrant, parseEvent } from '../../lambdas/shared/handler-support';
import { logger, metrics } from '../../lambdas/shared/powertools';
import { capturedInfoLogs } from '../helpers/logged-lines';

const eventSchema = z.object({
  grantId: z.string(),
  detail: z.object({ instanceIds: z.array(z.string()) }),
});

/** The error `act` throws; returning fails the test. */
function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the call returned');
}

describe('parseEvent', () => {
  it('answers the event as the schema parsed it, without the fields it does not name', () => {
    // Act
    const parsed = parseEvent(eventSchema, { grantId: 'g-1', detail: { instanceIds: ['i-1'] }, extra: true });

    // Assess
    expect(parsed).toStrictEqual({ grantId: 'g-1', detail: { instanceIds: ['i-1'] } });
  });

  it("names the bad field by its path, in zod's English wording", () => {
    // Act
    const error = thrownBy(() => parseEvent(eventSchema, { grantId: 'g-1', detail: { instanceIds: ['i-1', 7] } }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const { field, code, message } = error as ValidationError;
    expect({ field, code, message }).toEqual({
      field: 'detail.instanceIds.1',
      code: 'INVALID_EVENT',
      message: 'detail.instanceIds.1: Invalid input: expected string, received number',
    });
  });

  it('names the event itself when the event as a whole is bad', () => {
    // Act
    const error = thrownBy(() => parseEvent(eventSchema, null));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const { field, code, message } = error as ValidationError;
    expect({ field, code, message }).toEqual({
      field: 'event',
      code: 'INVALID_EVENT',
      message: 'event: Invalid input: expected object, received null',
    });
  });
});

describe('forGrant', () => {
  const logs = capturedInfoLogs();
  /** The grant id on each line the logger wrote, in order (undefined for a line without one). */
  const loggedGrantIds = () => logs.pick('grantId').map((line) => line.grantId);

  afterEach(() => metrics.clearMetrics());

  it('answers what the work answers', async () => {
    // Act
    const answer = await forGrant('g-1', () => Promise.resolve({ status: 'ACTIVE' }));

    // Assess
    expect(answer).toStrictEqual({ status: 'ACTIVE' });
  });

  it('puts the grant id on every log line of the work, and on none after it', async () => {
    // Act
    await forGrant('g-1', () => {
      logger.info('working');
      return Promise.resolve();
    });
    logger.info('next invocation');

    // Assess
    expect(loggedGrantIds()).toEqual(['g-1', undefined]);
  });

  it("flushes the work's metrics", async () => {
    // Act
    await forGrant('g-1', () => {
      metrics.addMetric('GrantsIssued', MetricUnit.Count, 1);
      return Promise.resolve();
    });

    // Assess
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it('removes the grant id and flushes the metrics when the work fails, and passes the failure on', async () => {
    // Prepare
    const failure = new Error('the ledger is unreachable');

    // Act
    const outcome = forGrant('g-1', () => {
      metrics.addMetric('GrantsFailed', MetricUnit.Count, 1);
      return Promise.reject(failure);
    });
    await expect(outcome).rejects.toBe(failure);
    logger.info('next invocation');

    // Assess
    expect(loggedGrantIds()).toEqual([undefined]);
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});
