import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
  type AuthorizeSecurityGroupIngressCommandInput,
  type DescribeInstancesCommandInput,
  type DescribeSecurityGroupRulesCommandInput,
  type RevokeSecurityGroupIngressCommandInput,
  type UpdateSecurityGroupRuleDescriptionsIngressCommandInput,
} from '@aws-sdk/client-ec2';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  type AttachRolePolicyCommandInput,
  type CreateRoleCommandInput,
  type DeleteRoleCommandInput,
  type DeleteRolePolicyCommandInput,
  type DetachRolePolicyCommandInput,
  type GetRoleCommandInput,
  type ListAttachedRolePoliciesCommandInput,
  type ListRolePoliciesCommandInput,
  type ListRolesCommandInput,
  type PutRolePolicyCommandInput,
} from '@aws-sdk/client-iam';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  type CreateScheduleCommandInput,
  type DeleteScheduleCommandInput,
  type GetScheduleCommandInput,
  type ListSchedulesCommandInput,
} from '@aws-sdk/client-scheduler';
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  type StartExecutionCommandInput,
  SFNClient,
  type SendTaskFailureCommandInput,
  type SendTaskSuccessCommandInput,
  DescribeExecutionCommand,
  type DescribeExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import {
  DescribeSessionsCommand,
  ListCommandInvocationsCommand,
  GetCommandInvocationCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  TerminateSessionCommand,
  type DescribeSessionsCommandInput,
  type ListCommandInvocationsCommandInput,
  type GetCommandInvocationCommandInput,
  type ListCommandsCommandInput,
  type SendCommandCommandInput,
  type TerminateSessionCommandInput,
} from '@aws-sdk/client-ssm';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * Stateful fakes of the AWS calls the adapters make, built on aws-sdk-client-mock. They keep a small in-memory world
 * and behave like the services where the adapters depend on it:
 * - every call is asynchronous (concurrent callers interleave as over the network);
 * - every listing answers in small pages (`pageSize`, 2 by default) with the service's own continuation field
 *   (`NextToken`, or IAM's `IsTruncated`/`Marker`), so an adapter that reads only the first page misses items;
 * - they refuse what the services refuse, with the services' error names (the adapters' idempotency depends on them):
 *   an unknown security group, a group's 61st inbound rule, a role's inline policies over 10,240 characters, a task
 *   token answered twice, a session id Session Manager never issued...;
 * - any call can be made to fail (`failNext`, `failWhen`, `failOn`), and every mutating call is logged in order.
 */

export interface FakeRole {
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly trustPolicy: unknown;
  readonly permissionsBoundaryArn: string | undefined;
  readonly maxSessionDuration: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** Inline policy documents (parsed) by policy name. */
  readonly inlinePolicies: Map<string, unknown>;
  readonly attachedPolicyArns: string[];
}

export interface FakeIngressRule {
  readonly ruleId: string;
  readonly groupId: string;
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  /** What the rule admits: one of an IPv4 CIDR (every rule jit-access opens), an IPv6 CIDR, a prefix list, a group. */
  readonly cidr?: string;
  readonly cidrIpv6?: string;
  readonly prefixListId?: string;
  readonly referencedGroupId?: string;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface FakeSchedule {
  readonly name: string;
  readonly groupName: string;
  readonly arn: string;
  readonly input: CreateScheduleCommandInput;
}

export interface FakeSession {
  readonly sessionId: string;
  readonly target: string;
  readonly owner: string;
  status: 'Active' | 'Terminated';
  /** When it started (ISO); DescribeSessions' InvokedAfter filter compares with it. */
  readonly startedAt: string;
}

export interface FakeExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  /** As DescribeExecution reports it; a test ends an execution by setting it. */
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
}

export interface FakeLogLine {
  readonly timestamp: number;
  readonly message: string;
}

export interface FakeInstance {
  readonly instanceId: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
  /** EC2's `Platform`: `windows` for Windows instances, absent for Linux. */
  readonly platform?: 'windows';
}

/** One SendCommand: the document, its parameters, and the instances it reached with the status on each. */
export interface FakeCommand {
  readonly commandId: string;
  readonly documentName: string;
  readonly parameters: Readonly<Record<string, readonly string[]>>;
  /** Where the agent would upload the steps' output (the change snapshots), as `<bucket>/<prefix>`. */
  readonly output?: string;
  readonly comment?: string;
  readonly invocations: readonly { readonly instanceId: string; status: string }[];
}

export interface PublishedMessage {
  readonly subject: string;
  readonly message: string;
}

export type TaskCallback =
  | { readonly kind: 'success'; readonly taskToken: string; readonly output: unknown }
  | { readonly kind: 'failure'; readonly taskToken: string; readonly error: string; readonly cause: string };

/** One mutating call: the command name (without "Command") and what it acted on. */
export interface MutatingCall {
  readonly command: string;
  readonly target: string;
}

/** An error shaped like the SDK's service exceptions: the adapters only look at `name`. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/**
 * An SDK error carrying DynamoDB's cancellation reasons, one per item of the transaction (`None` for an item that was
 * fine), as TransactWriteItems throws it; with no codes, none are attached.
 */
export function cancellationError(name: string, ...codes: readonly string[]): Error {
  const reasons = codes.length > 0 ? { CancellationReasons: codes.map((Code) => ({ Code })) } : {};
  return Object.assign(awsError(name, `${name}: [${codes.join(', ')}]`), reasons);
}

/** EC2: inbound rules per security group, IPv4 and IPv6 counted apart (the default quota). */
export const INBOUND_RULES_PER_GROUP = 60;
/** IAM: the inline policies of one role, all together, in characters other than whitespace. */
export const ROLE_INLINE_POLICY_CHARS = 10_240;
/** Step Functions: a task token is at most 1,024 characters. */
const TASK_TOKEN_MAX_CHARS = 1_024;

/** A fault armed on a command: thrown instead of doing the work when the call matches. */
interface Fault {
  readonly command: string;
  readonly errorName: string;
  /** Only this call number of the command (`failOn`), or any call the predicate accepts. */
  readonly atCall?: number;
  readonly when?: (input: never) => boolean;
  /** How many more matching calls fail; `Infinity` until cleared. */
  remaining: number;
}

/** How a fault is thrown: the error's name, and for `failWhen` how many matching calls fail. */
export interface FaultOptions {
  /** @default 'AccessDenied' (a permanent error; use e.g. 'ThrottlingException' for a transient one) */
  readonly errorName?: string;
  /** @default Infinity: every matching call until `clearCallLog` */
  readonly times?: number;
}

const tagMap = (tags: readonly { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

const tagList = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export class FakeAws {
  readonly roles = new Map<string, FakeRole>();
  readonly ingressRules: FakeIngressRule[] = [];
  readonly schedules = new Map<string, FakeSchedule>();
  readonly sessions: FakeSession[] = [];
  readonly commands: FakeCommand[] = [];
  /** Instances where a command ends Failed, or stays InProgress: the OS-account script failing or hanging. */
  readonly commandFailsOn = new Set<string>();
  readonly commandHangsOn = new Set<string>();
  /** Instances whose change snapshot step records a failure (it exits 0: the command itself still succeeds). */
  readonly snapshotFailsOn = new Set<string>();
  /** Instances whose end snapshot is still running after the lock step ended: the command stays InProgress. */
  readonly snapshotRunsOn = new Set<string>();
  private readonly deliveredEvents = new Set<string>();
  /** Instances SSM does not manage (agent offline, or terminated): a SendCommand naming one fails InvalidInstanceId. */
  readonly unmanaged = new Set<string>();
  readonly instances: FakeInstance[] = [];
  readonly published: PublishedMessage[] = [];
  readonly taskCallbacks: TaskCallback[] = [];
  readonly executions: FakeExecution[] = [];
  /** Session log streams of the session log group, by stream name (= session id). */
  readonly logStreams = new Map<string, FakeLogLine[]>();
  /** Every mutating call, in the order it was made (failed ones included). */
  readonly mutatingCalls: MutatingCall[] = [];

  /** Items per page of every listing; a test may set 1 to split even two items. */
  pageSize = 2;
  /** The security groups that exist; a call naming another fails `InvalidGroup.NotFound`. */
  readonly securityGroups = new Set<string>();
  /** Task tokens already answered: Step Functions refuses a second answer with `TaskTimedOut`. */
  readonly answeredTaskTokens = new Set<string>();

  private readonly callCounts = new Map<string, number>();
  private readonly faults: Fault[] = [];
  /** Every command the fakes answer: a fault armed on another name would never fire, so it is refused. */
  private readonly commandNames = new Set<string>();
  private readonly stubs: { restore(): void }[] = [];
  private nextRuleNumber = 1;

  constructor(
    private readonly accountId: string,
    private readonly region: string,
  ) {
    this.fakeIam();
    this.fakeEc2();
    this.fakeScheduler();
    this.fakeSsm();
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).callsFake(
      this.handle(
        'Publish',
        true,
        (input: PublishCommandInput) => {
          this.published.push({ subject: input.Subject ?? '', message: input.Message ?? '' });
          return { MessageId: `msg-${this.published.length}` };
        },
        (input) => input.Subject ?? '',
      ),
    );
    const sfn = mockClient(SFNClient);
    sfn.on(SendTaskSuccessCommand).callsFake(
      this.handle('SendTaskSuccess', true, (input: SendTaskSuccessCommandInput) => {
        this.answerTask(input.taskToken);
        this.taskCallbacks.push({
          kind: 'success',
          taskToken: input.taskToken ?? '',
          output: JSON.parse(input.output ?? 'null'),
        });
        return {};
      }),
    );
    sfn.on(SendTaskFailureCommand).callsFake(
      this.handle('SendTaskFailure', true, (input: SendTaskFailureCommandInput) => {
        this.answerTask(input.taskToken);
        this.taskCallbacks.push({
          kind: 'failure',
          taskToken: input.taskToken ?? '',
          error: input.error ?? '',
          cause: input.cause ?? '',
        });
        return {};
      }),
    );
    sfn.on(StartExecutionCommand).callsFake(
      this.handle(
        'StartExecution',
        true,
        (input: StartExecutionCommandInput) => {
          if (this.executions.some((e) => e.name === input.name)) {
            throw awsError('ExecutionAlreadyExists', `Execution Already Exists: '${input.name}'`);
          }
          this.executions.push({
            stateMachineArn: input.stateMachineArn ?? '',
            name: input.name ?? '',
            input: JSON.parse(input.input ?? 'null'),
            status: 'RUNNING',
          });
          return { executionArn: `${input.stateMachineArn}:${input.name}`.replace(':stateMachine:', ':execution:') };
        },
        (input) => input.name ?? '',
      ),
    );
    sfn.on(DescribeExecutionCommand).callsFake(
      this.handle('DescribeExecution', false, (input: DescribeExecutionCommandInput) => {
        const execution = this.executions.find(
          (e) => `${e.stateMachineArn}:${e.name}`.replace(':stateMachine:', ':execution:') === input.executionArn,
        );
        if (!execution) throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
        return { executionArn: input.executionArn, name: execution.name, status: execution.status };
      }),
    );
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(FilterLogEventsCommand).callsFake(
      this.handle('FilterLogEvents', false, (input: FilterLogEventsCommandInput) => {
        const events = (input.logStreamNames ?? []).flatMap((stream) =>
          (this.logStreams.get(stream) ?? [])
            .filter((line) => line.timestamp >= (input.startTime ?? 0))
            .map((line) => ({ logStreamName: stream, timestamp: line.timestamp, message: line.message })),
        );
        const { items, next } = this.page('FilterLogEvents', events, input.nextToken);
        return { events: items, ...(next ? { nextToken: next } : {}) };
      }),
    );
    this.stubs.push(sns, sfn, logs);
  }

  /** Step Functions closes a task on its first answer: a second one finds no task, an over-long token no token. */
  private answerTask(taskToken: string | undefined): void {
    if (!taskToken || taskToken.length > TASK_TOKEN_MAX_CHARS) {
      throw awsError('InvalidToken', `Invalid Token: '${taskToken?.slice(0, 40)}...'`);
    }
    if (this.answeredTaskTokens.has(taskToken)) {
      throw awsError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
    }
    this.answeredTaskTokens.add(taskToken);
  }

  /** What the SSM agent streams while the vendor types: a line in the session's log stream. */
  logSessionLine(sessionId: string, timestamp: number, message: string): void {
    const lines = this.logStreams.get(sessionId) ?? [];
    lines.push({ timestamp, message });
    this.logStreams.set(sessionId, lines);
  }

  /** The `nth` call of `command` from now on fails with a permanent (non-retryable) error. */
  failOn(command: string, options: { readonly nth?: number; readonly errorName?: string } = {}): void {
    this.assertAnswers(command);
    this.faults.push({
      command,
      atCall: this.countOf(command) + (options.nth ?? 1),
      errorName: options.errorName ?? 'AccessDenied',
      remaining: 1,
    });
  }

  /** The next call of `command` (e.g. `SendTaskSuccess`, `CreateSchedule`) fails with `errorName`. */
  failNext(command: string, errorName = 'AccessDenied'): void {
    this.failWhen(command, () => true, { errorName, times: 1 });
  }

  /**
   * Every call of `command` whose input `when` accepts fails (at most `times` of them), e.g. `DeleteSchedule` of one
   * grant's schedule only. The input is the SDK command's input.
   */
  failWhen<I = Record<string, unknown>>(
    command: string,
    when: (input: I) => boolean = () => true,
    options: FaultOptions = {},
  ): void {
    this.assertAnswers(command);
    this.faults.push({
      command,
      when: when as (input: never) => boolean,
      errorName: options.errorName ?? 'AccessDenied',
      remaining: options.times ?? Infinity,
    });
  }

  private assertAnswers(command: string): void {
    if (!this.commandNames.has(command)) {
      throw new Error(
        `the fakes answer no command ${command}: name one of ${[...this.commandNames].sort().join(', ')}`,
      );
    }
  }

  /** How many times `command` was called (reads included), since the start or the last `clearCallLog`. */
  countOf(command: string): number {
    return this.callCounts.get(command) ?? 0;
  }

  /**
   * Forgets the calls made so far, published messages and task answers included (typically at the end of a test's
   * Prepare step); roles, rules, schedules and sessions are kept.
   */
  clearCallLog(): void {
    this.mutatingCalls.length = 0;
    this.published.length = 0;
    this.taskCallbacks.length = 0;
    this.callCounts.clear();
    this.faults.length = 0;
  }

  /** Removes the mocks from the SDK clients. */
  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }

  // ---- seeding the world directly (not recorded as calls) ----

  addSecurityGroup(groupId: string): void {
    this.securityGroups.add(groupId);
  }

  addInstance(instance: FakeInstance): void {
    this.instances.push(instance);
  }

  seedRole(
    name: string,
    path: string,
    tags: Readonly<Record<string, string>> = {},
    permissionsBoundaryArn?: string,
  ): FakeRole {
    const role = this.newRole({
      RoleName: name,
      Path: path,
      AssumeRolePolicyDocument: '{}',
      Tags: tagList(tags),
      ...(permissionsBoundaryArn ? { PermissionsBoundary: permissionsBoundaryArn } : {}),
    });
    this.roles.set(name, role);
    return role;
  }

  seedIngressRule(rule: Omit<FakeIngressRule, 'ruleId'>): FakeIngressRule {
    const seeded = { ...rule, ruleId: this.newRuleId() };
    this.ingressRules.push(seeded);
    return seeded;
  }

  seedSchedule(name: string, groupName: string): FakeSchedule {
    const schedule = this.newSchedule({
      Name: name,
      GroupName: groupName,
      ScheduleExpression: 'at(2030-01-01T00:00:00)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: `arn:aws:lambda:${this.region}:${this.accountId}:function:unknown`, RoleArn: 'unknown' },
    });
    this.schedules.set(`${groupName}/${name}`, schedule);
    return schedule;
  }

  /** A live Session Manager session started with the credentials of `roleName`. */
  startSession(sessionId: string, roleName: string, target: string, startedAt = '2000-01-01T00:00:00.000Z'): void {
    this.sessions.push({
      sessionId,
      target,
      owner: `arn:aws:sts::${this.accountId}:assumed-role/${roleName}/vendor-engineer`,
      status: 'Active',
      startedAt,
    });
  }

  rulesIn(groupId: string): FakeIngressRule[] {
    return this.ingressRules.filter((r) => r.groupId === groupId);
  }

  // ---- the fakes ----

  /**
   * Wraps a fake: counts the call, records it when it mutates, and throws the injected fault when it is due.
   * Returns a promise so concurrent callers interleave as they would over the network.
   */
  private handle<I, O>(
    command: string,
    mutating: boolean,
    work: (input: I) => O,
    target?: (input: I) => string,
  ): (input: I) => Promise<O> {
    this.commandNames.add(command);
    return async (input: I) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const count = this.countOf(command) + 1;
      this.callCounts.set(command, count);
      if (mutating) this.mutatingCalls.push({ command, target: target?.(input) ?? '' });
      const fault = this.faults.find(
        (f) =>
          f.command === command &&
          f.remaining > 0 &&
          (f.atCall === undefined || f.atCall === count) &&
          (f.when === undefined || (f.when as (input: I) => boolean)(input)),
      );
      if (fault) {
        fault.remaining -= 1;
        throw awsError(fault.errorName, `injected fault: call ${count} of ${command}`);
      }
      return work(input);
    };
  }

  /**
   * One page of a listing: the items from the offset the token names, at most `pageSize` of them, and the token of
   * the next page when there is one. A token this listing did not issue fails as the services fail it.
   */
  private page<T>(
    command: string,
    items: readonly T[],
    token: string | undefined,
  ): { readonly items: T[]; readonly next?: string } {
    let offset = 0;
    if (token !== undefined) {
      const match = new RegExp(`^${command}:(\\d+)$`).exec(token);
      if (!match) throw awsError('InvalidNextToken', `The token ${token} is not one ${command} issued.`);
      offset = Number(match[1]);
    }
    const end = offset + this.pageSize;
    return { items: items.slice(offset, end), ...(end < items.length ? { next: `${command}:${end}` } : {}) };
  }

  /** An IAM listing's page: `IsTruncated` and `Marker` instead of `NextToken`. */
  private iamPage<T>(command: string, items: readonly T[], marker: string | undefined) {
    const { items: page, next } = this.page(command, items, marker);
    return { page, IsTruncated: next !== undefined, ...(next ? { Marker: next } : {}) };
  }

  private knownGroup(groupId: string | undefined): string {
    if (!groupId || !this.securityGroups.has(groupId)) {
      throw awsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    }
    return groupId;
  }

  private role(name: string | undefined): FakeRole {
    const role = this.roles.get(name ?? '');
    if (!role) throw awsError('NoSuchEntityException', `The role with name ${name} cannot be found.`);
    return role;
  }

  private newRole(input: CreateRoleCommandInput): FakeRole {
    const path = input.Path ?? '/';
    return {
      name: input.RoleName ?? '',
      path,
      arn: `arn:aws:iam::${this.accountId}:role${path}${input.RoleName}`,
      trustPolicy: JSON.parse(input.AssumeRolePolicyDocument ?? '{}'),
      permissionsBoundaryArn: input.PermissionsBoundary,
      maxSessionDuration: input.MaxSessionDuration,
      tags: tagMap(input.Tags),
      inlinePolicies: new Map(),
      attachedPolicyArns: [],
    };
  }

  private fakeIam(): void {
    const iam = mockClient(IAMClient);
    const roleName = (input: { RoleName?: string }) => input.RoleName ?? '';
    const rolePolicy = (input: { RoleName?: string; PolicyName?: string }) => `${input.RoleName}/${input.PolicyName}`;
    iam.on(CreateRoleCommand).callsFake(
      this.handle(
        'CreateRole',
        true,
        (input: CreateRoleCommandInput) => {
          if ((input.RoleName ?? '').length > 64) {
            throw awsError('ValidationError', `roleName ${input.RoleName} must be at most 64 characters`);
          }
          if (this.roles.has(input.RoleName ?? '')) {
            throw awsError('EntityAlreadyExistsException', `Role with name ${input.RoleName} already exists.`);
          }
          const role = this.newRole(input);
          this.roles.set(role.name, role);
          return { Role: { RoleName: role.name, Path: role.path, Arn: role.arn } };
        },
        roleName,
      ),
    );
    iam.on(GetRoleCommand).callsFake(
      this.handle('GetRole', false, (input: GetRoleCommandInput) => {
        const role = this.role(input.RoleName);
        return {
          Role: {
            RoleName: role.name,
            Path: role.path,
            Arn: role.arn,
            Tags: tagList(role.tags),
            // IAM answers policy documents URL-encoded.
            AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(role.trustPolicy)),
            ...(role.maxSessionDuration ? { MaxSessionDuration: role.maxSessionDuration } : {}),
            ...(role.permissionsBoundaryArn
              ? { PermissionsBoundary: { PermissionsBoundaryArn: role.permissionsBoundaryArn } }
              : {}),
          },
        };
      }),
    );
    iam.on(PutRolePolicyCommand).callsFake(
      this.handle(
        'PutRolePolicy',
        true,
        (input: PutRolePolicyCommandInput) => {
          const role = this.role(input.RoleName);
          let document: unknown;
          try {
            document = JSON.parse(input.PolicyDocument ?? '');
          } catch {
            throw awsError('MalformedPolicyDocumentException', 'Syntax errors in policy.');
          }
          // IAM counts every inline policy of the role together, whitespace aside, the replaced one excluded.
          const others = [...role.inlinePolicies].filter(([name]) => name !== input.PolicyName);
          const chars = [...others.map(([, other]) => JSON.stringify(other)), input.PolicyDocument ?? '']
            .join('')
            .replace(/\s/g, '').length;
          if (chars > ROLE_INLINE_POLICY_CHARS) {
            throw awsError(
              'LimitExceededException',
              `Maximum policy size of ${ROLE_INLINE_POLICY_CHARS} bytes exceeded for role ${role.name}`,
            );
          }
          role.inlinePolicies.set(input.PolicyName ?? '', document);
          return {};
        },
        rolePolicy,
      ),
    );
    iam.on(ListRolePoliciesCommand).callsFake(
      this.handle('ListRolePolicies', false, (input: ListRolePoliciesCommandInput) => {
        const names = [...this.role(input.RoleName).inlinePolicies.keys()].sort();
        const { page, ...more } = this.iamPage('ListRolePolicies', names, input.Marker);
        return { PolicyNames: page, ...more };
      }),
    );
    iam.on(ListAttachedRolePoliciesCommand).callsFake(
      this.handle('ListAttachedRolePolicies', false, (input: ListAttachedRolePoliciesCommandInput) => {
        const attached = this.role(input.RoleName).attachedPolicyArns.map((PolicyArn) => ({ PolicyArn }));
        const { page, ...more } = this.iamPage('ListAttachedRolePolicies', attached, input.Marker);
        return { AttachedPolicies: page, ...more };
      }),
    );
    iam.on(DeleteRolePolicyCommand).callsFake(
      this.handle(
        'DeleteRolePolicy',
        true,
        (input: DeleteRolePolicyCommandInput) => {
          if (!this.role(input.RoleName).inlinePolicies.delete(input.PolicyName ?? '')) {
            throw awsError('NoSuchEntityException', `The role policy with name ${input.PolicyName} cannot be found.`);
          }
          return {};
        },
        rolePolicy,
      ),
    );
    iam.on(AttachRolePolicyCommand).callsFake(
      this.handle(
        'AttachRolePolicy',
        true,
        (input: AttachRolePolicyCommandInput) => {
          const attached = this.role(input.RoleName).attachedPolicyArns;
          // Attaching a policy that is already attached succeeds and changes nothing, as in IAM.
          if (!attached.includes(input.PolicyArn ?? '')) attached.push(input.PolicyArn ?? '');
          return {};
        },
        (input) => `${input.RoleName}/${input.PolicyArn}`,
      ),
    );
    iam.on(DetachRolePolicyCommand).callsFake(
      this.handle(
        'DetachRolePolicy',
        true,
        (input: DetachRolePolicyCommandInput) => {
          const attached = this.role(input.RoleName).attachedPolicyArns;
          const index = attached.indexOf(input.PolicyArn ?? '');
          if (index < 0) throw awsError('NoSuchEntityException', `Policy ${input.PolicyArn} is not attached.`);
          attached.splice(index, 1);
          return {};
        },
        (input) => `${input.RoleName}/${input.PolicyArn}`,
      ),
    );
    iam.on(DeleteRoleCommand).callsFake(
      this.handle(
        'DeleteRole',
        true,
        (input: DeleteRoleCommandInput) => {
          const role = this.role(input.RoleName);
          if (role.inlinePolicies.size > 0 || role.attachedPolicyArns.length > 0) {
            throw awsError('DeleteConflictException', 'Cannot delete entity, must delete policies first.');
          }
          this.roles.delete(role.name);
          return {};
        },
        roleName,
      ),
    );
    iam.on(ListRolesCommand).callsFake(
      this.handle('ListRoles', false, (input: ListRolesCommandInput) => {
        const roles = [...this.roles.values()]
          .filter((role) => role.path.startsWith(input.PathPrefix ?? '/'))
          .map((role) => ({ RoleName: role.name, Path: role.path, Arn: role.arn }));
        const { page, ...more } = this.iamPage('ListRoles', roles, input.Marker);
        return { Roles: page, ...more };
      }),
    );
    this.stubs.push(iam);
  }

  private newRuleId(): string {
    return `sgr-${(this.nextRuleNumber++).toString(16).padStart(17, '0')}`;
  }

  private fakeEc2(): void {
    const ec2 = mockClient(EC2Client);
    ec2.on(DescribeInstancesCommand).callsFake(
      this.handle('DescribeInstances', false, (input: DescribeInstancesCommandInput) => {
        // The two filters the adapter sends: by instance id, or by a group's tag (and live states).
        const ids = input.Filters?.find((f) => f.Name === 'instance-id')?.Values;
        const tag = input.Filters?.find((f) => f.Name?.startsWith('tag:'));
        const states = input.Filters?.find((f) => f.Name === 'instance-state-name')?.Values;
        const found = this.instances.filter(
          (i) =>
            (ids === undefined || ids.includes(i.instanceId)) &&
            (tag === undefined || (tag.Values ?? []).includes(i.tags[tag.Name?.slice('tag:'.length) ?? ''] ?? '')) &&
            (states === undefined || states.includes(i.state)) &&
            (ids !== undefined || tag !== undefined),
        );
        const { items, next } = this.page('DescribeInstances', found, input.NextToken);
        return {
          ...(next ? { NextToken: next } : {}),
          Reservations: items.map((i) => ({
            Instances: [
              {
                InstanceId: i.instanceId,
                State: { Name: i.state },
                Tags: tagList(i.tags),
                ...(i.platform ? { Platform: i.platform, PlatformDetails: 'Windows' } : {}),
              },
            ],
          })),
        };
      }),
    );
    ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake(
      this.handle(
        'AuthorizeSecurityGroupIngress',
        true,
        (input: AuthorizeSecurityGroupIngressCommandInput) => {
          const groupId = this.knownGroup(input.GroupId);
          const tags = tagMap(input.TagSpecifications?.find((t) => t.ResourceType === 'security-group-rule')?.Tags);
          const created: FakeIngressRule[] = [];
          for (const permission of input.IpPermissions ?? []) {
            for (const range of permission.IpRanges ?? []) {
              const rule = {
                groupId: input.GroupId ?? '',
                protocol: permission.IpProtocol ?? '',
                fromPort: permission.FromPort ?? -1,
                toPort: permission.ToPort ?? -1,
                cidr: range.CidrIp ?? '',
                description: range.Description,
                tags,
              };
              if (this.ingressRules.some((r) => sameIngress(r, rule))) {
                throw awsError('InvalidPermission.Duplicate', `the specified rule already exists`);
              }
              created.push({ ...rule, ruleId: this.newRuleId() });
            }
          }
          // Like EC2, all or nothing: rules past the group's quota fail the call and open none.
          const ipv4 = this.rulesIn(groupId).filter((r) => r.cidrIpv6 === undefined).length + created.length;
          if (ipv4 > INBOUND_RULES_PER_GROUP) {
            throw awsError(
              'RulesPerSecurityGroupLimitExceeded',
              'The maximum number of rules per security group has been reached.',
            );
          }
          this.ingressRules.push(...created);
          return { Return: true, SecurityGroupRules: created.map(toSdkRule) };
        },
        (input) =>
          (input.IpPermissions ?? [])
            .flatMap((p) => (p.IpRanges ?? []).map((r) => `${input.GroupId} ${p.IpProtocol}/${p.FromPort} ${r.CidrIp}`))
            .join(','),
      ),
    );
    ec2.on(RevokeSecurityGroupIngressCommand).callsFake(
      this.handle(
        'RevokeSecurityGroupIngress',
        true,
        (input: RevokeSecurityGroupIngressCommandInput) => {
          // Like EC2, all or nothing: one unknown id fails the call and closes none.
          this.knownGroup(input.GroupId);
          const ids = input.SecurityGroupRuleIds ?? [];
          const unknown = ids.find(
            (ruleId) => !this.ingressRules.some((r) => r.ruleId === ruleId && r.groupId === input.GroupId),
          );
          if (unknown) {
            throw awsError(
              'InvalidSecurityGroupRuleId.NotFound',
              `The security group rule ID '${unknown}' does not exist`,
            );
          }
          for (const ruleId of ids) {
            this.ingressRules.splice(
              this.ingressRules.findIndex((r) => r.ruleId === ruleId),
              1,
            );
          }
          return { Return: true };
        },
        (input) => (input.SecurityGroupRuleIds ?? []).join(','),
      ),
    );
    ec2.on(UpdateSecurityGroupRuleDescriptionsIngressCommand).callsFake(
      this.handle(
        'UpdateSecurityGroupRuleDescriptionsIngress',
        true,
        (input: UpdateSecurityGroupRuleDescriptionsIngressCommandInput) => {
          // Like EC2, all or nothing: a permission the group does not hold fails the call and changes none.
          this.knownGroup(input.GroupId);
          const updates = (input.IpPermissions ?? []).flatMap((permission) =>
            (permission.IpRanges ?? []).map((range) => {
              const index = this.ingressRules.findIndex(
                (r) =>
                  r.groupId === input.GroupId &&
                  r.protocol === permission.IpProtocol &&
                  r.fromPort === permission.FromPort &&
                  r.toPort === permission.ToPort &&
                  r.cidr === range.CidrIp,
              );
              if (index < 0) throw awsError('InvalidPermission.NotFound', `no rule for ${range.CidrIp} in the group`);
              return { index, description: range.Description };
            }),
          );
          for (const { index, description } of updates) {
            this.ingressRules[index] = { ...(this.ingressRules[index] as FakeIngressRule), description };
          }
          return { Return: true };
        },
        (input) =>
          (input.IpPermissions ?? [])
            .flatMap((p) => (p.IpRanges ?? []).map((r) => `${input.GroupId} ${p.IpProtocol}/${p.FromPort} ${r.CidrIp}`))
            .join(','),
      ),
    );
    ec2.on(DescribeSecurityGroupRulesCommand).callsFake(
      this.handle('DescribeSecurityGroupRules', false, (input: DescribeSecurityGroupRulesCommandInput) => {
        const groupIds = input.Filters?.find((f) => f.Name === 'group-id')?.Values;
        const rules = this.ingressRules.filter((r) => !groupIds || groupIds.includes(r.groupId)).map(toSdkRule);
        const { items, next } = this.page('DescribeSecurityGroupRules', rules, input.NextToken);
        return { SecurityGroupRules: items, ...(next ? { NextToken: next } : {}) };
      }),
    );
    this.stubs.push(ec2);
  }

  private newSchedule(input: CreateScheduleCommandInput): FakeSchedule {
    const groupName = input.GroupName ?? 'default';
    return {
      name: input.Name ?? '',
      groupName,
      arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${groupName}/${input.Name}`,
      input,
    };
  }

  private schedule(name: string | undefined, groupName: string | undefined): FakeSchedule {
    const schedule = this.schedules.get(`${groupName ?? 'default'}/${name}`);
    if (!schedule) throw awsError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return schedule;
  }

  private fakeScheduler(): void {
    const scheduler = mockClient(SchedulerClient);
    scheduler.on(CreateScheduleCommand).callsFake(
      this.handle(
        'CreateSchedule',
        true,
        (input: CreateScheduleCommandInput) => {
          if (!/^[0-9a-zA-Z-_.]{1,64}$/.test(input.Name ?? '')) {
            throw awsError('ValidationException', `Schedule name ${input.Name} must match [0-9a-zA-Z-_.]{1,64}.`);
          }
          const schedule = this.newSchedule(input);
          const key = `${schedule.groupName}/${schedule.name}`;
          if (this.schedules.has(key)) throw awsError('ConflictException', `Schedule ${input.Name} already exists.`);
          this.schedules.set(key, schedule);
          return { ScheduleArn: schedule.arn };
        },
        (input) => input.Name ?? '',
      ),
    );
    scheduler.on(GetScheduleCommand).callsFake(
      this.handle('GetSchedule', false, (input: GetScheduleCommandInput) => {
        const schedule = this.schedule(input.Name, input.GroupName);
        return { ...schedule.input, Arn: schedule.arn, GroupName: schedule.groupName };
      }),
    );
    scheduler.on(DeleteScheduleCommand).callsFake(
      this.handle(
        'DeleteSchedule',
        true,
        (input: DeleteScheduleCommandInput) => {
          const schedule = this.schedule(input.Name, input.GroupName);
          this.schedules.delete(`${schedule.groupName}/${schedule.name}`);
          return {};
        },
        (input) => input.Name ?? '',
      ),
    );
    scheduler.on(ListSchedulesCommand).callsFake(
      this.handle('ListSchedules', false, (input: ListSchedulesCommandInput) => {
        const schedules = [...this.schedules.values()]
          .filter((s) => !input.GroupName || s.groupName === input.GroupName)
          .map((s) => ({ Name: s.name, GroupName: s.groupName, Arn: s.arn }));
        const { items, next } = this.page('ListSchedules', schedules, input.NextToken);
        return { Schedules: items, ...(next ? { NextToken: next } : {}) };
      }),
    );
    this.stubs.push(scheduler);
  }

  private fakeSsm(): void {
    const ssm = mockClient(SSMClient);
    ssm.on(DescribeSessionsCommand).callsFake(
      this.handle('DescribeSessions', false, (input: DescribeSessionsCommandInput) => {
        const sessions = this.sessions
          .filter((s) => (input.State === 'History' ? s.status === 'Terminated' : s.status === 'Active'))
          .filter((s) => {
            const after = input.Filters?.find((f) => f.key === 'InvokedAfter')?.value;
            return after === undefined || s.startedAt >= after;
          })
          .map((s) => ({ SessionId: s.sessionId, Target: s.target, Owner: s.owner, Status: s.status }));
        // Active and History sessions are two listings: a token of one is no token of the other.
        const { items, next } = this.page(`DescribeSessions-${input.State}`, sessions, input.NextToken);
        return { Sessions: items, ...(next ? { NextToken: next } : {}) };
      }),
    );
    ssm.on(TerminateSessionCommand).callsFake(
      this.handle(
        'TerminateSession',
        true,
        (input: TerminateSessionCommandInput) => {
          // Like SSM, terminating a session that already ended succeeds; an id it never issued does not.
          const session = this.sessions.find((s) => s.sessionId === input.SessionId);
          if (!session) throw awsError('DoesNotExistException', `Session ${input.SessionId} does not exist.`);
          session.status = 'Terminated';
          return { SessionId: input.SessionId };
        },
        (input) => input.SessionId ?? '',
      ),
    );
    ssm.on(SendCommandCommand).callsFake(
      this.handle(
        'SendCommand',
        true,
        (input: SendCommandCommandInput) => {
          const unmanaged = (input.InstanceIds ?? []).filter((id) => this.unmanaged.has(id));
          if (unmanaged.length > 0) {
            throw awsError('InvalidInstanceId', `Instances [[${unmanaged.join(', ')}]] not in a valid state`);
          }
          const tag = input.Targets?.[0];
          const reached = tag
            ? this.instances.filter((i) => tag.Values?.includes(i.tags[(tag.Key ?? '').replace(/^tag:/, '')] ?? ''))
            : this.instances.filter((i) => input.InstanceIds?.includes(i.instanceId));
          const command: FakeCommand = {
            commandId: `cmd-${this.commands.length + 1}`,
            documentName: input.DocumentName ?? '',
            parameters: input.Parameters ?? {},
            ...(input.OutputS3BucketName ? { output: `${input.OutputS3BucketName}/${input.OutputS3KeyPrefix}` } : {}),
            ...(input.Comment ? { comment: input.Comment } : {}),
            invocations: reached.map(({ instanceId }) => ({
              instanceId,
              status:
                this.commandHangsOn.has(instanceId) || this.snapshotRunsOn.has(instanceId)
                  ? 'InProgress'
                  : this.commandFailsOn.has(instanceId)
                    ? 'Failed'
                    : 'Success',
            })),
          };
          this.commands.push(command);
          return { Command: { CommandId: command.commandId, DocumentName: command.documentName, Status: 'Pending' } };
        },
        (input) => `${input.Parameters?.action?.[0]} ${input.Parameters?.osUser?.[0]}`,
      ),
    );
    ssm.on(ListCommandInvocationsCommand).callsFake(
      this.handle('ListCommandInvocations', false, (input: ListCommandInvocationsCommandInput) => {
        const invocations = (this.commands.find((c) => c.commandId === input.CommandId)?.invocations ?? []).map(
          (i) => ({
            CommandId: input.CommandId,
            InstanceId: i.instanceId,
            Status: i.status,
            ...(input.Details ? { CommandPlugins: this.commandPlugins(i.instanceId, i.status) } : {}),
          }),
        );
        const { items, next } = this.page(`ListCommandInvocations-${input.CommandId}`, invocations, input.NextToken);
        return { CommandInvocations: items, ...(next ? { NextToken: next } : {}) };
      }),
    );
    ssm.on(GetCommandInvocationCommand).callsFake(
      this.handle('GetCommandInvocation', false, (input: GetCommandInvocationCommandInput) => {
        const invocation = this.commands
          .find((c) => c.commandId === input.CommandId)
          ?.invocations.find((i) => i.instanceId === input.InstanceId);
        if (!invocation) {
          throw Object.assign(new Error('InvocationDoesNotExist'), { name: 'InvocationDoesNotExist' });
        }
        const step = this.commandPlugins(invocation.instanceId, invocation.status).find(
          (p) => p.Name === input.PluginName,
        );
        if (!step) throw Object.assign(new Error('InvalidPluginName'), { name: 'InvalidPluginName' });
        return { Status: step.Status, StandardOutputContent: step.Output };
      }),
    );
    ssm.on(ListCommandsCommand).callsFake(
      this.handle('ListCommands', false, (input: ListCommandsCommandInput) => ({
        Commands: this.commands
          .filter((c) => c.commandId === input.CommandId)
          .map((c) => ({
            CommandId: c.commandId,
            Comment: c.comment,
            Status: 'Success',
            TargetCount: c.invocations.length,
          })),
      })),
    );
    this.stubs.push(ssm);
  }

  /** The document's steps as SSM details them: a failed snapshot writes its failure JSON and exits 0. */
  private commandPlugins(instanceId: string, status: string) {
    const snapshot = this.snapshotFailsOn.has(instanceId)
      ? '{"schemaVersion":1,"status":"failed","phase":"end","takenAt":"2030-03-01T10:00:00Z","reason":"timed out after 60 s"}'
      : '{"schemaVersion":1,"status":"ok","phase":"end"';
    const running = this.snapshotRunsOn.has(instanceId);
    return [
      { Name: 'snapshotStart', Status: 'Success', Output: snapshot },
      { Name: 'osAccount', Status: running ? 'Success' : status, Output: '' },
      { Name: 'snapshotEnd', Status: running ? 'InProgress' : 'Success', Output: running ? '' : snapshot },
    ];
  }

  /**
   * SSM's status-change events of every invocation that ended since the last call, as EventBridge hands them to the
   * OS-account results rule's target; one still running has no final event yet.
   */
  takeInvocationEvents(): unknown[] {
    const events: unknown[] = [];
    for (const command of this.commands) {
      for (const invocation of command.invocations) {
        const key = `${command.commandId}/${invocation.instanceId}/${invocation.status}`;
        if (invocation.status === 'InProgress' || this.deliveredEvents.has(key)) continue;
        this.deliveredEvents.add(key);
        events.push({
          source: 'aws.ssm',
          'detail-type': 'EC2 Command Invocation Status-change Notification',
          detail: {
            'command-id': command.commandId,
            'document-name': command.documentName,
            'instance-id': invocation.instanceId,
            status: invocation.status,
          },
        });
      }
    }
    return events;
  }

  /** The OS-account commands sent, as `<action> <osUser> on <instance>: <status>`. */
  osAccountRuns(): string[] {
    return this.commands.flatMap((c) =>
      c.invocations.map(
        (i) => `${c.parameters.action?.[0]} ${c.parameters.osUser?.[0]} on ${i.instanceId}: ${i.status}`,
      ),
    );
  }
}

function sameIngress(a: Omit<FakeIngressRule, 'ruleId'>, b: Omit<FakeIngressRule, 'ruleId'>): boolean {
  return (
    a.groupId === b.groupId &&
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.cidr === b.cidr &&
    a.cidrIpv6 === b.cidrIpv6 &&
    a.prefixListId === b.prefixListId &&
    a.referencedGroupId === b.referencedGroupId
  );
}

function toSdkRule(rule: FakeIngressRule) {
  return {
    SecurityGroupRuleId: rule.ruleId,
    GroupId: rule.groupId,
    IsEgress: false,
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort,
    ToPort: rule.toPort,
    CidrIpv4: rule.cidr,
    CidrIpv6: rule.cidrIpv6,
    PrefixListId: rule.prefixListId,
    ReferencedGroupInfo: rule.referencedGroupId ? { GroupId: rule.referencedGroupId } : undefined,
    Description: rule.description,
    Tags: tagList(rule.tags),
  };
}
