import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import {
  ADAPTER_NAMES,
  createDependencies,
  handlerDependencies,
  onlyAdapters,
  type AdapterMakers,
  type AdapterName,
  type Dependencies,
} from '../../lambdas/shared/dependencies';
import { createHarness, testSettings } from '../helpers/handler-deps';

const ROOT = path.join(__dirname, '..', '..');
const HANDLERS_DIR = path.join(ROOT, 'lambdas', 'handlers');
const HANDLER_NAMES = readdirSync(HANDLERS_DIR)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -3));

/** Which adapter module holds each adapter's maker. */
const MODULE_OF: Readonly<Record<AdapterName, string>> = {
  ledger: 'lambdas/adapters/ledger.ts',
  roles: 'lambdas/adapters/iam.ts',
  network: 'lambdas/adapters/ec2.ts',
  schedules: 'lambdas/adapters/scheduler.ts',
  sessions: 'lambdas/adapters/ssm.ts',
  osAccounts: 'lambdas/adapters/ssm.ts',
  notifier: 'lambdas/adapters/notifier.ts',
  approvals: 'lambdas/adapters/sfn.ts',
  executions: 'lambdas/adapters/sfn.ts',
  sessionLogs: 'lambdas/adapters/logs.ts',
};

describe('createDependencies', () => {
  it('builds each declared adapter once, on first use, and refuses any other by name', () => {
    const ledger = { kind: 'ledger' } as unknown as Dependencies['ledger'];
    const makeLedger = jest.fn(() => ledger);
    const deps = createDependencies({ ledger: makeLedger }, testSettings());

    expect(makeLedger).not.toHaveBeenCalled();
    expect(deps.ledger).toBe(ledger);
    expect(deps.ledger).toBe(ledger);
    expect(makeLedger).toHaveBeenCalledTimes(1);
    expect(() => deps.roles).toThrow(
      "this function does not use the roles adapter: add its maker to the handler's ADAPTERS",
    );
    expect(deps.settings.ledgerTableName).toBe(testSettings().ledgerTableName);
  });
});

describe('onlyAdapters', () => {
  it('passes the declared adapters and the settings through, and refuses the others', () => {
    const h = createHarness();
    const view = onlyAdapters(() => h.deps, { ledger: () => h.deps.ledger })();

    expect(view.ledger).toBe(h.deps.ledger);
    expect(view.settings).toBe(h.deps.settings);
    expect(view.clock).toBe(h.deps.clock);
    for (const name of ADAPTER_NAMES.filter((n) => n !== 'ledger')) {
      expect(() => view[name]).toThrow(`does not use the ${name} adapter`);
    }
  });

  it('gives the same view of the same dependencies, and a new one when they change', () => {
    const first = createHarness().deps;
    const second = createHarness().deps;
    let current = first;
    const deps = onlyAdapters(() => current, {});
    const view = deps();
    expect(deps()).toBe(view);
    current = second;
    expect(deps()).not.toBe(view);
    expect(deps().settings).toBe(second.settings);
  });

  it('is what a handler gets, whether the dependencies are given or its own', () => {
    const h = createHarness();
    const given = handlerDependencies({ notifier: () => h.deps.notifier }, () => h.deps)();
    expect(given.notifier).toBe(h.deps.notifier);
    expect(() => given.ledger).toThrow('does not use the ledger adapter');
  });
});

/**
 * The adapters the code in a handler's bundle names: `deps.ledger`, `d.roles`, `deps().network`, or destructured
 * from the dependencies (`const { ledger, notifier } = deps`). A superset of what the code reaches: a handler must
 * declare all of them, so a path the tests do not take still finds its adapter in AWS.
 */
function adaptersNamedIn(files: readonly string[]): Set<AdapterName> {
  const named = new Set<AdapterName>();
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const match of text.matchAll(/\{([^{}]*)\}\s*=\s*(?:deps|d|dependencies)\b/g)) {
      for (const part of (match[1] ?? '').split(',')) {
        const name = part.split(':')[0]?.trim();
        if ((ADAPTER_NAMES as readonly string[]).includes(name ?? '')) named.add(name as AdapterName);
      }
    }
    for (const name of ADAPTER_NAMES) {
      if (new RegExp(`\\b(?:deps|d|dependencies)(?:\\(\\))?\\.${name}\\b`).test(text)) named.add(name);
    }
  }
  return named;
}

function bundleInputs(handler: string): string[] {
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: [path.join('lambdas', 'handlers', `${handler}.ts`)],
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    outfile: 'out.js',
    external: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'zod*'],
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).filter((file) => file.startsWith('lambdas/'));
}

describe.each(HANDLER_NAMES)('the %s function', (handler) => {
  const inputs = bundleInputs(handler);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- each handler module, by name
  const { ADAPTERS } = require(path.join(HANDLERS_DIR, handler)) as { ADAPTERS: AdapterMakers };
  const declared = Object.keys(ADAPTERS).sort();

  it('declares every adapter its code names', () => {
    const code = inputs.filter((file) => !file.startsWith('lambdas/adapters/') && !file.endsWith('/dependencies.ts'));
    const missing = [...adaptersNamedIn(code)].filter((name) => !declared.includes(name));
    expect(missing).toEqual([]);
  });

  it('bundles the adapter modules it declares and no other', () => {
    const modules = new Set(declared.map((name) => MODULE_OF[name as AdapterName]));
    const bundled = inputs.filter((file) => Object.values(MODULE_OF).includes(file));
    expect(new Set(bundled)).toEqual(modules);
  });
});

describe('the static check', () => {
  it('sees the adapters teardown names (so it can fail)', () => {
    expect([...adaptersNamedIn(['lambdas/lifecycle/teardown.ts'])].sort()).toEqual(
      expect.arrayContaining(['ledger', 'network', 'roles', 'schedules', 'sessions']),
    );
  });

  it('sees an adapter named on the dependencies or destructured from them', () => {
    expect([...adaptersNamedIn(['lambdas/handlers/record-outcome.ts'])].sort()).toEqual(['ledger', 'notifier']);
  });
});
