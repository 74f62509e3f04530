import { z } from 'zod';
import { jitAccessConfigSchema, type JitAccessConfig } from './schema';

/** The config failed validation; `problems` holds one line per problem, each naming the path and the fix. */
export class ConfigError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`Invalid jit-access config (cdk.json context "jitAccess"):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`), 'jitAccess');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'unrecognized_keys') return `has unknown field(s) ${issue.keys.join(', ')}: remove or fix the spelling`;
  return issue.message;
}

/** Parses the raw `jitAccess` context value into typed config, or throws a ConfigError listing every problem. */
export function parseConfig(raw: unknown): JitAccessConfig {
  if (raw === undefined) {
    throw new ConfigError(['jitAccess: is missing: add a "jitAccess" object under "context" in cdk.json']);
  }
  const result = jitAccessConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`));
}
