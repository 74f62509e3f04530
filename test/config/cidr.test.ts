import { isIpv4Cidr, isPublicIpv4Cidr, isWideIpv4Cidr } from '../../lib/config/cidr';

describe('isIpv4Cidr', () => {
  test.each(['203.0.113.0/24', '198.51.100.16/28', '192.0.2.1/32', '10.0.0.0/8'])('accepts %s', (cidr) => {
    // Prepare, Act
    const valid = isIpv4Cidr(cidr);

    // Assess
    expect(valid).toBe(true);
  });

  test.each([
    ['a prefix longer than 32', '10.0.0.0/33'],
    ['an octet above 255', '203.0.256.0/24'],
    ['host bits set past the prefix', '203.0.113.1/24'],
    ['a prefix shorter than /8', '2.0.0.0/7'],
    ['/0', '0.0.0.0/0'],
    ['no prefix', '203.0.113.0'],
    ['three octets', '203.0.113/24'],
    ['surrounding spaces', ' 203.0.113.0/24'],
    ['an IPv6 range', '2001:db8::/32'],
  ])('rejects %s (%s)', (_why, cidr) => {
    // Prepare, Act
    const valid = isIpv4Cidr(cidr);

    // Assess
    expect(valid).toBe(false);
  });
});

describe('isPublicIpv4Cidr', () => {
  test.each(['203.0.113.0/24', '172.32.0.0/16', '172.15.255.0/24', '100.128.0.0/10', '8.8.8.8/32'])(
    'treats %s as public',
    (cidr) => {
      // Prepare, Act
      const isPublic = isPublicIpv4Cidr(cidr);

      // Assess
      expect(isPublic).toBe(true);
    },
  );

  test.each([
    ['private 10/8', '10.1.0.0/16'],
    ['private 172.16/12, upper end', '172.31.0.0/16'],
    ['private 192.168/16', '192.168.10.0/24'],
    ['shared address space 100.64/10', '100.64.0.0/10'],
    ['inside shared address space', '100.127.255.0/24'],
    ['loopback', '127.0.0.1/32'],
    ['link-local', '169.254.169.254/32'],
    ['multicast', '224.0.0.0/8'],
    ['reserved', '240.0.0.0/8'],
    ['"this network" 0/8', '0.0.0.0/8'],
    ['a wide range that contains shared and loopback space', '64.0.0.0/2'],
    ['not a CIDR at all', 'not-a-cidr'],
  ])('treats %s (%s) as not public', (_why, cidr) => {
    // Prepare, Act
    const isPublic = isPublicIpv4Cidr(cidr);

    // Assess
    expect(isPublic).toBe(false);
  });
});

describe('isWideIpv4Cidr', () => {
  test.each([
    ['/23', '198.51.100.0/23', true],
    ['/8', '11.0.0.0/8', true],
    ['/24', '203.0.113.0/24', false],
    ['/32', '192.0.2.1/32', false],
    ['not a CIDR', '203.0.113.0', false],
  ])('answers %s (%s): %s', (_why, cidr, wide) => {
    // Prepare, Act
    const answer = isWideIpv4Cidr(cidr);

    // Assess
    expect(answer).toBe(wide);
  });
});
