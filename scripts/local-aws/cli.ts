import { ensureVenv, startMoto } from './local-aws';

const USAGE = `Usage: npx tsx scripts/local-aws/cli.ts <command>

Commands:
  setup   Create or update the project-local .venv with the pinned moto, .venv/cfn-lint with the pinned cfn-lint
          and .venv/checkov with the pinned checkov, then exit.
  start   Start moto on a free 127.0.0.1 port, print its endpoint, and run until Ctrl-C (SIGINT) or SIGTERM.

Options:
  --json       Machine-readable output: setup prints {"venv":"<bin dir>"}, start prints {"endpoint","port"}.
  -h, --help   Show this help.

Progress goes to stderr; \`start\` prints only the endpoint (http://127.0.0.1:<port>) on stdout.`;

async function main(args: readonly string[]): Promise<number> {
  const json = args.includes('--json');
  const [command, ...rest] = args.filter((a) => a !== '--json');
  if (command === undefined || command === '-h' || command === '--help' || rest.includes('--help')) {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (rest.length > 0) {
    console.error(`unexpected arguments: ${rest.join(' ')}\n\n${USAGE}`);
    return 1;
  }
  switch (command) {
    case 'setup': {
      const venvBin = await ensureVenv();
      if (json) console.log(JSON.stringify({ venv: venvBin }));
      return 0;
    }
    case 'start':
      return serve(json);
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

async function serve(json: boolean): Promise<number> {
  const moto = await startMoto();
  console.log(json ? JSON.stringify({ endpoint: moto.endpoint, port: moto.port }) : moto.endpoint);
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
