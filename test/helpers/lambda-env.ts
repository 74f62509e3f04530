// The environment the stack gives its Lambdas, for the tests of lambdas/shared/ that read it.

/** The variables the stack sets on every Lambda (the ones only some functions have are left out). */
export function lambdaEnv(overrides: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  return {
    LEDGER_TABLE_NAME: 'jit-access-ledger',
    NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:jit-access-notifications',
    ACCOUNT_ID: '111122223333',
    AWS_REGION: 'eu-west-1',
    PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::111122223333:policy/jit-access/jit-grant-boundary',
    REVOKED_POLICY_ARN: 'arn:aws:iam::111122223333:policy/jit-access/jit-grant-revoked',
    SESSION_DOCUMENT_NAME: 'JitAccess-VendorShell',
    OS_ACCOUNT_DOCUMENT_NAME: 'JitAccess-OsAccount',
    SESSION_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
    SCHEDULE_GROUP_NAME: 'jit-access-expiry',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::111122223333:role/jit-access-scheduler',
    SCHEDULER_DLQ_ARN: 'arn:aws:sqs:eu-west-1:111122223333:jit-access-expiry-dlq',
    REVOKE_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:111122223333:function:jit-access-revoke',
    JIT_SECURITY_GROUPS: '{"billing-db":"sg-0b1111111111111111","web-frontend":"sg-0f2222222222222222"}',
    ...overrides,
  };
}
