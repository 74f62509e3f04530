import type { Ledger } from '../adapters/ledger';
import type { Network } from '../adapters/ec2';
import type { GrantRoles } from '../adapters/iam';
import type { Notifier } from '../adapters/notifier';
import type { ExpirySchedules } from '../adapters/scheduler';
import type { SessionLogs } from '../adapters/logs';
import type { ApprovalCallback, WorkflowExecutions } from '../adapters/sfn';
import type { OsAccountCommands, SessionManager } from '../adapters/ssm';
import type { PlanContext } from '../domain/planner';
import { awsClientConfig, type AwsClientConfig } from './aws-client-config';
import { systemClock, systemSleeper, type Clock, type Sleeper } from './clock';
import { readRuntimeSettings, type RuntimeSettings } from './environment';

/** Everything a handler talks to. Handlers receive it whole, so tests and the local harness can swap any part. */
export interface Dependencies {
  readonly settings: RuntimeSettings;
  readonly clock: Clock;
  /** Waits between the residue checks of a revoke (AWS lists what was just deleted for a while). */
  readonly sleep: Sleeper;
  readonly ledger: Ledger;
  readonly roles: GrantRoles;
  readonly network: Network;
  readonly schedules: ExpirySchedules;
  readonly sessions: SessionManager;
  readonly osAccounts: OsAccountCommands;
  readonly notifier: Notifier;
  readonly approvals: ApprovalCallback;
  readonly executions: WorkflowExecutions;
  readonly sessionLogs: SessionLogs;
}

/** The parts of {@link Dependencies} that talk to AWS. */
export const ADAPTER_NAMES = [
  'ledger',
  'roles',
  'network',
  'schedules',
  'sessions',
  'osAccounts',
  'notifier',
  'approvals',
  'executions',
  'sessionLogs',
] as const satisfies readonly (keyof Dependencies)[];
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/** Builds one adapter from the Lambda environment; each adapter module exports its own (`makeLedger`, ...). */
export type AdapterMaker<K extends AdapterName> = (
  settings: RuntimeSettings,
  config: AwsClientConfig,
) => Dependencies[K];

/**
 * The adapters one function uses, each with its maker. A handler names only these, so its bundle holds only their
 * code, and {@link onlyAdapters} refuses any other at run time (and in every test of the handler).
 */
export type AdapterMakers = { readonly [K in AdapterName]?: AdapterMaker<K> };

function isAdapterName(key: PropertyKey): key is AdapterName {
  return (ADAPTER_NAMES as readonly PropertyKey[]).includes(key);
}

function notUsed(name: AdapterName): Error {
  return new Error(`this function does not use the ${name} adapter: add its maker to the handler's ADAPTERS`);
}

/**
 * Builds the real adapters from the Lambda environment, each on first use: a function creates only the clients
 * its own work touches, and has no way to reach an adapter it did not declare.
 */
export function createDependencies(
  makers: AdapterMakers,
  settings: RuntimeSettings = readRuntimeSettings(),
): Dependencies {
  const config = awsClientConfig();
  const made = new Map<AdapterName, unknown>();
  const deps = { settings, clock: systemClock, sleep: systemSleeper };
  for (const name of ADAPTER_NAMES) {
    Object.defineProperty(deps, name, {
      enumerable: true,
      get: () => {
        if (!made.has(name)) {
          const make = makers[name] as AdapterMaker<typeof name> | undefined;
          if (!make) throw notUsed(name);
          made.set(name, make(settings, config));
        }
        return made.get(name);
      },
    });
  }
  return deps as Dependencies;
}

/** A function's dependencies, created on first use and kept for the container's life (clients reuse connections). */
export function lambdaDependencies(makers: AdapterMakers): () => Dependencies {
  let cached: Dependencies | undefined;
  return () => (cached ??= createDependencies(makers));
}

/**
 * The dependencies as a handler sees them: only the adapters it declared. Any other one throws, whoever built the
 * whole (the Lambda, the local harness, a test's fakes), so a handler test fails if the handler's list misses one.
 */
export function onlyAdapters(deps: () => Dependencies, makers: AdapterMakers): () => Dependencies {
  const declared = new Set(Object.keys(makers));
  const views = new WeakMap<Dependencies, Dependencies>();
  return () => {
    const whole = deps();
    let view = views.get(whole);
    if (!view) {
      view = new Proxy(whole, {
        get(target, key, receiver) {
          if (isAdapterName(key) && !declared.has(key)) throw notUsed(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
      views.set(whole, view);
    }
    return view;
  };
}

/**
 * A handler's dependencies: the ones given (tests, the local harness), or else the Lambda's own, built from the
 * handler's makers; either way only the adapters it declared.
 */
export function handlerDependencies(makers: AdapterMakers, given?: () => Dependencies): () => Dependencies {
  return onlyAdapters(given ?? lambdaDependencies(makers), makers);
}

/** A setting only some functions have, or a clear error naming it. */
export function requiredSetting(value: string | undefined, name: string): string {
  if (!value) throw new Error(`this function has no ${name}: it does not take part in that step`);
  return value;
}

/** What the planner needs to know about the deployed stack. */
export function planContext(settings: RuntimeSettings): PlanContext {
  return {
    env: settings.env,
    iamPath: settings.config.iamPath,
    permissionsBoundaryArn: settings.permissionsBoundaryArn,
    sessionDocumentName: settings.sessionDocumentName,
    sessionKeyArn: settings.sessionKeyArn,
    scheduleGroupName: settings.scheduleGroupName,
    securityGroups: settings.securityGroups,
  };
}
