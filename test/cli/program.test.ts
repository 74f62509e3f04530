import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ROUTE_NAMES, ROUTES } from '../../lambdas/handlers/api/contract';
import type { CliIo } from '../../lib/cli/context';
import { buildProgram, runCli } from '../../lib/cli/program';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs the CLI in-process with its output captured; the network and the clock are not reachable from here. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    fetch: () => Promise.reject(new Error('no network in unit tests')),
    sleep: async () => undefined,
    now: () => new Date('2030-03-01T09:00:00.000Z'),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** Every command and subcommand of the program, as `vendor disable` style paths. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const here = [...prefix, sub.name()];
    return sub.commands.length > 0 ? commandPaths(sub, here) : [here];
  });
}

const COMMANDS = commandPaths(buildProgram({ out: () => undefined, err: () => undefined } as unknown as CliIo));

describe('the jit-access program', () => {
  test('has the commands the README and the issue name', () => {
    // Assess
    expect(COMMANDS.map((c) => c.join(' ')).sort()).toEqual(
      [
        'approve',
        'audit signing-key',
        'audit verify',
        'connect',
        'deny',
        'extend',
        'list',
        'plan',
        'request',
        'revoke',
        'show',
        'vendor disable',
        'vendor enable',
        'vendor unlock',
        'vendor list',
        'watch',
        'whoami',
      ].sort(),
    );
  });

  test.each(COMMANDS.map((c) => [c.join(' '), c]))('"%s --help" prints its usage and exits 0', async (_, words) => {
    // Act
    const run = await cli(...(words as string[]), '--help');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: jit-access ${(words as string[]).join(' ')}`);
  });

  test('every command accepts --json (a global option)', async () => {
    // Act
    const run = await cli('--json', 'plan', '--help');

    // Assess
    expect(run.code).toBe(0);
    const top = await cli('--help');
    expect(top.stdout).toContain('--json');
  });

  test('an unknown option is bad input: exit 2, one line, no stack trace', async () => {
    // Act
    const run = await cli('list', '--colour');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual(["error: unknown option '--colour'"]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('a missing required option is bad input, naming the option', async () => {
    // Act
    const run = await cli('deny', 'g-0123456789ab');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '--reason <text>' not specified");
  });

  test('reports every bad request option at once, one line each, before anything is sent', async () => {
    // Act
    const run = await cli(
      'request',
      '--vendor',
      'acme',
      '--targets',
      'group:billing-db',
      '--duration',
      'soon',
      '--ticket',
      'CHG-1',
      '--reason',
      'the reason for it',
      '--ports',
      'icmp:8',
      '--start',
      'tomorrow',
    );

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      '--duration: "soon" is not a duration: use minutes (90), or 2h, 1h30m, 45m',
      '--ports: "icmp:8" is not a port or range: use 5432, udp:514 or tcp:8000-8010',
      '--start: "tomorrow" is not a start: use an ISO date-time with a zone (2030-03-01T09:00:00Z) or +30m',
    ]);
  });

  test('under --json a refusal is one JSON document on stdout', async () => {
    // Act
    const run = await cli('--json', 'watch', 'g-0123456789ab', '--interval', '0s');

    // Assess
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: 'BAD_INPUT', field: '--interval', message: 'must be at least 1s' },
    });
  });

  test('under --json, several bad options are each listed in the one error document', async () => {
    // Act
    const run = await cli(
      '--json',
      'request',
      '--vendor',
      'acme',
      '--targets',
      'group:billing-db',
      '--duration',
      'soon',
      '--ticket',
      'CHG-1',
      '--reason',
      'the reason for it',
      '--ports',
      'icmp:8',
    );

    // Assess
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        code: 'BAD_INPUT',
        field: '--duration',
        message: '"soon" is not a duration: use minutes (90), or 2h, 1h30m, 45m',
        problems: [
          { field: '--duration', message: '"soon" is not a duration: use minutes (90), or 2h, 1h30m, 45m' },
          { field: '--ports', message: '"icmp:8" is not a port or range: use 5432, udp:514 or tcp:8000-8010' },
        ],
      },
    });
  });

  test('an unreachable API is a refusal (exit 1) that names where it tried', async () => {
    // Act
    const run = await cli('--api-url', 'https://example.invalid/v1/', '--region', 'eu-west-1', 'list');

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^(could not reach https:\/\/example\.invalid|no AWS credentials to sign with)/);
  });
});

describe('the README', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  test.each(COMMANDS.map((c) => [c.join(' ')]))('documents "jit-access %s"', (command) => {
    // Assess
    expect(readme).toContain(`jit-access ${command}`);
  });

  test.each(ROUTE_NAMES.map((name) => [name, `${ROUTES[name].method} ${ROUTES[name].path}`]))(
    'documents the %s route (%s)',
    (_, route) => {
      // Assess
      expect(readme).toContain(`\`${route}\``);
    },
  );
});
