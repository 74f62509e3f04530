import { Command, CommanderError } from 'commander';
import { registerAudit } from './audit';
import { registerConnect } from './connect';
import { CliContext, processIo, type CliIo, type GlobalOptions } from './context';
import { registerDecide } from './decide';
import { CliError, EXIT } from './errors';
import { registerExtend } from './extend';
import { registerList } from './list';
import { registerPlan } from './plan';
import { registerRequest } from './request';
import { registerRevoke } from './revoke';
import { registerShow } from './show';
import { registerVendor } from './vendor';
import { registerWatch } from './watch';
import { registerWhoami } from './whoami';

const DESCRIPTION = `Just-in-time vendor access: request, approve, revoke, watch, inspect and audit grants.

Every command talks to the stack's API with SigV4-signed requests: who you are is your AWS identity
(--profile, or the default credential chain), resolved to a person in the stack's config.
Exit codes: 0 done, 1 refused or failed, 2 bad input.`;

/** The `jit-access` program, writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('jit-access')
    .description(DESCRIPTION)
    .option('--profile <name>', 'AWS profile to sign requests with (default: the default credential chain)')
    .option('--region <region>', 'AWS region (default: from the API URL, AWS_REGION, or the profile)')
    .option('--api-url <url>', "the stack's ApiUrl output (default: JIT_ACCESS_API_URL, else read from the stack)")
    .option('--stack-name <name>', 'the stack to read the API URL from', 'JitAccess')
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) => write(text),
    });
  let context: CliContext | undefined;
  const contextOf = () => (context ??= new CliContext(io, program.opts<GlobalOptions>()));
  registerWhoami(program, contextOf);
  registerRequest(program, contextOf);
  registerDecide(program, contextOf);
  registerRevoke(program, contextOf);
  registerExtend(program, contextOf);
  registerList(program, contextOf);
  registerShow(program, contextOf);
  registerPlan(program, contextOf);
  registerConnect(program, contextOf);
  registerWatch(program, contextOf);
  registerVendor(program, contextOf);
  registerAudit(program, contextOf);
  return program;
}

/** Runs one command line; returns the exit code. Never throws and never prints a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exit code 0; commander has already printed its one-line error otherwise.
      if (error.exitCode === 0) return EXIT.ok;
      if (argv.includes('--json')) {
        const message = error.message.replace(/^error: /, '');
        io.out(`${JSON.stringify({ error: { code: 'BAD_INPUT', message } }, null, 2)}\n`);
      }
      return EXIT.badInput;
    }
    const json = program.opts<GlobalOptions>().json;
    if (error instanceof CliError) {
      if (json) io.out(`${JSON.stringify({ error: error.detail }, null, 2)}\n`);
      else for (const line of error.lines) io.err(`${line}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (json) io.out(`${JSON.stringify({ error: { code: 'FAILED', message } }, null, 2)}\n`);
    else io.err(`jit-access: ${message}\n`);
    return EXIT.refused;
  }
}
