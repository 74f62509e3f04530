import * as z from 'zod/mini';
import { countDeniedAttempt, type LockoutOutcome } from '../lifecycle/lockout';
import { TEARDOWN_ADAPTERS } from '../lifecycle/teardown-adapters';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { parseEvent } from '../shared/handler-support';
import { flushMetrics, logger } from '../shared/powertools';

/** The fields of a CloudTrail record the lockout reads; every other field is dropped. */
const eventSchema = z.object({
  source: z.string(),
  'detail-type': z.string(),
  account: z.string(),
  detail: z.object({
    eventID: z.string().check(z.minLength(1), z.maxLength(128)),
    eventTime: z.string(),
    eventSource: z.string(),
    eventName: z.string(),
    errorCode: z.optional(z.string()),
    sourceIPAddress: z.optional(z.string()),
    userIdentity: z.object({
      type: z.optional(z.string()),
      arn: z.optional(z.string()),
      accountId: z.optional(z.string()),
      sessionContext: z.optional(
        z.object({
          sessionIssuer: z.optional(z.object({ type: z.optional(z.string()), arn: z.optional(z.string()) })),
        }),
      ),
    }),
    requestParameters: z.optional(z.nullable(z.object({ roleArn: z.optional(z.unknown()) }))),
  }),
});

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = TEARDOWN_ADAPTERS;

/**
 * The target of the lockout rules (CloudTrail records of denied calls by grant roles and of failed AssumeRole of
 * them, from EventBridge): counts the attempt and, at the threshold, locks the vendor out. Safe to run twice with the
 * same record: it is counted once, and a completed lockout is never repeated.
 */
export function createLockoutHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown): Promise<LockoutOutcome> => {
    const record = parseEvent(eventSchema, event);
    try {
      const outcome = await countDeniedAttempt(deps(), record);
      logger.info('denied attempt handled', { eventId: record.detail.eventID, outcome });
      return outcome;
    } finally {
      flushMetrics();
    }
  };
}

export const handler = createLockoutHandler();
