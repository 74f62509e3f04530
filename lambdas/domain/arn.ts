/** Pieces of IAM and STS ARNs (`arn:<partition>:<service>::<account>:<resource>`). */

/** The account id of an IAM or STS ARN. */
export function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/** The name in an IAM role or user ARN (its last path segment): what an assumed-role ARN carries for a role. */
export function roleNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
