import * as z from 'zod/mini';
import { COMMAND_INVOCATION_STATUS_CHANGE } from '../domain/os-accounts';
import { recordInvocationResult, type InvocationRecorded } from '../lifecycle/os-account-results';
import { makeLedger } from '../adapters/ledger';
import { makeNotifier } from '../adapters/notifier';
import { makeOsAccounts } from '../adapters/ssm';
import { handlerDependencies, type AdapterMakers, type Dependencies } from '../shared/dependencies';
import { parseEvent } from '../shared/handler-support';
import { flushMetrics, logger } from '../shared/powertools';

/** The fields of SSM's command invocation status-change event the function reads; every other field is dropped. */
const eventSchema = z.object({
  source: z.literal('aws.ssm'),
  'detail-type': z.literal(COMMAND_INVOCATION_STATUS_CHANGE),
  detail: z.object({
    'command-id': z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
    'document-name': z.string().check(z.minLength(1), z.maxLength(256)),
    'instance-id': z.string().check(z.regex(/^(i|mi)-[0-9a-f]{8,17}$/)),
    status: z.string().check(z.minLength(1), z.maxLength(64)),
  }),
});

/** The adapters this function uses: its bundle holds only these, and it can reach no other. */
export const ADAPTERS: AdapterMakers = { ledger: makeLedger, osAccounts: makeOsAccounts, notifier: makeNotifier };

/**
 * The target of the OS-account results rule (SSM's command invocation status-change events of the stack's
 * OS-account document, from EventBridge): records how a revoke's lock of the vendor's OS user ended on one instance.
 */
export function createOsAccountResultHandler(given?: () => Dependencies) {
  const deps = handlerDependencies(ADAPTERS, given);
  return async (event: unknown): Promise<InvocationRecorded> => {
    const { detail } = parseEvent(eventSchema, event);
    try {
      const recorded = await recordInvocationResult(deps(), {
        commandId: detail['command-id'],
        documentName: detail['document-name'],
        instanceId: detail['instance-id'],
        status: detail.status,
      });
      logger.info('OS-account command result handled', { commandId: detail['command-id'], recorded });
      return recorded;
    } finally {
      flushMetrics();
    }
  };
}

export const handler = createOsAccountResultHandler();
