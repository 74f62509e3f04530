import { accountOf, roleNameOf } from '../../lambdas/domain/arn';

describe('ARN pieces', () => {
  test.each([
    ['arn:aws:iam::111122223333:role/jit-access/jit-g-3f9a1c2b7d4e', '111122223333'],
    ['arn:aws:sts::444455556666:assumed-role/jit-g-3f9a1c2b7d4e/vendor', '444455556666'],
    ['not-an-arn', ''],
    ['arn:aws:iam:', ''],
  ])('the account of %s is "%s"', (arn, account) => {
    expect(accountOf(arn)).toBe(account);
  });

  test.each([
    ['arn:aws:iam::111122223333:role/jit-access/jit-g-3f9a1c2b7d4e', 'jit-g-3f9a1c2b7d4e'],
    ['arn:aws:iam::111122223333:user/alice', 'alice'],
    ['no-slash', 'no-slash'],
  ])('the name in %s is %s', (arn, name) => {
    expect(roleNameOf(arn)).toBe(name);
  });
});
