/** IPv4 CIDR helpers shared by config validation and the planner. */

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Ranges aws:SourceIp never sees: private, shared, loopback, link-local, multicast and reserved space. */
const NON_PUBLIC: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
];

interface ParsedCidr {
  readonly base: number;
  readonly prefix: number;
}

function parse(value: string): ParsedCidr | undefined {
  const match = CIDR.exec(value);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
}

/** A well-formed IPv4 CIDR whose address has no bits set past the prefix, with a prefix of /8 or longer. */
export function isIpv4Cidr(value: string): boolean {
  const parsed = parse(value);
  if (!parsed || parsed.prefix < 8) return false;
  return (parsed.base & mask(parsed.prefix)) >>> 0 === parsed.base;
}

function overlaps(a: ParsedCidr, b: ParsedCidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  const m = mask(prefix);
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/**
 * The widest vendor range taken without a stated reason: a /24 (256 addresses) is about one office's or one NAT
 * pool's egress; anything wider opens the JIT groups to far more than the vendor's engineers.
 */
export const WIDE_CIDR_PREFIX = 24;

/** Whether a valid IPv4 CIDR is wider than WIDE_CIDR_PREFIX. */
export function isWideIpv4Cidr(value: string): boolean {
  return isIpv4Cidr(value) && (parse(value) as ParsedCidr).prefix < WIDE_CIDR_PREFIX;
}

/** True when no address of the range lies in private or reserved space. */
export function isPublicIpv4Cidr(value: string): boolean {
  const parsed = parse(value);
  if (!parsed) return false;
  return NON_PUBLIC.every((range) => !overlaps(parsed, parse(range) as ParsedCidr));
}
