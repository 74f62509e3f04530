import { ensureVenv, startMoto } from './local-aws';

const USAGE = `Usage: npx tsx scripts/local-aws/cli.ts <command>

Commands:
  setup   Create or update the project-local .venv with the pinned moto and cfn-lint, then exit.
  start   Start moto on a free 127.0.0.1 port, print its endpoint, and run until Ctrl-C (SIGINT) or SIGTERM.

Options:
  -h, --help   Show this help.

Progress goes to stderr; \`start\` prints only the endpoint (http://127.0.0.1:<port>) on stdout.`;

async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '-h' || command === '--help' || rest.includes('--help')) {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (rest.length > 0) {
    console.error(`unexpected arguments: ${rest.join(' ')}\n\n${USAGE}`);
    return 1;
  }
  switch (command) {
    case 'setup':
      await ensureVenv();
      return 0;
    case 'start':
      return serve();
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

async function serve(): Promise<number> {
  const moto = await startMoto();
  console.log(moto.endpoint);
  process.stderr.write(`[local-aws] moto is listening on ${moto.endpoint}; Ctrl-C stops it\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write(`[local-aws] ${signal}: stopping moto\n`);
  await moto.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
