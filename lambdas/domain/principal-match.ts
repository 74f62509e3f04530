/**
 * Matches an identity ARN against a configured pattern where `*` stands for any run of characters (as in IAM's
 * ArnLike). Comparison is exact otherwise: ARNs are case-sensitive.
 */
export function matchesPrincipalPattern(identity: string, pattern: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(identity);
}

export function matchesAnyPattern(identity: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matchesPrincipalPattern(identity, pattern));
}
