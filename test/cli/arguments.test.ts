import { ArgumentCheck, parseDuration, parsePorts, parseStart, parseTargets } from '../../lib/cli/arguments';

describe('CLI arguments', () => {
  test.each([
    ['90', 90],
    ['90m', 90],
    ['2h', 120],
    ['1h30m', 90],
    ['1d', 1440],
  ])('reads the duration %s as %i minutes', (text, minutes) => {
    // Act
    const parsed = parseDuration(text);

    // Assess
    expect(parsed).toBe(minutes);
  });

  test.each(['', 'soon', '2x', '-5', 'h'])('refuses %j as a duration, saying which forms it takes', (text) => {
    // Act
    const act = () => parseDuration(text);

    // Assess
    expect(act).toThrow(/is not a duration: use minutes \(90\), or 2h, 1h30m, 45m/);
  });

  test('reads ports with tcp as the default protocol, single ports and ranges', () => {
    // Act
    const ports = parsePorts('5432,udp:514,tcp:8000-8010');

    // Assess
    expect(ports).toEqual([
      { protocol: 'tcp', fromPort: 5432, toPort: 5432 },
      { protocol: 'udp', fromPort: 514, toPort: 514 },
      { protocol: 'tcp', fromPort: 8000, toPort: 8010 },
    ]);
  });

  test('refuses a port it cannot read, naming the part', () => {
    // Act
    const act = () => parsePorts('5432,icmp:8');

    // Assess
    expect(act).toThrow('"icmp:8" is not a port or range: use 5432, udp:514 or tcp:8000-8010');
  });

  test('reads targets as a comma-separated list and refuses an empty one', () => {
    // Act
    const targets = parseTargets(' i-0123456789abcdef0 , group:billing-db ');

    // Assess
    expect(targets).toEqual(['i-0123456789abcdef0', 'group:billing-db']);
    expect(() => parseTargets(' , ')).toThrow('name at least one instance id or group:<name>');
  });

  test('reads a start as an ISO date-time with a zone, or as an offset from now', () => {
    // Prepare
    const now = new Date('2030-03-01T09:00:00.000Z');

    // Act
    const absolute = parseStart('2030-03-02T10:00:00+01:00', now);
    const relative = parseStart('+30m', now);

    // Assess
    expect(absolute).toBe('2030-03-02T09:00:00.000Z');
    expect(relative).toBe('2030-03-01T09:30:00.000Z');
  });

  test('refuses a start without a zone: a local time would mean different instants to different people', () => {
    // Act
    const act = () => parseStart('2030-03-02T10:00:00', new Date());

    // Assess
    expect(act).toThrow(/is not a start: use an ISO date-time with a zone/);
  });

  test('collects every problem of a command line instead of stopping at the first', () => {
    // Prepare
    const check = new ArgumentCheck();

    // Act
    check.take('--duration', () => parseDuration('soon'));
    check.take('--ports', () => parsePorts('x'));
    const fine = check.take('--targets', () => parseTargets('group:billing-db'));

    // Assess
    expect(check.problems.map((p) => p.field)).toEqual(['--duration', '--ports']);
    expect(fine).toEqual(['group:billing-db']);
  });
});
