import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { JitAccessConfig } from '../../lib/config/schema';
import type { GrantRecord, Residue } from '../../lambdas/domain/types';
import type { AwsCallName } from '../../scripts/local-aws/instrumented-http-handler';
import { removeProcessLocalIdentities } from '../../scripts/local-aws/local-identities';
import { LocalJitAccess, type ExecutionOutcome } from '../../scripts/local-aws/local-jit-access';
import { createLocalWorld, ledgerTableInput, type LocalWorld } from '../../scripts/local-aws/local-world';
import { acmeRequest, PEOPLE, requestAccess, requestArgs, type RequestInput } from '../../scripts/local-aws/scenarios';
import { synthesizeStack, type SynthesizedStack } from '../../scripts/local-aws/synthesized-stack';
import { localClientConfig } from './local-aws-clients';
import { exampleStackConfig } from './synth-stack';
import { cachedTemplate, templateCachePath } from './template-cache';

/** What a residue check reads when jit-access left nothing behind. */
export const NO_RESIDUE: Residue = {
  roles: [],
  policies: [],
  securityGroupRules: [],
  schedules: [],
  sessions: [],
  osAccounts: [],
};

/** Monday 08:00 UTC on the warped clock: every local run starts here unless a test says otherwise. */
export const RUN_STARTS_AT = new Date('2026-03-02T08:00:00.000Z');

/** Longer than the sweeper's 10 minutes before it takes over a revoke that did not finish. */
export const PAST_STUCK_THRESHOLD_MINUTES = 15;

export type AccessRequestInput = RequestInput;

export interface LocalOptions {
  /** Changes the stack config of this world only, e.g. to let an approver also sponsor a vendor. */
  readonly configure?: (config: JitAccessConfig) => JitAccessConfig;
}

export interface ActiveGrant {
  readonly grantId: string;
  readonly request: AccessRequestInput;
  readonly outcome: ExecutionOutcome;
  readonly grant: GrantRecord;
}

/** The stack as synthesized for this test file; its cdk.out is gone (worlds need only the parsed template). */
let synthesized: SynthesizedStack | undefined;

/** The real stack's template as `npm run local` synthesizes it, read from a cdk.out that is then removed. */
function synthesizeIntoTemporaryOutdir(): object {
  const outdir = mkdtempSync(path.join(tmpdir(), 'jit-access-cdk-out-'));
  try {
    return JSON.parse(readFileSync(synthesizeStack(outdir).templatePath, 'utf8')) as object;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The real stack, synthesized once per change of the sources and shared on disk by every test file and jest worker
 * (see template-cache.ts); within a file, every describe block's worlds share it.
 */
function synthesizedOnce(): SynthesizedStack {
  if (!synthesized) {
    const template = cachedTemplate(['localLifecycle'], synthesizeIntoTemporaryOutdir);
    synthesized = {
      config: exampleStackConfig(),
      templatePath: templateCachePath(['localLifecycle']),
      resources: template.Resources as SynthesizedStack['resources'],
    };
  }
  return synthesized;
}

export interface LifecycleOptions {
  /**
   * One world for the whole block instead of one per test, each test with a fresh, empty ledger table in it (where all
   * of jit-access's own bookkeeping lives). For blocks whose every test leaves nothing of its grants in the world
   * (`residue()` proves it, or nothing is ever created): creating a world costs as much as a third of such a test.
   * The world's topic, instances and tags are the block's: a test must not count on being the first to use them.
   */
  readonly sharedWorld?: boolean;
}

/**
 * Registers the hooks of a block of lifecycle tests: the real stack is synthesized (once per file), and `start()`
 * gives each test its own world in the run's moto (names carry a unique suffix, so tests and jest workers never see
 * each other's resources), or the block's world with a ledger of its own (`sharedWorld`), with the synthesized
 * workflow running over it.
 */
export function localLifecycle(lifecycle: LifecycleOptions = {}): {
  start(options?: LocalOptions): Promise<LocalJitAccess>;
} {
  let stack: SynthesizedStack | undefined;
  let shared: LocalWorld | undefined;
  const started: LocalJitAccess[] = [];

  beforeAll(async () => {
    stack = synthesizedOnce();
    if (lifecycle.sharedWorld) shared = await createLocalWorld(localClientConfig().endpoint, stack);
  });

  afterEach(async () => {
    for (const local of started.splice(0)) {
      await local.dispose();
      // In a shared world, an execution the test left (ended by dispose) must not publish into the next test's.
      if (shared) await Promise.allSettled(local.executions.values());
      else await leaveTargetGroups(local.world);
    }
  });

  afterAll(async () => {
    if (shared) await leaveTargetGroups(shared);
  });

  // The worlds' `local-<person>` credential files (LocalJitAccess.startApi): the process's, gone with the file's tests.
  afterAll(removeProcessLocalIdentities);

  return {
    async start(options: LocalOptions = {}): Promise<LocalJitAccess> {
      if (!stack) throw new Error('localLifecycle() must be called at the top of a describe block');
      const { endpoint } = localClientConfig();
      const world = shared ? await withFreshLedger(shared, stack) : await createLocalWorld(endpoint, stack);
      const settings = options.configure
        ? { ...world.settings, config: options.configure(world.settings.config) }
        : world.settings;
      const local = new LocalJitAccess({ ...world, settings }, endpoint, RUN_STARTS_AT);
      started.push(local);
      return local;
    },
  };
}

/** The world with a new, empty ledger table, made as the synthesized template declares it. */
async function withFreshLedger(world: LocalWorld, stack: SynthesizedStack): Promise<LocalWorld> {
  const ledgerTableName = `jit-ledger-${world.suffix}-${randomBytes(4).toString('hex')}`;
  const dynamodb = new DynamoDBClient(localClientConfig());
  try {
    await dynamodb.send(new CreateTableCommand(ledgerTableInput(stack, ledgerTableName)));
  } finally {
    dynamodb.destroy();
  }
  return { ...world, settings: { ...world.settings, ledgerTableName } };
}

/**
 * Takes a world's instances out of their target groups once its test is done. One moto serves every test file of a
 * jest worker, and a tag group (`group:billing-db`) reaches every instance ever tagged into it: a later world's grant
 * would unlock, lock and snapshot them all, tens of calls more with every world before it.
 */
async function leaveTargetGroups(world: LocalWorld): Promise<void> {
  const tagKeys = new Set(world.settings.config.targetGroups.map((group) => group.tagKey));
  const ec2 = new EC2Client(localClientConfig());
  try {
    await ec2.send(
      new DeleteTagsCommand({
        Resources: Object.values(world.instances).flat(),
        Tags: [...tagKeys].map((Key) => ({ Key })),
      }),
    );
  } finally {
    ec2.destroy();
  }
}

/** A world where `person` (an approver) also sponsors acme: the only way a requester can be an approver. */
export function alsoSponsorsAcme(person: string): LocalOptions {
  return {
    configure: (config) => ({
      ...config,
      vendors: config.vendors.map((v) => (v.id === 'acme' ? { ...v, sponsors: [...v.sponsors, person] } : v)),
    }),
  };
}

/** Two of the three configured approvers approve (alice, then bob). */
export async function approveByTwo(local: LocalJitAccess, grantId: string): Promise<void> {
  await local.decide(grantId, PEOPLE.approvers[0], 'approve', 'ticket checked');
  await local.decide(grantId, PEOPLE.approvers[1], 'approve');
}

/**
 * The sponsor requests acme's access (with `overrides`) through the CLI, two approvers approve, and the workflow runs
 * to the end of the grant step.
 */
export async function grantThroughWorkflow(
  local: LocalJitAccess,
  overrides: Partial<RequestInput> = {},
): Promise<ActiveGrant> {
  const request = acmeRequest(local, overrides);
  const { grantId, done } = await requestAccess(local, request);
  await approveByTwo(local, grantId);
  const outcome = await done;
  return { grantId, request, outcome, grant: await ledgerRecord(local, grantId) };
}

/**
 * erin's break-glass request for acme (with `overrides`) through the CLI; returns the grant id and the execution,
 * which runs straight on to the grant. (Unlike `requestAccess`, nothing waits for an approval step that never comes.)
 */
export async function requestBreakGlass(
  local: LocalJitAccess,
  overrides: Partial<RequestInput> = {},
): Promise<{ grantId: string; done: Promise<ExecutionOutcome> }> {
  const request = acmeRequest(local, { ...overrides, breakGlass: true });
  const { grantId } = await local.cliOk<{ grantId: string }>(PEOPLE.breakGlass, ['request', ...requestArgs(request)]);
  const done = local.executions.get(grantId);
  if (!done) throw new Error(`the API started no execution for ${grantId}`);
  return { grantId, done };
}

/** The grant as the ledger holds it now; a test fails here if the ledger has no such grant. */
export async function ledgerRecord(local: LocalJitAccess, grantId: string): Promise<GrantRecord> {
  const grant = await local.deps.ledger.getGrant(grantId);
  if (!grant) throw new Error(`the ledger has no grant ${grantId}`);
  return grant;
}

/** The first vendor instance the request names. */
export function firstTarget(request: AccessRequestInput): string {
  const instanceId = request.targets[0];
  if (!instanceId) throw new Error('the request names no target');
  return instanceId;
}

/** The AWS calls of the last timeline entry whose step matches, e.g. `Grant access` or `expiry schedule ... fired`. */
export function callsOfLastStep(local: LocalJitAccess, step: RegExp): readonly AwsCallName[] {
  const entry = [...local.timeline].reverse().find((e) => step.test(e.step));
  if (!entry) throw new Error(`no timeline step matches ${step}`);
  return entry.awsCalls;
}

/** Each call name once, in the order first made. */
export function distinctCalls(calls: readonly AwsCallName[]): AwsCallName[] {
  return [...new Set(calls)];
}

/** Calls that may change AWS state: every call but reads (Get*, List*, Describe*, Query). */
export function mutatingCalls(calls: readonly AwsCallName[]): AwsCallName[] {
  return calls.filter((call) => !/^(Get|List|Describe|Query)/.test(call.split(':')[1] ?? ''));
}

export function isClean(residue: Residue): boolean {
  return Object.values(residue).every((items: readonly string[]) => items.length === 0);
}

/** Settles a promise into its error (or undefined), for acts that may fail on purpose. */
export async function errorOf(work: Promise<unknown>): Promise<Error | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/** One message the notification topic published: its subject and text, as approvers receive them. */
export interface Notification {
  readonly subject: string;
  readonly message: string;
}

/**
 * An SQS queue subscribed to the world's notification topic, standing in for approvers' mail: `messages()` returns
 * everything published since the subscription. Close it when done.
 */
export async function subscribeToNotifications(
  local: LocalJitAccess,
): Promise<{ messages(): Promise<Notification[]>; close(): void }> {
  const sqs = new SQSClient(localClientConfig());
  const sns = new SNSClient(localClientConfig());
  // A queue of its own: in a shared world, an earlier test's queue holds that test's messages.
  const QueueName = `notifications-${local.world.suffix}-${randomBytes(4).toString('hex')}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({ TopicArn: local.world.settings.topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
  );
  sns.destroy();
  const received: Notification[] = [];
  return {
    async messages() {
      for (;;) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
        if (Messages.length === 0) return received;
        for (const { Body } of Messages) {
          const envelope = JSON.parse(Body ?? '{}') as { Subject?: string; Message?: string };
          received.push({ subject: envelope.Subject ?? '', message: envelope.Message ?? '' });
        }
      }
    },
    close: () => sqs.destroy(),
  };
}
