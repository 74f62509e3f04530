import type * as z from 'zod/mini';
import { issueMessage } from '../domain/issue-messages';
import { ValidationError } from '../domain/errors';
import { flushMetrics, logger } from './powertools';

/** Parses a handler's event; a bad event is a ValidationError naming the first bad field. */
export function parseEvent<S extends z.ZodMiniType>(schema: S, event: unknown): z.infer<S> {
  const result = schema.safeParse(event, { error: issueMessage });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'event';
  throw new ValidationError(field, 'INVALID_EVENT', issue?.message ?? 'is invalid');
}

/** Runs one invocation with the grant id on every log line, and flushes its metrics whatever happens. */
export async function forGrant<T>(grantId: string, work: () => Promise<T>): Promise<T> {
  logger.appendKeys({ grantId });
  try {
    return await work();
  } finally {
    flushMetrics();
    logger.removeKeys(['grantId']);
  }
}
