import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { HANDLER_NAMES } from '../lib/constructs/jit-function';
import { buildFunctionBundles } from '../lib/function-bundles';
import { stackConfig } from './stack-config';

export interface FunctionBundles {
  /** `<dir>/<function>/index.js`: the assets synth hands to Lambda. */
  readonly dir: string;
  /** What each function ships: every file of its asset directory (the code, and a source map if configured). */
  readonly bytes: Readonly<Record<string, number>>;
}

function directoryBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
}

/**
 * Every function's bundle as synth builds it: the same builder, handler list and cdk.json config (source maps as the
 * config says). Built once and kept in the shared cache, so synth finds it there afterwards.
 */
export function measureBundles(): FunctionBundles {
  const config = stackConfig();
  const { dir } = buildFunctionBundles({ handlerNames: HANDLER_NAMES, config, sourceMaps: config.sourceMaps });
  return {
    dir,
    bytes: Object.fromEntries(HANDLER_NAMES.map((name) => [name, directoryBytes(path.join(dir, name))])),
  };
}
