import cdkJson from '../../cdk.json';
import { parseConfig } from '../../lib/config/load-config';
import type { JitAccessConfig, JitAccessConfigInput } from '../../lib/config/schema';

/** A fresh deep copy of the raw `jitAccess` example from cdk.json: change it freely, no other test sees it. */
export function exampleConfigInput(): JitAccessConfigInput {
  return structuredClone(cdkJson.context.jitAccess) as JitAccessConfigInput;
}

/**
 * The cdk.json example, parsed (defaults applied). To build a variant, pass `change`: it edits the raw copy before
 * parsing, e.g. `exampleConfig((raw) => { raw.vendors[0]!.enabled = false; })`.
 */
export function exampleConfig(change?: (raw: JitAccessConfigInput) => void): JitAccessConfig {
  const raw = exampleConfigInput();
  change?.(raw);
  return parseConfig(raw);
}
