import type { z } from 'zod';
import type { Caller } from '../../../lambdas/domain/identity';
import type { RouteName } from '../../../lambdas/handlers/api/contract';
import { RESPONSES } from '../../../lambdas/handlers/api/responses';
import type { JitAccessConfig } from '../../../lib/config/schema';
import { exampleConfig } from '../../helpers/config-fixture';
import { ACCOUNT_ID, type Harness } from '../../helpers/handler-deps';

/** A second sponsor of acme who is neither an approver nor an admin: may request, may not oversee others' grants. */
export const FRANK: Caller = { person: 'frank', arn: `arn:aws:iam::${ACCOUNT_ID}:user/frank` };

/** The cdk.json example with frank added as a second sponsor of acme (and of nothing else). */
export function configWithFrank(change?: Parameters<typeof exampleConfig>[0]): JitAccessConfig {
  return exampleConfig((raw) => {
    raw.people.frank = [{ iamUser: FRANK.arn }];
    raw.vendors[0]?.sponsors.push('frank');
    change?.(raw);
  });
}

/** What a refused call must leave as it was: ledger writes, mutating AWS calls and started workflow executions. */
interface WriteCounts {
  readonly ledgerWrites: number;
  readonly awsMutatingCalls: number;
  readonly executions: number;
}

export function writeCounts(h: Harness): WriteCounts {
  return {
    ledgerWrites: h.ledger.writes.length,
    awsMutatingCalls: h.aws.mutatingCalls.length,
    executions: h.aws.executions.length,
  };
}

/** The body of every refusal. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly field?: string; readonly message: string };
}

/** Parses a successful body with the route's response schema: throws, failing the test, when it does not match. */
export function parsedResponse<N extends RouteName>(route: N, body: unknown): z.output<(typeof RESPONSES)[N]> {
  return RESPONSES[route].parse(body) as z.output<(typeof RESPONSES)[N]>;
}
