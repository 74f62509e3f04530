import { createHash } from 'node:crypto';
import type { GrantPlan } from './types';

/** JSON with object keys sorted at every level: the same plan always serializes to the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // The default sort compares UTF-16 code units, as `<` on strings does.
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The SHA-256 of the plan, hex: every approval message carries it, `jit-access show` prints it, and each vote
 * records the hash it approved, so a plan changed after the votes is never granted.
 */
export function planHash(plan: GrantPlan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}
