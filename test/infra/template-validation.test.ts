import { validatesTemplate } from '../../lib/template-validation';

describe("whether synth runs CDK's own template validation", () => {
  test.each([
    [{}, false],
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{ CI: '' }, false],
    [{ JIT_VALIDATE_TEMPLATE: '1' }, true],
    [{ JIT_VALIDATE_TEMPLATE: '0', CI: 'true' }, false],
    [{ JIT_VALIDATE_TEMPLATE: '1', CI: 'false' }, true],
    [{ JIT_VALIDATE_TEMPLATE: '' }, false],
  ])('%j → %s', (env, expected) => {
    expect(validatesTemplate(env)).toBe(expected);
  });

  test('refuses any other value, naming the variable and what it takes', () => {
    expect(() => validatesTemplate({ JIT_VALIDATE_TEMPLATE: 'yes' })).toThrow(
      'JIT_VALIDATE_TEMPLATE must be 1 (validate the template) or 0 (skip it), not "yes"',
    );
  });
});
