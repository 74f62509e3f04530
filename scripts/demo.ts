import { parseArgs } from 'node:util';
import type { DemoArguments } from './local-aws/demo-run';
import { SCENARIOS, type ScenarioName } from './local-aws/scenarios';

const HELP = `Usage: npm run demo -- [--scenario ${SCENARIOS.join('|')}] [--json]

Runs one grant's whole lifecycle offline: people act with the real jit-access CLI, signed as local profiles, against
the stack's API handlers behind a loopback server; the synthesized state machine (cdk.out) runs in
aws-local-stepfunctions with the real Lambda handlers in-process, against a local moto server (installed into .venv
on first use), on a warped clock. Prints the timeline, what was created, the vendor's own calls judged by an IAM policy
simulator (moto enforces no IAM), and the residue check; exits 1 if anything was left behind or IAM answered a
vendor call otherwise than the security model says.

  -s, --scenario  approve (default): dana requests, alice and bob approve, the vendor works, expiry removes everything
                  deny: an approver denies          timeout: nobody decides in time
                  kill: the kill switch during a session
                  overlap: two grants share an ingress rule; the first revoke keeps it for the second
                  fault: a permanent AWS failure mid-grant; compensation removes what was created
                  break-glass: erin gets access at once; approvers review it afterwards
                  lockout: five denied calls revoke the grant and lock the vendor; erin unlocks it
  --json          print {"scenario","grantId","outcome","finalStatus","timeline","awsCalls","created","vendorIam",
                  "osAccount","residue"}
  -h, --help      this text

With JIT_AWS_ENDPOINT set (e.g. from npm run local-aws -- start), the demo uses that moto instead of starting its own,
and leaves its world there to inspect.`;

/** The command line, or a one-line refusal (exit 2). */
function readArguments(): DemoArguments | { exit: number } {
  let values: { scenario?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        scenario: { type: 'string', short: 's', default: 'approve' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message} (see npm run demo -- --help)\n`);
    return { exit: 2 };
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return { exit: 0 };
  }
  const scenario = values.scenario as ScenarioName;
  if (!SCENARIOS.includes(scenario)) {
    process.stderr.write(`--scenario: "${values.scenario}" is not a scenario: use one of ${SCENARIOS.join(', ')}\n`);
    return { exit: 2 };
  }
  return { scenario, json: values.json ?? false };
}

async function main(): Promise<number> {
  const args = readArguments();
  if ('exit' in args) return args.exit;
  // Loaded only now: --help and a refused argument need none of the stack, moto, the handlers or the AWS SDK.
  const { runDemo } = await import('./local-aws/demo-run');
  return runDemo(args);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
