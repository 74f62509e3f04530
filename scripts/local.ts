import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { isAdmin, isApprover, isBreakGlassPerson, isSponsor } from '../lambdas/domain/identity';
import { parseDuration } from '../lib/cli/arguments';
import { OUTPUTS, securityGroupOutput } from '../lib/stack-outputs';
import { startMoto } from './local-aws/local-aws';
import { LocalIdentities } from './local-aws/local-identities';
import { LocalJitAccess } from './local-aws/local-jit-access';
import { createLocalWorld } from './local-aws/local-world';
import { synthesizeStack } from './local-aws/synthesized-stack';

const ROOT = path.resolve(__dirname, '..');
/** Git-ignored: the local profiles' keys, the stack outputs for `plan --outputs`, and an env file to source. */
const LOCAL_DIR = path.join(ROOT, '.local');
const TICK_MS = 1_000;

const HELP = `Usage: npm run local -- [--speed N] [--json]

Keeps the whole jit-access system running on this machine until Ctrl-C: local AWS (moto), the synthesized state
machine, the API behind a loopback HTTP server that checks SigV4 signatures, and the expiry schedules and the sweeper
firing on the local clock. Prints the environment for the jit-access CLI (a profile per configured person) and for
inspecting local AWS with the AWS CLI.

  --speed N   run the clock N times faster than real time (default 1; 60 makes an hour pass in a minute)
  --json      print the environment as one JSON object instead of text
  -h, --help  this text

While it runs, type a command and Enter:
  session <grant-id> [line ...]   the vendor assumes the grant's role, opens a session and types the lines
  advance <time>                  move the clock forward (e.g. 30m, 8h); due schedules fire
  sweep                           run the sweeper now
  denied <grant-id> [count]       CloudTrail records count calls refused to the grant's role (default 1; the lockout)
  help                            these commands`;

function readArguments(): { speed: number; json: boolean } | { exit: number } {
  try {
    const { values } = parseArgs({
      options: {
        speed: { type: 'string', default: '1' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return { exit: 0 };
    }
    const speed = Number(values.speed);
    if (!Number.isFinite(speed) || speed < 1 || speed > 3600) {
      process.stderr.write(`--speed: "${values.speed}" is not a speed: use a number from 1 to 3600\n`);
      return { exit: 2 };
    }
    return { speed, json: values.json ?? false };
  } catch (error) {
    process.stderr.write(`local: ${(error as Error).message} (see npm run local -- --help)\n`);
    return { exit: 2 };
  }
}

const progress = (line: string) => process.stderr.write(`[local] ${line}\n`);

async function main(): Promise<number> {
  const args = readArguments();
  if ('exit' in args) return args.exit;

  const stack = synthesizeStack(path.join(ROOT, 'cdk.out'), {
    reused: (reused) =>
      progress(
        reused
          ? 'cdk.out holds the stack as synthesized from these sources: reusing it'
          : 'synthesizing the stack into cdk.out',
      ),
  });
  progress('starting local AWS (moto)');
  const moto = await startMoto({ log: progress });
  const world = await createLocalWorld(moto.endpoint, stack, progress);
  const realStart = Date.now();
  const local = new LocalJitAccess(world, moto.endpoint, new Date(realStart), { live: true });
  mkdirSync(LOCAL_DIR, { recursive: true });
  const identities = new LocalIdentities(path.join(LOCAL_DIR, 'aws'));
  const { url, people } = await local.startApi(identities);
  const { settings, instances } = world;

  const outputsFile = path.join(LOCAL_DIR, 'outputs.json');
  writeFileSync(
    outputsFile,
    `${JSON.stringify(
      {
        JitAccess: {
          [OUTPUTS.apiUrl]: url,
          [OUTPUTS.ledgerTableName]: settings.ledgerTableName,
          [OUTPUTS.sessionDocumentName]: settings.sessionDocumentName,
          [OUTPUTS.osAccountDocumentName]: settings.osAccountDocumentName,
          [OUTPUTS.sessionLogGroupName]: settings.sessionLogGroupName,
          [OUTPUTS.sessionKeyArn]: settings.sessionKeyArn,
          [OUTPUTS.permissionsBoundaryArn]: settings.permissionsBoundaryArn,
          [OUTPUTS.scheduleGroupName]: settings.scheduleGroupName,
          [OUTPUTS.grantRolePath]: settings.config.iamPath,
          [OUTPUTS.evidenceKeyArn]: world.audit.evidenceKeyArn,
          ...Object.fromEntries(Object.entries(settings.securityGroups).map(([g, id]) => [securityGroupOutput(g), id])),
        },
      },
      null,
      2,
    )}\n`,
  );
  const env: Record<string, string> = {
    ...identities.env(),
    JIT_ACCESS_API_URL: url,
    AWS_REGION: settings.env.region,
  };
  const envFile = path.join(LOCAL_DIR, 'env.sh');
  writeFileSync(
    envFile,
    `${Object.entries(env)
      .map(([k, v]) => `export ${k}=${v}`)
      .join('\n')}\n`,
  );

  const { config } = settings;
  const roles = (person: string) =>
    [
      ...config.vendors.filter((v) => isSponsor(person, v)).map((v) => `sponsor of ${v.id}`),
      ...(isApprover(person, config) ? ['approver'] : []),
      ...(isAdmin(person, config) ? ['admin'] : []),
      ...(isBreakGlassPerson(person, config) ? ['break-glass'] : []),
      ...(config.auditors.includes(person) ? ['auditor'] : []),
    ].join(', ');
  const billing = instances['billing-db']?.[0] ?? 'i-…';
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({
        apiUrl: url,
        awsEndpoint: moto.endpoint,
        env,
        envFile: path.relative(ROOT, envFile),
        outputsFile: path.relative(ROOT, outputsFile),
        profiles: Object.fromEntries(
          Object.entries(people).map(([person, p]) => [person, { profile: p.profile, arn: p.arn }]),
        ),
        instances,
        iamPath: config.iamPath,
        securityGroups: settings.securityGroups,
        scheduleGroupName: settings.scheduleGroupName,
        ledgerTableName: settings.ledgerTableName,
      })}\n`,
    );
  } else {
    const out = (line = '') => process.stdout.write(`${line}\n`);
    out(`jit-access is running locally (Ctrl-C to stop), clock ${args.speed === 1 ? 'real time' : `×${args.speed}`}`);
    out(`  API        ${url}  (SigV4 checked; only the account's people)`);
    out(`  local AWS  ${moto.endpoint}  (moto)`);
    out();
    out('In another shell, in this directory:');
    out(`  source ${path.relative(ROOT, envFile)}`);
    out();
    out('People (each a profile whose requests are signed and checked like real credentials):');
    for (const [person, p] of Object.entries(people)) out(`  ${p.profile.padEnd(12)} ${roles(person) || '-'}`);
    out();
    out('Try:');
    out(
      `  npx jit-access --profile local-dana request --vendor acme --targets ${billing} --duration 2h --ports 5432 \\`,
    );
    out(`      --ticket CHG-4711 --reason "Vendor support for the billing database upgrade"`);
    out('  npx jit-access --profile local-alice approve <grant-id> --comment "ticket checked"');
    out('  npx jit-access --profile local-bob approve <grant-id>');
    out('  npx jit-access --profile local-dana show <grant-id>');
    out('  (here) session <grant-id> whoami            the vendor opens a session and types');
    out('  npx jit-access --profile local-alice watch <grant-id> --once');
    out('  npx jit-access --profile local-erin revoke <grant-id> --reason "kill switch drill"');
    out('  npx jit-access --profile local-carol audit <grant-id> --out audit-<grant-id>');
    out('  npx jit-access --profile local-carol audit verify audit-<grant-id>');
    out(
      `  npx jit-access plan --vendor acme --targets group:billing-db --duration 1h --outputs ${path.relative(ROOT, outputsFile)}`,
    );
    out();
    out('Inspect local AWS with the AWS CLI, if you have it:');
    out(`  aws --endpoint-url ${moto.endpoint} iam list-roles --path-prefix ${config.iamPath}`);
    out(
      `  aws --endpoint-url ${moto.endpoint} ec2 describe-security-group-rules --filters Name=group-id,Values=${Object.values(settings.securityGroups).join(',')}`,
    );
    out(`  aws --endpoint-url ${moto.endpoint} scheduler list-schedules --group-name ${settings.scheduleGroupName}`);
    out(`  aws --endpoint-url ${moto.endpoint} dynamodb scan --table-name ${settings.ledgerTableName}`);
    out();
    out('Type "help" for the local commands (session, advance, sweep, denied).');
  }

  let lastSweep = local.clock().getTime();
  const sweepEveryMs = config.sweeperRateMinutes * 60_000;
  /** What `advance` added on top of the (sped-up) real time. */
  let skippedMs = 0;
  const clockNow = () => new Date(realStart + (Date.now() - realStart) * args.speed + skippedMs);
  let ticking = false;
  let stopping = false;
  const ticker = setInterval(() => {
    if (ticking) return;
    ticking = true;
    const now = clockNow();
    void local
      .advanceTo(now)
      .then(async () => {
        if (local.clock().getTime() - lastSweep >= sweepEveryMs) {
          lastSweep = local.clock().getTime();
          await local.sweep();
        }
      })
      .catch((error: unknown) => {
        if (!stopping) progress(`clock: ${(error as Error).message}`);
      })
      .finally(() => (ticking = false));
  }, TICK_MS);

  const lines = createInterface({ input: process.stdin, terminal: false });
  const advance = async (ms: number) => {
    skippedMs += ms;
    await local.advanceTo(clockNow());
  };
  lines.on('line', (line) => {
    void command(local, line.trim(), advance).catch((error: unknown) => progress((error as Error).message));
  });

  return new Promise<number>((resolve) => {
    const stop = () => {
      stopping = true;
      clearInterval(ticker);
      lines.close();
      progress('stopping');
      void local
        .dispose()
        .then(() => moto.stop())
        .then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** One of the local commands typed while it runs. */
async function command(local: LocalJitAccess, line: string, advance: (ms: number) => Promise<void>): Promise<void> {
  const [verb, ...rest] = line.split(/\s+/);
  if (!verb) return;
  if (verb === 'help') {
    process.stderr.write(`${HELP.slice(HELP.indexOf('While it runs'))}\n`);
  } else if (verb === 'session') {
    const [grantId, ...typed] = rest;
    const grant = grantId ? await local.deps.ledger.getGrant(grantId) : undefined;
    const target = grant?.targets.flatMap((t) => (t.kind === 'instances' ? t.instanceIds : []))[0];
    if (!grant || !target) throw new Error(`session: ${grantId ?? '(none)'} is not an active grant on named instances`);
    const sessionId = await local.vendorStartsSession(grant.grantId, target);
    if (typed.length > 0) await local.vendorTypes(sessionId, [typed.join(' ')]);
    progress(`vendor session ${sessionId} open on ${target}`);
  } else if (verb === 'advance') {
    await advance(parseDuration(rest[0] ?? '') * 60_000);
    progress(`clock now ${local.clock().toISOString()}`);
  } else if (verb === 'sweep') {
    progress(`sweep: ${JSON.stringify(await local.sweep())}`);
  } else if (verb === 'denied') {
    const [grantId = '', count = '1'] = rest;
    if (!/^[1-9]\d{0,2}$/.test(count)) throw new Error(`denied: count "${count}" must be a whole number from 1 to 999`);
    const outcomes = await local.vendorDenied(grantId, Number(count));
    progress(`lockout: ${JSON.stringify(outcomes.at(-1))}`);
  } else {
    throw new Error(`"${verb}" is not a local command: type help`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`local failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
