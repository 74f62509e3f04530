import './quiet-powertools';
import './promise-with-resolvers';
import { DescribeInstancesCommand, DescribeSecurityGroupRulesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';

type LocalTaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type ExecutionInput = Parameters<StateMachine['run']>[0];
type JsonValue = Awaited<ReturnType<LocalTaskHandlers[string]>>;
import {
  S3ChangeSnapshots,
  type ChangeDeltaGrant,
  type InstanceChangeDelta,
} from '../../lambdas/adapters/change-snapshots';
import { DynamoLedger } from '../../lambdas/adapters/ledger';
import { CloudWatchSessionLogs } from '../../lambdas/adapters/logs';
import { Ec2Network } from '../../lambdas/adapters/ec2';
import { IamGrantRoles } from '../../lambdas/adapters/iam';
import { SnsNotifier } from '../../lambdas/adapters/notifier';
import { SchedulerExpirySchedules } from '../../lambdas/adapters/scheduler';
import type { ApprovalCallback, ExecutionStatus, WorkflowExecutions } from '../../lambdas/adapters/sfn';
import { atExpressionInstant } from '../../lambdas/domain/expiry';
import { roleNameFor } from '../../lambdas/domain/planner';
import type { Residue } from '../../lambdas/domain/types';
import { KmsEvidenceSigner } from '../../lambdas/adapters/evidence-signer';
import { S3TranscriptObjects, TRANSCRIPT_PREFIX } from '../../lambdas/adapters/transcripts';
import { createApiAuditHandler } from '../../lambdas/handlers/api-audit';
import { createApiDecideHandler } from '../../lambdas/handlers/api-decide';
import { createApiReadHandler } from '../../lambdas/handlers/api-read';
import { createApiRequestHandler } from '../../lambdas/handlers/api-request';
import type { ApiFunctionName, RouteName } from '../../lambdas/handlers/api/contract';
import { createGrantHandler } from '../../lambdas/handlers/grant';
import { createLockoutHandler } from '../../lambdas/handlers/lockout';
import { createOsAccountResultHandler } from '../../lambdas/handlers/os-account-result';
import type { LockoutOutcome } from '../../lambdas/lifecycle/lockout';
import { createRecordOutcomeHandler } from '../../lambdas/handlers/record-outcome';
import { createRequestApprovalHandler } from '../../lambdas/handlers/request-approval';
import { createRevokeHandler } from '../../lambdas/handlers/revoke';
import { createSweeperHandler } from '../../lambdas/handlers/sweeper';
import { createValidateRequestHandler } from '../../lambdas/handlers/validate-request';
import type { AwsClientConfig } from '../../lambdas/shared/aws-client-config';
import type { Dependencies } from '../../lambdas/shared/dependencies';
import { runCli } from '../../lib/cli/program';
import type { AuditSources } from '../../lambdas/lifecycle/audit';
import { deniedCallEvent } from './cloudtrail-events';
import { InMemoryCloudTrailHistoryDouble } from './in-memory-cloudtrail-history';
import { InMemoryOsAccountsDouble, type SnapshotEvidence } from './in-memory-os-accounts';
import { InMemorySessionManagerDouble } from './in-memory-session-manager';
import { InstrumentedHttpHandler, type AwsCallName, type FaultKind } from './instrumented-http-handler';
import { LocalApiServer } from './local-api';
import { processLocalIdentities, type LocalIdentities, type LocalIdentity } from './local-identities';
import { checkVendorCalls, type VendorIamCheck } from './vendor-iam-checks';
import { localClientConfig, localS3, type LocalWorld } from './local-world';

/** What a CLI command printed and how it ended. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, for commands run with --json (undefined when it is not JSON). */
  readonly json: unknown;
}

/** The CLI verb of each route, for the timeline. */
const VERBS: Readonly<Record<RouteName, string>> = {
  whoami: 'whoami',
  listGrants: 'list',
  createRequest: 'request',
  showGrant: 'show',
  grantPlan: 'plan',
  approve: 'approve',
  deny: 'deny',
  revoke: 'revoke',
  extend: 'extend',
  sessionLog: 'watch',
  listVendors: 'vendor list',
  disableVendor: 'vendor disable',
  enableVendor: 'vendor enable',
  unlockVendor: 'vendor unlock',
  auditGrant: 'audit',
  auditReview: 'audit --since',
  auditSigningKey: 'audit signing-key',
};

/** One line of the story: when (on the warped clock), who, what, and the AWS calls it made. */
export interface TimelineEntry {
  readonly at: string;
  readonly actor: string;
  readonly step: string;
  readonly awsCalls: readonly AwsCallName[];
  /** The call a permanent fault failed during this step, if one did. */
  readonly failedCall?: AwsCallName;
  /** For a step that failed: where in `awsCalls` its compensation (the revoke path) began. */
  readonly compensationFrom?: number;
}

export interface ExecutionOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly output?: unknown;
}

interface PendingApproval {
  resolve(output: unknown): void;
  reject(error: Error): void;
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Workflow shapes asl-validator has passed in this process (see startExecution). */
const checkedWorkflows = new Set<string>();

/**
 * The real workflow, run locally: the synthesized state machine in aws-local-stepfunctions, every Task state calling
 * the real handler module in-process against moto, on a clock the caller moves. `.waitForTaskToken` is emulated: the
 * approval step waits until the decide handler's SendTaskSuccess/Failure (sent to this harness) answers its token.
 */
export class LocalJitAccess {
  readonly timeline: TimelineEntry[] = [];
  readonly http = new InstrumentedHttpHandler();
  readonly sessions = new InMemorySessionManagerDouble(
    (call) => this.http.recordOffWire(call),
    () => this.clock(),
    (sessionId) => this.uploadTranscript(sessionId),
  );
  readonly osAccounts: InMemoryOsAccountsDouble;
  /** CloudTrail's event history of the grant roles (moto's server does not answer LookupEvents). */
  readonly cloudTrail = new InMemoryCloudTrailHistoryDouble((call) => this.http.recordOffWire(call));
  /** What each session's vendor typed, uploaded to the transcript bucket when the session ends, as the agent does. */
  private readonly typed = new Map<string, string[]>();
  /** Errors of the OS-account result function on the events delivered to it (Lambda would retry them). */
  readonly eventErrors: Error[] = [];
  readonly deps: Dependencies;
  /** Every workflow execution the API started, by grant id: each settles when its execution ends. */
  readonly executions = new Map<string, Promise<ExecutionOutcome>>();
  /** Where each execution stands, as DescribeExecution would say; a test may end one by hand (`abortExecution`). */
  private readonly executionStatuses = new Map<string, ExecutionStatus>();
  private readonly abortExecutions = new Map<string, () => void>();
  private now: Date;
  private api?: { readonly server: LocalApiServer; readonly identities: LocalIdentities };
  private disposed = false;
  private readonly pendingApprovals = new Map<string, PendingApproval>();
  private readonly handlerFaults: Array<{ handler: string; call: AwsCallName; kind: FaultKind }> = [];
  private readonly handlers: Record<string, (event: unknown) => Promise<unknown>>;
  private readonly aws: ReturnType<typeof localClientConfig>;

  /**
   * @param options.live the clock is moved by someone else (npm run local's ticker): a workflow waiting for its start
   *   waits for the clock instead of moving it there
   */
  constructor(
    readonly world: LocalWorld,
    endpoint: string,
    startAt: Date,
    private readonly options: { readonly live?: boolean } = {},
  ) {
    this.now = new Date(startAt);
    this.aws = localClientConfig(endpoint);
    this.osAccounts = new InMemoryOsAccountsDouble(
      (call) => this.http.recordOffWire(call),
      (tagKey, tagValue) => this.instancesTagged(tagKey, tagValue),
      this.snapshotEvidence(endpoint),
      world.settings.osAccountDocumentName,
    );
    const config: AwsClientConfig & { credentials: unknown } = {
      ...this.aws,
      maxAttempts: 3,
      requestHandler: this.http,
    };
    const settings = world.settings;
    const approvals: ApprovalCallback = {
      approve: async (token, output) => this.answer(token, (p) => p.resolve(output)),
      deny: async (token, error, cause) => this.answer(token, (p) => p.reject(namedError(error, cause))),
    };
    // Step Functions' StartExecution: the execution runs on while the API answers.
    const executions: WorkflowExecutions = {
      start: async (grantId, input) => {
        if (this.executions.has(grantId)) throw namedError('ExecutionAlreadyExists', `execution ${grantId} exists`);
        this.executionStatuses.set(grantId, 'RUNNING');
        const done = this.startExecution(grantId, input as ExecutionInput);
        void done.then((outcome) => {
          if (this.executionStatuses.get(grantId) !== 'ABORTED') this.executionStatuses.set(grantId, outcome.status);
        });
        this.executions.set(grantId, done);
        return `${settings.stateMachineArn ?? 'arn:aws:states:local:stateMachine'}:${grantId}`.replace(
          ':stateMachine:',
          ':execution:',
        );
      },
      // Step Functions' DescribeExecution, counted like the session double's calls (it answers off the wire).
      status: async (grantId) => {
        this.http.recordOffWire('sfn:DescribeExecution');
        return this.executionStatuses.get(grantId);
      },
    };
    this.deps = {
      settings,
      clock: () => new Date(this.now),
      // moto lists nothing it has deleted: a residue it reports is real, and waiting would only slow the story.
      sleep: () => Promise.resolve(),
      ledger: new DynamoLedger(settings.ledgerTableName, config),
      roles: new IamGrantRoles(config),
      network: new Ec2Network(config),
      schedules: new SchedulerExpirySchedules(config),
      sessions: this.sessions,
      osAccounts: this.osAccounts,
      notifier: new SnsNotifier(settings.topicArn, config),
      approvals,
      executions,
      sessionLogs: new CloudWatchSessionLogs(settings.sessionLogGroupName ?? 'jit-sessions', config),
    };
    const deps = () => this.deps;
    const audit: AuditSources = {
      cloudTrail: this.cloudTrail,
      transcripts: new S3TranscriptObjects(world.audit.sessionBucketName, config),
      signer: new KmsEvidenceSigner(world.audit.evidenceKeyArn, config),
      changeDeltas: { deltas: (grant) => this.changeDeltas(grant) },
    };
    this.handlers = {
      'validate-request': createValidateRequestHandler(deps),
      'request-approval': createRequestApprovalHandler(deps),
      grant: createGrantHandler(deps),
      revoke: createRevokeHandler(deps),
      sweeper: createSweeperHandler(deps),
      'record-outcome': createRecordOutcomeHandler(deps),
      lockout: createLockoutHandler(deps) as (event: unknown) => Promise<unknown>,
      'os-account-result': createOsAccountResultHandler(deps) as (event: unknown) => Promise<unknown>,
      'api-read': createApiReadHandler(deps) as (event: unknown) => Promise<unknown>,
      'api-request': createApiRequestHandler(deps) as (event: unknown) => Promise<unknown>,
      'api-decide': createApiDecideHandler(deps) as (event: unknown) => Promise<unknown>,
      'api-audit': createApiAuditHandler(deps, () => audit) as (event: unknown) => Promise<unknown>,
    };
  }

  /**
   * The instances' SSM agent uploading the change snapshots to the evidence bucket (moto S3), with its own client:
   * the agent's uploads are none of the Lambdas' AWS calls. None when change tracking is off.
   */
  private snapshotEvidence(endpoint: string): SnapshotEvidence | undefined {
    const bucket = this.world.settings.evidenceBucketName;
    if (!bucket || !this.world.settings.config.changeTracking.enabled) return undefined;
    const s3 = localS3(endpoint);
    return {
      put: async (key, body) => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      },
      now: () => this.clock(),
    };
  }

  /** The change delta of each instance of a grant, read back from the evidence bucket as the audit reads it. */
  async changeDeltas(grant: ChangeDeltaGrant): Promise<InstanceChangeDelta[]> {
    const bucket = this.world.settings.evidenceBucketName;
    if (!bucket) return [];
    return new S3ChangeSnapshots(bucket, { ...this.aws, maxAttempts: 3 }).deltas(grant);
  }

  /**
   * Injects a fault into one AWS call, only while the named handler runs (e.g. `grant`, `revoke`): a transient fault
   * fails the call once (the SDK retries it), a permanent one fails it every time during that handler.
   */
  faultDuring(handler: string, call: AwsCallName, kind: FaultKind): void {
    this.handlerFaults.push({ handler, call, kind });
  }

  clearHandlerFaults(): void {
    this.handlerFaults.length = 0;
  }

  clock(): Date {
    return new Date(this.now);
  }

  /** Moves the clock forward (never back) and fires every expiry schedule that is due by then. */
  async advanceTo(instant: Date | string): Promise<void> {
    const target = new Date(instant);
    if (target > this.now) this.now = target;
    await this.fireDueSchedules();
  }

  async advanceBy(minutes: number): Promise<void> {
    await this.advanceTo(new Date(this.now.getTime() + minutes * 60_000));
  }

  /** Invokes a handler as its Lambda would be invoked, recording a timeline entry with the AWS calls it made. */
  async invoke<T = unknown>(handlerName: string, event: unknown, actor: string, step: string): Promise<T> {
    const handler = this.handlers[handlerName];
    if (!handler) throw new Error(`no handler named ${handlerName}`);
    const before = this.http.calls.length;
    const faults = this.handlerFaults.filter((f) => f.handler === handlerName);
    for (const fault of faults) this.http.arm(fault.call, fault.kind);
    try {
      return (await handler(event)) as T;
    } finally {
      if (faults.length > 0) this.http.clearFaults();
      const failed = this.http.failedAt.find((index) => index >= before);
      this.timeline.push({
        at: this.now.toISOString(),
        actor,
        step,
        awsCalls: this.http.calls.slice(before),
        ...(failed !== undefined
          ? { failedCall: this.http.calls[failed] as AwsCallName, compensationFrom: failed + 1 - before }
          : {}),
      });
      await this.deliverCommandEvents();
    }
  }

  /**
   * EventBridge's part for the OS-account results rule: SSM's status-change events of the commands a function sent
   * reach the result function after that function returned, as they do in AWS (asynchronously, a moment later).
   */
  private async deliverCommandEvents(): Promise<void> {
    for (const event of this.osAccounts.takeEvents()) {
      const { 'command-id': commandId, 'instance-id': instanceId, status } = event.detail;
      try {
        await this.invoke(
          'os-account-result',
          event,
          'eventbridge',
          `SSM: command ${commandId} ${status} on ${instanceId}`,
        );
      } catch (error) {
        this.eventErrors.push(error as Error);
      }
    }
  }

  /** Starts an execution of the synthesized workflow; returns when it ends (after approvals, waits and the grant). */
  async startExecution(grantId: string, input: ExecutionInput): Promise<ExecutionOutcome> {
    const token = `local-task-token-${grantId}`;
    const definition = this.world.definition as unknown as StateMachineDefinition;
    // asl-validator checks the first execution of each workflow shape (its own names taken out); it compiles its
    // schemas on every check, about a quarter of a second, and every world of one synth runs the same workflow.
    const shape = JSON.stringify(definition).replaceAll(this.world.suffix, '');
    const machine = new StateMachine(definition, {
      validationOptions: checkedWorkflows.has(shape) ? { noValidate: true } : { checkArn: false },
    });
    checkedWorkflows.add(shape);
    const overrides: LocalTaskHandlers = {};
    const waitStates = Object.entries(this.world.definition.States).filter(([, s]) => s.Type === 'Wait');
    for (const [stateName, handlerName] of Object.entries(this.world.taskHandlers)) {
      const state = this.world.definition.States[stateName] as { Resource: string };
      const waitsForToken = state.Resource.endsWith('.waitForTaskToken');
      overrides[stateName] = async (stateInput): Promise<JsonValue> => {
        const payload = waitsForToken ? (stateInput as { Payload: unknown }).Payload : stateInput;
        if (handlerName === 'grant') await this.reachStart(payload);
        const result = await this.invoke<JsonValue>(handlerName, payload, 'workflow', stateName);
        if (!waitsForToken) return result;
        // Disposed while the step ran: nobody is left to answer the token, so the execution must not wait for one.
        if (this.disposed) throw namedError('States.Aborted', 'the local run was disposed during the approval step');
        return new Promise<JsonValue>((resolve, reject) =>
          this.pendingApprovals.set(token, { resolve: (output) => resolve(output as JsonValue), reject }),
        );
      };
    }
    const execution = machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: overrides,
        // The clock is warped instead: the grant step moves it to the requested start (see reachStart).
        waitTimeOverrides: Object.fromEntries(waitStates.map(([name]) => [name, 0])),
        retryIntervalOverrides: Object.fromEntries(Object.keys(this.world.taskHandlers).map((name) => [name, 0])),
      },
      context: { Execution: { Name: grantId }, Task: { Token: token } },
    });
    this.abortExecutions.set(grantId, () => execution.abort());
    try {
      return { status: 'SUCCEEDED', output: await execution.result };
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      return { status: 'FAILED', error: cause?.name ?? (error as Error).name };
    } finally {
      this.pendingApprovals.delete(token);
    }
  }

  /** Waits (in real time, briefly) until the execution is parked on its approval task. */
  async untilAwaitingApproval(grantId: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.pendingApprovals.has(`local-task-token-${grantId}`)) {
      if (Date.now() > deadline) throw new Error(`grant ${grantId} never reached its approval step`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Until the execution waits for approval, or has ended (rejected, or a break-glass grant that never waits). */
  private async untilAwaitingApprovalOrEnded(grantId: string, done: Promise<ExecutionOutcome>): Promise<void> {
    let ended = false;
    void done.finally(() => (ended = true));
    const deadline = Date.now() + 20_000;
    while (!ended && !this.pendingApprovals.has(`local-task-token-${grantId}`)) {
      if (Date.now() > deadline) throw new Error(`grant ${grantId} neither reached its approval step nor ended`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * An execution stopped outside the workflow (StopExecution by hand): DescribeExecution says ABORTED, its task token
   * answers nothing any more, and no later state runs, so the ledger keeps whatever the grant last recorded.
   */
  abortExecution(grantId: string): void {
    if (!this.executionStatuses.has(grantId)) throw new Error(`there is no execution ${grantId}`);
    this.executionStatuses.set(grantId, 'ABORTED');
    this.abortExecutions.get(grantId)?.();
    // The aborted execution runs no further state; settling its task only ends the task's own timeout timer.
    const pending = this.pendingApprovals.get(`local-task-token-${grantId}`);
    this.pendingApprovals.delete(`local-task-token-${grantId}`);
    pending?.reject(namedError('States.Aborted', 'the execution was stopped'));
  }

  /** What Step Functions does when the approval task's TimeoutSeconds passes with no answer. */
  async timeOutApproval(grantId: string): Promise<void> {
    await this.advanceBy(this.world.settings.config.approvalTimeoutMinutes);
    const pending = this.pendingApprovals.get(`local-task-token-${grantId}`);
    if (!pending) throw new Error(`grant ${grantId} is not waiting for approval`);
    this.pendingApprovals.delete(`local-task-token-${grantId}`);
    pending.reject(namedError('States.Timeout', 'The approval task timed out'));
  }

  /**
   * The stack's API on a loopback port (SigV4 checked, the handlers in-process), and a `local-<person>` profile for
   * each configured person. Started on first use; the credential files are the process's, named in the environment
   * so that the CLI's default credential chain finds them.
   */
  async startApi(
    identities: LocalIdentities = processLocalIdentities(),
  ): Promise<{ readonly url: string; readonly people: Record<string, LocalIdentity> }> {
    if (!this.api) {
      Object.assign(process.env, identities.env());
      const server = await LocalApiServer.start(
        identities,
        this.world.settings.env.accountId,
        (fn, event, caller, route) => this.invokeApi(fn, event, caller, route),
      );
      this.api = { server, identities };
    }
    return { url: this.api.server.url, people: this.api.identities.people(this.world.settings.config) };
  }

  /** A profile signing as `arn` (for identities the config does not name, or a person's second identity). */
  async profileFor(name: string, arn: string): Promise<LocalIdentity> {
    await this.startApi();
    return (this.api as { identities: LocalIdentities }).identities.profile(name, arn);
  }

  /** Runs the real `jit-access` CLI in-process as `person` (profile `local-<person>`, or a given profile), with --json. */
  async cli(person: string, args: readonly string[], options: { readonly profile?: string } = {}): Promise<CliRun> {
    const { url } = await this.startApi();
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      [
        '--api-url',
        url,
        '--region',
        this.world.settings.env.region,
        '--profile',
        options.profile ?? `local-${person}`,
        '--json',
        ...args,
      ],
      {
        out: (text) => (stdout += text),
        err: (text) => (stderr += text),
        fetch: (input, init) => fetch(input, init),
        sleep: async () => undefined,
        now: () => new Date(),
      },
    );
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
    return { code, stdout, stderr, json };
  }

  /** Like `cli`, but a command that does not succeed fails the caller with what the CLI printed. */
  async cliOk<T = unknown>(person: string, args: readonly string[]): Promise<T> {
    const run = await this.cli(person, args);
    if (run.code !== 0)
      throw new Error(`jit-access ${args.join(' ')} as ${person} exited ${run.code}: ${run.stdout}${run.stderr}`);
    return run.json as T;
  }

  /**
   * A sponsor's request through the CLI; returns the grant id and the execution's end, once the execution is parked
   * on its approval task (or has ended, or is past it: break-glass).
   */
  async request(
    person: string,
    args: readonly string[],
  ): Promise<{ grantId: string; done: Promise<ExecutionOutcome> }> {
    const { grantId } = await this.cliOk<{ grantId: string }>(person, ['request', ...args]);
    const done = this.executions.get(grantId);
    if (!done) throw new Error(`the API started no execution for ${grantId}`);
    await this.untilAwaitingApprovalOrEnded(grantId, done);
    return { grantId, done };
  }

  decide(grantId: string, person: string, decision: 'approve' | 'deny', comment?: string): Promise<unknown> {
    const args =
      decision === 'approve'
        ? ['approve', grantId, ...(comment ? ['--comment', comment] : [])]
        : ['deny', grantId, '--reason', comment ?? 'denied in a local run'];
    return this.cliOk(person, args);
  }

  revoke(grantId: string, reason: string, person: string): Promise<unknown> {
    return this.cliOk(person, ['revoke', grantId, '--reason', reason]);
  }

  sweep(): Promise<unknown> {
    return this.invoke('sweeper', {}, 'sweeper', 'sweep');
  }

  /**
   * CloudTrail's and EventBridge's part (moto has neither): `count` calls refused to a session of the grant's role,
   * each its own CloudTrail record made now, handed to the lockout function as the stack's rule would.
   */
  async vendorDenied(grantId: string, count: number, eventName = 'StartSession'): Promise<LockoutOutcome[]> {
    const grant = await this.deps.ledger.getGrant(grantId);
    if (!grant?.created.roleArn) throw new Error(`grant ${grantId} has no role whose calls could be refused`);
    const { accountId, region, partition } = this.deps.settings.env;
    const outcomes: LockoutOutcome[] = [];
    for (let i = 0; i < count; i++) {
      const record = deniedCallEvent({
        accountId,
        region,
        partition,
        roleArn: grant.created.roleArn,
        at: this.now,
        eventName,
      });
      this.cloudTrail.sessionCall({
        roleArn: grant.created.roleArn,
        sessionName: 'vendor-engineer',
        at: this.now,
        eventSource: 'ssm.amazonaws.com',
        eventName,
        errorCode: 'AccessDeniedException',
      });
      const step = `CloudTrail: ssm:${eventName} refused to ${this.roleName(grantId)} (${i + 1} of ${count})`;
      outcomes.push(await this.invoke<LockoutOutcome>('lockout', record, 'cloudtrail', step));
    }
    return outcomes;
  }

  /**
   * The vendor's side: assume the grant role (moto STS) and open a session on an instance with those credentials.
   * The session itself lives in the in-memory SSM double, owned by the assumed-role ARN as in AWS.
   */
  async vendorStartsSession(grantId: string, instanceId: string, sessionName = 'vendor-engineer'): Promise<string> {
    const grant = await this.deps.ledger.getGrant(grantId);
    if (!grant?.created.roleArn) throw new Error(`grant ${grantId} has no role to assume`);
    const assumed = await new STSClient(this.aws).send(
      new AssumeRoleCommand({ RoleArn: grant.created.roleArn, RoleSessionName: sessionName, ExternalId: 'vendor' }),
    );
    const owner = assumed.AssumedRoleUser?.Arn as string;
    const session = this.sessions.startSession(instanceId, owner);
    const vendor = this.world.settings.config.vendors.find((v) => v.id === grant.request.vendorId);
    this.cloudTrail.assumedRole({
      roleArn: grant.created.roleArn,
      sessionName,
      callerArn: vendor?.principals[0] ?? 'arn:aws:iam::444455556666:root',
      at: this.now,
    });
    this.cloudTrail.sessionCall({
      roleArn: grant.created.roleArn,
      sessionName,
      at: this.now,
      eventSource: 'ssm.amazonaws.com',
      eventName: 'StartSession',
      requestParameters: { target: instanceId, documentName: this.world.settings.sessionDocumentName },
      responseElements: { sessionId: session.sessionId },
    });
    this.timeline.push({
      at: this.now.toISOString(),
      actor: 'vendor',
      step: `assumed ${this.roleName(grantId)} and started session ${session.sessionId} on ${instanceId}`,
      awsCalls: ['sts:AssumeRole', 'ssm:StartSession'],
    });
    return session.sessionId;
  }

  /**
   * The vendor's own calls on an active grant (assume-role, start-session), judged by the IAM policy simulator
   * against the policies the grant created here: moto issues credentials and opens sessions whatever IAM would say.
   */
  async vendorCallsUnderIam(
    grantId: string,
    grantedInstance: string,
    otherInstance: string,
  ): Promise<VendorIamCheck[]> {
    const grant = await this.deps.ledger.getGrant(grantId);
    const { config } = this.world.settings;
    const vendor = config.vendors.find((v) => v.id === grant?.request.vendorId);
    if (!grant?.expiresAt || !vendor) throw new Error(`grant ${grantId} is not an active grant of a configured vendor`);
    const instance = (id: string) => {
      const group = config.targetGroups.find((g) => this.world.instances[g.name]?.includes(id));
      if (!group) throw new Error(`instance ${id} is in no target group of the local world`);
      return { id, tagKey: group.tagKey, tagValue: group.tagValue };
    };
    const checks = await checkVendorCalls({
      aws: this.aws,
      vendor,
      roleName: this.roleName(grantId),
      boundaryArn: this.world.settings.permissionsBoundaryArn,
      sessionDocumentName: this.world.settings.sessionDocumentName,
      env: this.world.settings.env,
      expiresAt: grant.expiresAt,
      now: this.now,
      grantedInstance: instance(grantedInstance),
      otherInstance: instance(otherInstance),
    });
    const allowed = checks.filter((c) => c.decision === 'Allowed').length;
    this.timeline.push({
      at: this.now.toISOString(),
      actor: 'vendor',
      step: `${checks.length} own calls judged by IAM (simulator): ${allowed} allowed, ${checks.length - allowed} refused`,
      awsCalls: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:GetPolicy', 'iam:GetPolicyVersion'],
    });
    return checks;
  }

  /**
   * What the SSM agent does while the vendor types: each line goes to the session's log stream in the session log
   * group (a stream per session id), where shadowing (`jit-access watch`) and auditors read it.
   */
  async vendorTypes(sessionId: string, lines: readonly string[]): Promise<void> {
    const logs = new CloudWatchLogsClient(this.aws);
    const logGroupName = this.world.settings.sessionLogGroupName ?? 'jit-sessions';
    try {
      await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName: sessionId }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
    }
    const at = logTimestamp(this.now.getTime(), Date.now());
    const result = await logs.send(
      new PutLogEventsCommand({
        logGroupName,
        logStreamName: sessionId,
        logEvents: lines.map((message, i) => ({ timestamp: at + i, message })),
      }),
    );
    if (result.rejectedLogEventsInfo) {
      throw new Error(`the session log refused the lines: ${JSON.stringify(result.rejectedLogEventsInfo)}`);
    }
    this.typed.set(sessionId, [...(this.typed.get(sessionId) ?? []), ...lines]);
    this.timeline.push({
      at: this.now.toISOString(),
      actor: 'vendor',
      step: `typed ${lines.length} line(s) in ${sessionId}`,
      awsCalls: [],
    });
  }

  /**
   * The SSM agent's upload when a session ends: the whole transcript as one object `sessions/<session id>.log` in
   * the transcript bucket, which Object Lock keeps (the instance side: not one of jit-access's calls).
   */
  private async uploadTranscript(sessionId: string): Promise<void> {
    const lines = this.typed.get(sessionId);
    if (!lines) return;
    this.typed.delete(sessionId);
    await new S3Client({ ...this.aws, forcePathStyle: true }).send(
      new PutObjectCommand({
        Bucket: this.world.audit.sessionBucketName,
        Key: `${TRANSCRIPT_PREFIX}${sessionId}.log`,
        Body: `${lines.join('\n')}\n`,
      }),
    );
  }

  /** Every resource jit-access may leave behind in this world, read straight from moto (and the SSM double). */
  async residue(): Promise<Residue> {
    const iam = new IAMClient(this.aws);
    const roles =
      (await iam.send(new ListRolesCommand({ PathPrefix: this.world.settings.config.iamPath }))).Roles ?? [];
    const policies: string[] = [];
    for (const role of roles) {
      const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: role.RoleName }))).PolicyNames ?? [];
      policies.push(...names.map((n) => `${role.RoleName}/${n}`));
    }
    const ec2 = new EC2Client(this.aws);
    const securityGroupRules: string[] = [];
    for (const groupId of Object.values(this.world.settings.securityGroups)) {
      const rules = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      );
      securityGroupRules.push(
        ...(rules.SecurityGroupRules ?? []).filter((r) => !r.IsEgress).map((r) => r.SecurityGroupRuleId as string),
      );
    }
    const schedules = await new SchedulerClient(this.aws).send(
      new ListSchedulesCommand({ GroupName: this.world.settings.scheduleGroupName }),
    );
    const sessions = await this.sessions.listActiveSessions();
    const live = new Set<string>();
    for (const status of ['ACTIVE', 'GRANTING'] as const) {
      for (const grant of await this.deps.ledger.grantsByStatus(status)) {
        for (const target of grant.targets) {
          const ids =
            target.kind === 'instances'
              ? target.instanceIds
              : await this.instancesTagged(target.tagKey, target.tagValue);
          for (const id of ids) live.add(id);
        }
      }
    }
    return {
      roles: roles.map((r) => r.Arn as string),
      policies,
      securityGroupRules,
      schedules: (schedules.Schedules ?? []).map((s) => s.Arn as string),
      sessions: sessions.filter((s) => s.owner.includes(':assumed-role/jit-')).map((s) => s.sessionId),
      // A vendor OS user left unlocked on an instance no live grant holds (read from the instances' double).
      osAccounts: this.osAccounts
        .unlocked()
        .filter((a) => !live.has(a.instanceId))
        .map((a) => `${a.instanceId}: ${a.osUser} unlocked`),
    };
  }

  /** The instances a tag group reaches, from moto's EC2 inventory (the instance side: not one of jit-access's calls). */
  private async instancesTagged(tagKey: string, tagValue: string): Promise<string[]> {
    const described = await new EC2Client(this.aws).send(
      new DescribeInstancesCommand({ Filters: [{ Name: `tag:${tagKey}`, Values: [tagValue] }] }),
    );
    return (described.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId as string));
  }

  /**
   * Ends the local run: an execution still parked on its approval task fails now (its task timeout is a real-time
   * timer that would otherwise keep the process alive for a day), and the connections to moto close.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const [token, pending] of this.pendingApprovals) {
      this.pendingApprovals.delete(token);
      pending.reject(namedError('States.Aborted', 'the local run was disposed while waiting for approval'));
    }
    await this.api?.server.close();
    this.http.destroy();
  }

  roleName(grantId: string): string {
    return roleNameFor(grantId);
  }

  /** EventBridge Scheduler's part: at each schedule's `at()` instant, invoke its target (revoke) with its input. */
  private async fireDueSchedules(): Promise<void> {
    const { scheduleGroupName } = this.world.settings;
    for (const name of await this.deps.schedules.list(scheduleGroupName)) {
      const schedule = await this.deps.schedules.get(name, scheduleGroupName);
      if (!schedule || Date.parse(atExpressionInstant(schedule.expression)) > this.now.getTime()) continue;
      try {
        await this.invoke('revoke', JSON.parse(schedule.input), 'scheduler', `expiry schedule ${name} fired`);
      } finally {
        // ActionAfterCompletion DELETE: Scheduler invokes Lambda asynchronously and removes a one-time schedule once
        // it has run, whether or not the revoke then succeeded. A failed revoke is the sweeper's to finish.
        await this.deps.schedules.delete(name, scheduleGroupName);
      }
    }
  }

  /** API Gateway's proxy integration: the route's function, invoked as Lambda, recorded on the timeline. */
  private async invokeApi(
    fn: ApiFunctionName,
    event: APIGatewayProxyEvent,
    caller: LocalIdentity,
    route: RouteName,
  ): Promise<APIGatewayProxyResult> {
    const subject = event.pathParameters?.grantId ?? event.pathParameters?.vendorId ?? '';
    const actor = caller.profile.replace(/^local-/, '');
    return this.invoke<APIGatewayProxyResult>(fn, event, actor, `${VERBS[route]}${subject ? ` ${subject}` : ''}`);
  }

  /** The Wait state's job on the warped clock: move time to the requested start before the grant runs. */
  private async reachStart(payload: unknown): Promise<void> {
    const grantId = (payload as { grantId: string }).grantId;
    const grant = await this.deps.ledger.getGrant(grantId);
    const startAt = grant?.plan.window.startAt;
    if (!startAt || Date.parse(startAt) <= this.now.getTime()) return;
    if (!this.options.live) {
      await this.advanceTo(startAt);
      return;
    }
    while (Date.parse(startAt) > this.now.getTime()) await new Promise((resolve) => setTimeout(resolve, 250));
  }

  private answer(token: string, settle: (pending: PendingApproval) => void): void {
    const pending = this.pendingApprovals.get(token);
    if (!pending) throw namedError('TaskTimedOut', `task token ${token} is no longer waiting`);
    this.pendingApprovals.delete(token);
    settle(pending);
  }
}

/** CloudWatch Logs accepts events from 14 days ago to 2 hours ahead (moto too). */
const LOG_EVENT_PAST_MS = 14 * 24 * 3_600_000;
const LOG_EVENT_FUTURE_MS = 2 * 3_600_000;

/**
 * When a transcript line is stamped: the warped clock's time when CloudWatch would take it, else the real time (a
 * local run may play a day long gone); lines are never dropped for their date.
 */
export function logTimestamp(warped: number, real: number): number {
  const margin = 60_000;
  const accepted = warped > real - LOG_EVENT_PAST_MS + margin && warped < real + LOG_EVENT_FUTURE_MS - margin;
  return accepted ? warped : real;
}
