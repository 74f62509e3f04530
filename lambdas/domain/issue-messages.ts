/**
 * zod's English wording for the issues the Lambda schemas raise without a message of their own. zod/mini ships no
 * locale (that is part of what keeps the bundles small), so every parse in the Lambdas passes this error map and
 * answers exactly as the full zod build did.
 */
import * as z from 'zod/mini';

/** How a length is counted, for the origins the schemas bound by length. */
const UNITS: Readonly<Record<string, string>> = { string: 'characters', array: 'items' };

/** How zod names the type `type` of `input`: an infinite number by its value, NaN (type `nan`) as `NaN`. */
function typeName(type: string, input?: unknown): string {
  if (typeof input === 'number' && !Number.isFinite(input)) return String(input);
  return type === 'nan' ? 'NaN' : type;
}

function bound(origin: string, comparison: string, limit: number | bigint): string {
  const unit = UNITS[origin];
  return unit
    ? `expected ${origin} to have ${comparison}${limit} ${unit}`
    : `expected ${origin} to be ${comparison}${limit}`;
}

export const issueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${typeName(issue.expected)}, received ${typeName(z.util.parsedType(issue.input), issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `Invalid input: expected ${z.util.stringifyPrimitive(issue.values[0])}`
        : `Invalid option: expected one of ${z.util.joinValues(issue.values, '|')}`;
    case 'too_big':
      return `Too big: ${bound(issue.origin, issue.exact ? 'exactly ' : issue.inclusive ? '<=' : '<', issue.maximum)}`;
    case 'too_small':
      return `Too small: ${bound(issue.origin, issue.exact ? 'exactly ' : issue.inclusive ? '>=' : '>', issue.minimum)}`;
    case 'invalid_format':
      return issue.format === 'regex' ? `Invalid string: must match pattern ${issue.pattern}` : undefined;
    case 'unrecognized_keys':
      return `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${z.util.joinValues(issue.keys, ', ')}`;
    default:
      return undefined;
  }
};
