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
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    'jitAccess',
  );
}

const EXPECTED_TYPES: Readonly<Record<string, string>> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    return `must be ${EXPECTED_TYPES[issue.expected] ?? issue.expected}, not ${describeValue(issue.input)}`;
  }
  if (issue.code === 'invalid_key') {
    // A record key (a person's name) that its own schema refused: say why, not just "invalid key".
    return `the name ${JSON.stringify(issue.input)} ${issue.issues.map((i) => i.message).join('; ')}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `has unknown field(s) ${issue.keys.join(', ')}: remove or fix the spelling`;
  }
  return issue.message;
}

/** Parses the raw `jitAccess` context value into typed config, or throws a ConfigError listing every problem. */
export function parseConfig(raw: unknown): JitAccessConfig {
  if (raw === undefined) {
    throw new ConfigError(['jitAccess: is missing: add a "jitAccess" object under "context" in cdk.json']);
  }
  // Without reportInput zod leaves `input` unset, and a value of the wrong type would read as a missing one.
  const result = jitAccessConfigSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`));
}
