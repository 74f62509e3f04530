import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { issueMessage } from '../../lambdas/domain/issue-messages';

/** The messages of the issues `schema` raises for `input`, worded by `error` (issueMessage unless told). */
function messagesOf(
  schema: z.ZodMiniType,
  input: unknown,
  error: z.core.$ZodErrorMap = issueMessage,
): readonly string[] | undefined {
  return schema.safeParse(input, { error }).error?.issues.map((issue) => issue.message);
}

/** Each case: what it shows, a schema, an input it refuses, and the one message zod's English locale gives. */
const CASES: readonly (readonly [string, z.ZodMiniType, unknown, string])[] = [
  ['a number for text', z.string(), 5, 'Invalid input: expected string, received number'],
  ['text for a number', z.number(), 'five', 'Invalid input: expected number, received string'],
  ['nothing for text', z.string(), undefined, 'Invalid input: expected string, received undefined'],
  ['null for text', z.string(), null, 'Invalid input: expected string, received null'],
  ['a list for an object', z.object({}), [], 'Invalid input: expected object, received array'],
  ['NaN for a number', z.number(), Number.NaN, 'Invalid input: expected number, received NaN'],
  ['infinity for a number', z.number(), Number.POSITIVE_INFINITY, 'Invalid input: expected number, received Infinity'],
  [
    'minus infinity for a number',
    z.number(),
    Number.NEGATIVE_INFINITY,
    'Invalid input: expected number, received -Infinity',
  ],
  ['a number for NaN', z.nan(), 5, 'Invalid input: expected NaN, received number'],
  ['another value for a literal', z.literal('acme'), 'globex', 'Invalid input: expected "acme"'],
  ['another value for an enum', z.enum(['tcp', 'udp']), 'icmp', 'Invalid option: expected one of "tcp"|"udp"'],
  ['text too long', z.string().check(z.maxLength(3)), 'abcd', 'Too big: expected string to have <=3 characters'],
  [
    'a list too long',
    z.array(z.string()).check(z.maxLength(1)),
    ['a', 'b'],
    'Too big: expected array to have <=1 items',
  ],
  ['a number above an inclusive limit', z.number().check(z.lte(10)), 11, 'Too big: expected number to be <=10'],
  ['a number at an exclusive upper limit', z.number().check(z.lt(10)), 10, 'Too big: expected number to be <10'],
  [
    'text longer than an exact length',
    z.string().check(z.length(2)),
    'abc',
    'Too big: expected string to have exactly 2 characters',
  ],
  ['text too short', z.string().check(z.minLength(2)), 'a', 'Too small: expected string to have >=2 characters'],
  ['a list too short', z.array(z.string()).check(z.minLength(1)), [], 'Too small: expected array to have >=1 items'],
  ['a number below an inclusive limit', z.number().check(z.gte(1)), 0, 'Too small: expected number to be >=1'],
  ['a number at an exclusive lower limit', z.number().check(z.gt(0)), 0, 'Too small: expected number to be >0'],
  [
    'text shorter than an exact length',
    z.string().check(z.length(2)),
    'a',
    'Too small: expected string to have exactly 2 characters',
  ],
  [
    'text that misses a pattern',
    z.string().check(z.regex(/^(i|mi)-[0-9a-f]{8,17}$/)),
    'i-XYZ',
    'Invalid string: must match pattern /^(i|mi)-[0-9a-f]{8,17}$/',
  ],
  ['one unknown key', z.strictObject({ a: z.string() }), { a: 'x', b: 1 }, 'Unrecognized key: "b"'],
  ['two unknown keys', z.strictObject({ a: z.string() }), { a: 'x', b: 1, c: 2 }, 'Unrecognized keys: "b", "c"'],
];

describe('issueMessage', () => {
  test.each(CASES)('words %s as zod does', (_case, schema, input, message) => {
    // Act
    const messages = messagesOf(schema, input);

    // Assess
    expect(messages).toEqual([message]);
  });

  test("gives every case the message of zod's own English locale", () => {
    // Prepare
    const english = en().localeError;

    // Act
    const ours = CASES.map(([, schema, input]) => messagesOf(schema, input));
    const zods = CASES.map(([, schema, input]) => messagesOf(schema, input, english));

    // Assess
    expect(ours).toEqual(zods);
  });

  test('leaves an issue it has no wording for to zod', () => {
    // Prepare
    const issue = { code: 'custom', input: 'x', path: [] } as unknown as Parameters<typeof issueMessage>[0];

    // Act
    const message = issueMessage(issue);

    // Assess
    expect(message).toBeUndefined();
  });

  test('leaves a string format other than a pattern to zod, as no schema checks one without a message', () => {
    // Prepare
    const issue = { code: 'invalid_format', format: 'email', input: 'x', path: [] } as unknown as Parameters<
      typeof issueMessage
    >[0];

    // Act
    const message = issueMessage(issue);

    // Assess
    expect(message).toBeUndefined();
  });

  test('does not replace the message a schema gives its own check', () => {
    // Prepare
    const schema = z.string().check(z.maxLength(3, 'at most three letters'));

    // Act
    const messages = messagesOf(schema, 'abcd');

    // Assess
    expect(messages).toEqual(['at most three letters']);
  });
});
