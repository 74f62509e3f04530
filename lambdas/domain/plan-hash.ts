import { createHash } from 'node:crypto';
import type { GrantPlan } from './types';

/** JSON with object keys sorted at every level: the same plan always serializes to the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
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
