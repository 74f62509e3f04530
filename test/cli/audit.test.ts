import * as path from 'node:path';
import type { CliIo } from '../../lib/cli/context';
import { runCli } from '../../lib/cli/program';
import { scratchDir } from '../helpers/scratch-dir';

/** The CLI in-process under --json; the network is not reachable, so anything sent fails the test loudly. */
async function cli(
  ...argv: string[]
): Promise<{ code: number; json: { error?: { field?: string; message?: string } } }> {
  let stdout = '';
  const io: CliIo = {
    out: (text) => (stdout += text),
    err: () => undefined,
    fetch: () => Promise.reject(new Error('bad input must be refused before anything is sent')),
    sleep: async () => undefined,
    now: () => new Date('2030-03-01T09:00:00.000Z'),
  };
  const code = await runCli(
    ['--json', '--api-url', 'https://example.invalid/v1', '--region', 'eu-west-1', ...argv],
    io,
  );
  return { code, json: JSON.parse(stdout) as { error?: { field?: string; message?: string } } };
}

describe('jit-access audit refuses bad input before sending anything', () => {
  it.each([
    [['audit'], '<grant-id>', /is required: give a grant id, or --since and --until/],
    [['audit', 'g-0123456789ab', '--since', '2030-01-01'], '<grant-id>', /not both/],
    [['audit', 'g-0123456789ab', '--format', 'pdf'], '--format', /"pdf" is not a format: use md, json or csv/],
    [['audit', '--since', '2030-01-01'], '--until', /is required for an access review/],
    [['audit', '--since', '2030-01-01', '--until', '2030-02-01', '--out', 'x'], '--out', /give a grant id/],
  ])('%j: exit 2 naming %s', async (argv, field, message) => {
    // Act
    const run = await cli(...argv);

    // Assess
    expect(run.code).toBe(2);
    expect(run.json.error?.field).toBe(field);
    expect(run.json.error?.message).toMatch(message);
  });

  it('verify of a directory without a bundle names the missing manifest', async () => {
    // Prepare
    const dir = scratchDir('jit-not-a-bundle-');

    // Act
    const run = await cli('audit', 'verify', dir);

    // Assess
    expect(run.code).toBe(2);
    expect(run.json.error?.field).toBe('<dir>');
    expect(run.json.error?.message).toContain(`${path.join(dir, 'manifest.json')} is missing`);
  });
});
