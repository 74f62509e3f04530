import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../lib/config/load-config';
import type { JitAccessConfig } from '../lib/config/schema';

export const REPO_ROOT = path.resolve(__dirname, '..');

/** The example config of cdk.json (`context.jitAccess`), validated as synth validates it. */
export function stackConfig(): JitAccessConfig {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return parseConfig(cdkJson.context.jitAccess);
}
