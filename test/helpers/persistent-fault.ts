import type { FakeAws } from './fake-aws';

/**
 * Makes every call of `target[method]` meet the fake's fault on the SDK `command` (FakeAws.failOn arms one call):
 * a fault that retrying does not clear, such as a role IAM keeps refusing to delete. Returns the spy; restore it to
 * let the calls succeed again.
 */
export function failEveryCall<T extends object, K extends keyof T & string>(
  aws: FakeAws,
  command: string,
  target: T,
  method: K,
): jest.SpyInstance {
  const original = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  return jest.spyOn(target, method as never).mockImplementation(((...args: unknown[]) => {
    aws.failOn(command);
    return original.apply(target, args);
  }) as never);
}
