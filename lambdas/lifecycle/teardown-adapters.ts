import { makeNetwork } from '../adapters/ec2';
import { makeRoles } from '../adapters/iam';
import { makeLedger } from '../adapters/ledger';
import { makeNotifier } from '../adapters/notifier';
import { makeSchedules } from '../adapters/scheduler';
import { makeOsAccounts, makeSessions } from '../adapters/ssm';
import type { AdapterMakers } from '../shared/dependencies';

/**
 * The adapters a revoke (teardownGrant) uses: every function whose code can reach it declares these, and adds its own.
 */
export const TEARDOWN_ADAPTERS = {
  ledger: makeLedger,
  roles: makeRoles,
  network: makeNetwork,
  schedules: makeSchedules,
  sessions: makeSessions,
  osAccounts: makeOsAccounts,
  notifier: makeNotifier,
} as const satisfies AdapterMakers;
