import { Ec2Network } from '../../lambdas/adapters/ec2';
import { IamGrantRoles } from '../../lambdas/adapters/iam';
import { SnsNotifier } from '../../lambdas/adapters/notifier';
import { SchedulerExpirySchedules } from '../../lambdas/adapters/scheduler';
import { CloudWatchSessionLogs } from '../../lambdas/adapters/logs';
import { SfnApprovalCallback, SfnWorkflowExecutions } from '../../lambdas/adapters/sfn';
import { SsmOsAccountCommands, SsmSessionManager } from '../../lambdas/adapters/ssm';
import type { Caller } from '../../lambdas/domain/identity';
import { createApiAuditHandler } from '../../lambdas/handlers/api-audit';
import { createApiDecideHandler } from '../../lambdas/handlers/api-decide';
import { createApiReadHandler } from '../../lambdas/handlers/api-read';
import { createApiRequestHandler } from '../../lambdas/handlers/api-request';
import { ROUTES, type RouteName } from '../../lambdas/handlers/api/contract';
import { createGrantHandler } from '../../lambdas/handlers/grant';
import { createOsAccountResultHandler } from '../../lambdas/handlers/os-account-result';
import { createRecordOutcomeHandler } from '../../lambdas/handlers/record-outcome';
import { createRequestApprovalHandler } from '../../lambdas/handlers/request-approval';
import { createRevokeHandler } from '../../lambdas/handlers/revoke';
import { createSweeperHandler } from '../../lambdas/handlers/sweeper';
import { createValidateRequestHandler, type ValidatedWorkflowState } from '../../lambdas/handlers/validate-request';
import { decide } from '../../lambdas/lifecycle/decision';
import type { ProvisionResult } from '../../lambdas/lifecycle/provision';
import type { AwsClientConfig } from '../../lambdas/shared/aws-client-config';
import type { Ledger } from '../../lambdas/adapters/ledger';
import type { Dependencies } from '../../lambdas/shared/dependencies';
import type { RuntimeSettings } from '../../lambdas/shared/environment';
import type { JitAccessConfig } from '../../lib/config/schema';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { exampleConfig } from './config-fixture';
import { fakeAuditSources, type FakeAuditSources } from './audit-sources';
import type { FakeExecution } from './fake-aws';
import { FakeAws } from './fake-aws';
import { InMemoryLedger } from './in-memory-ledger';

export const ACCOUNT_ID = '111122223333';
export const REGION = 'eu-west-1';
/** The stack's evidence (session) bucket: the OS-account command's output goes there. */
export const EVIDENCE_BUCKET = `jitaccess-sessions-${ACCOUNT_ID}-${REGION}`;
/** The first instant of every handler test; each test moves the clock from here. */
export const T0 = '2030-03-01T09:00:00.000Z';

/** Identity Center's role for a permission set in the account: sessions are named after the user. */
export const SSO_ROLE = 'AWSReservedSSO_JitAccessUsers_0123456789abcdef';

/** The people of the cdk.json example, each as AWS would sign their calls (their first configured identity). */
export const DANA: Caller = {
  person: 'dana',
  arn: `arn:aws:sts::111122223333:assumed-role/${SSO_ROLE}/dana@example.com`,
};
export const ALICE: Caller = {
  person: 'alice',
  arn: `arn:aws:sts::111122223333:assumed-role/${SSO_ROLE}/alice@example.com`,
};
export const BOB: Caller = { person: 'bob', arn: 'arn:aws:iam::111122223333:user/bob' };
export const CAROL: Caller = {
  person: 'carol',
  arn: 'arn:aws:sts::111122223333:assumed-role/SecurityApprovers/carol',
};
export const ERIN: Caller = {
  person: 'erin',
  arn: `arn:aws:sts::111122223333:assumed-role/${SSO_ROLE}/erin@example.com`,
};
/** The example's sponsor of both vendors. */
export const SPONSOR = DANA;

export const BILLING_SG = 'sg-0b1111111111111111';
export const WEB_SG = 'sg-0f2222222222222222';
export const BILLING_1 = 'i-0aaaaaaaaaaaaaaa1';
export const BILLING_2 = 'i-0bbbbbbbbbbbbbbb2';
export const WEB_1 = 'i-0ccccccccccccccc3';
export const UNTAGGED = 'i-0eeeeeeeeeeeeeee5';

export const TARGET_GROUP_TAG = 'jit-access:target-group';

/** Fixed, fake ARNs and ids of a deployed stack, with `config` (the cdk.json example by default). */
export function testSettings(config: JitAccessConfig = exampleConfig()): RuntimeSettings {
  return {
    config,
    ledgerTableName: 'jit-access-ledger',
    topicArn: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:jit-access-notifications`,
    env: { accountId: ACCOUNT_ID, region: REGION, partition: 'aws' },
    permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT_ID}:policy/jit-access/jit-grant-boundary`,
    revokedPolicyArn: `arn:aws:iam::${ACCOUNT_ID}:policy/jit-access/jit-grant-revoked`,
    sessionDocumentName: 'JitAccess-VendorShell',
    osAccountDocumentName: 'JitAccess-OsAccount',
    evidenceBucketName: EVIDENCE_BUCKET,
    sessionKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555`,
    scheduleGroupName: 'jit-access-expiry',
    schedulerRoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/jit-access-scheduler`,
    schedulerDlqArn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:jit-access-expiry-dlq`,
    revokeFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:jit-access-revoke`,
    securityGroups: { 'billing-db': BILLING_SG, 'web-frontend': WEB_SG },
    stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:jit-access-approval`,
    sessionLogGroupName: 'jit-access-sessions',
  };
}

/** A clock the test sets and moves; handlers read it through `Dependencies.clock`. */
export class TestClock {
  private current: number;

  constructor(iso: string) {
    this.current = Date.parse(iso);
  }

  readonly now = (): Date => new Date(this.current);

  set(iso: string): void {
    this.current = Date.parse(iso);
  }

  advanceMinutes(minutes: number): void {
    this.current += minutes * 60_000;
  }
}

export interface Harness<L extends Ledger = InMemoryLedger> {
  readonly aws: FakeAws;
  readonly ledger: L;
  readonly clock: TestClock;
  readonly deps: Dependencies;
  readonly handlers: ReturnType<typeof handlersFor>;
  /** What the audit function reads besides the ledger (CloudTrail, transcript objects) and the key it signs with. */
  readonly audit: FakeAuditSources;
  /** Removes the SDK mocks; call it after each test. */
  readonly restore: () => void;
}

export interface HarnessOptions {
  readonly config?: JitAccessConfig;
  readonly now?: string;
}

/**
 * Dependencies built from the real SDK adapters talking to the mocked clients (one attempt, so an injected fault
 * surfaces at once), the in-memory ledger (or `ledger`, e.g. the real DynamoLedger on local AWS) and a controllable
 * clock; the fake EC2 knows a few instances and the settings' security groups. Call `harness.restore()` after each
 * test.
 */
export function createHarness(options?: HarnessOptions): Harness;
export function createHarness<L extends Ledger>(options: HarnessOptions & { readonly ledger: L }): Harness<L>;
export function createHarness(options: HarnessOptions & { readonly ledger?: Ledger } = {}): Harness<Ledger> {
  const aws = new FakeAws(ACCOUNT_ID, REGION);
  aws.addInstance({ instanceId: BILLING_1, state: 'running', tags: { [TARGET_GROUP_TAG]: 'billing-db' } });
  aws.addInstance({ instanceId: BILLING_2, state: 'running', tags: { [TARGET_GROUP_TAG]: 'billing-db' } });
  aws.addInstance({ instanceId: WEB_1, state: 'running', tags: { [TARGET_GROUP_TAG]: 'web-frontend' } });
  aws.addInstance({ instanceId: UNTAGGED, state: 'running', tags: { Name: 'scratch' } });

  const settings = testSettings(options.config);
  for (const groupId of Object.values(settings.securityGroups)) aws.addSecurityGroup(groupId);
  const clock = new TestClock(options.now ?? T0);
  const ledger = options.ledger ?? new InMemoryLedger();
  const sdk: AwsClientConfig = { region: REGION, maxAttempts: 1 };
  const deps: Dependencies = {
    settings,
    clock: clock.now,
    // Never waits: a test that checks the waits passes a sleeper of its own.
    sleep: () => Promise.resolve(),
    ledger,
    roles: new IamGrantRoles(sdk),
    network: new Ec2Network(sdk),
    schedules: new SchedulerExpirySchedules(sdk),
    sessions: new SsmSessionManager(sdk),
    // No waiting between reads: a command the fake leaves running counts as pending after three reads.
    osAccounts: new SsmOsAccountCommands(
      sdk,
      settings.osAccountDocumentName,
      { intervalMs: 0, maxReads: 3 },
      settings.evidenceBucketName,
    ),
    notifier: new SnsNotifier(settings.topicArn, sdk),
    approvals: new SfnApprovalCallback(sdk),
    executions: new SfnWorkflowExecutions(settings.stateMachineArn ?? '', sdk),
    sessionLogs: new CloudWatchSessionLogs(settings.sessionLogGroupName ?? '', sdk),
  };
  const audit = fakeAuditSources();
  return { aws, ledger, clock, deps, audit, handlers: handlersFor(deps, audit), restore: () => aws.restore() };
}

/** Every handler, wired to `deps`: the lifecycle functions and the API's four functions. */
export function handlersFor(deps: Dependencies, audit: FakeAuditSources = fakeAuditSources()) {
  const use = () => deps;
  return {
    validateRequest: createValidateRequestHandler(use),
    requestApproval: createRequestApprovalHandler(use),
    grant: createGrantHandler(use),
    revoke: createRevokeHandler(use),
    sweeper: createSweeperHandler(use),
    recordOutcome: createRecordOutcomeHandler(use),
    osAccountResult: createOsAccountResultHandler(use),
    apiRead: createApiReadHandler(use),
    apiRequest: createApiRequestHandler(use),
    apiDecide: createApiDecideHandler(use),
    apiAudit: createApiAuditHandler(use, () => audit),
  };
}

/** What a sponsor sends: vendor acme, one billing-db instance, one hour, Postgres from its CIDRs. */
export function requestBody(overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    vendorId: 'acme',
    targets: [BILLING_1],
    durationMinutes: 60,
    ticket: 'CHG-1234',
    reason: 'Investigate slow billing queries reported in the ticket',
    ports: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432 }],
    ...overrides,
  };
}

/**
 * The workflow's input as the API writes it: a request body with the signed requester (the sponsor unless
 * `requester` is given among the overrides).
 */
export function requestInput(overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return { ...requestBody(), requester: SPONSOR, ...overrides };
}

export interface ApiEventInput {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** The event API Gateway sends for a route, with `caller`'s ARN as the verified identity of the request context. */
export function apiEvent(
  route: RouteName,
  caller: Caller | undefined,
  input: ApiEventInput = {},
): APIGatewayProxyEvent {
  const spec = ROUTES[route];
  const path = spec.path.replace(/\{(\w+)\}/g, (_, key: string) => input.params?.[key] ?? `{${key}}`);
  return {
    resource: spec.path,
    path,
    httpMethod: spec.method,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: input.query ? { ...input.query } : null,
    multiValueQueryStringParameters: null,
    pathParameters: input.params ? { ...input.params } : null,
    stageVariables: null,
    body: input.body === undefined ? null : JSON.stringify(input.body),
    isBase64Encoded: false,
    requestContext: {
      requestId: `request-${route}`,
      identity: caller ? { userArn: caller.arn, accountId: caller.arn.split(':')[4] } : {},
    },
  } as unknown as APIGatewayProxyEvent;
}

export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** Calls a route through its API function as API Gateway would; answers the status and the parsed body. */
export async function callApi<T = unknown>(
  harness: Harness<Ledger>,
  route: RouteName,
  caller: Caller | undefined,
  input: ApiEventInput = {},
): Promise<ApiAnswer<T>> {
  const handlers = {
    'api-read': harness.handlers.apiRead,
    'api-request': harness.handlers.apiRequest,
    'api-decide': harness.handlers.apiDecide,
    'api-audit': harness.handlers.apiAudit,
  };
  const result: APIGatewayProxyResult = await handlers[ROUTES[route].function](apiEvent(route, caller, input));
  return { status: result.statusCode, body: JSON.parse(result.body) as T };
}

export const taskTokenFor = (grantId: string) => `task-token-of-${grantId}`;

/** A PENDING grant, made the way the workflow makes it: validate-request, then request-approval. */
export async function seedPending(
  harness: Harness<Ledger>,
  grantId: string,
  input: Record<string, unknown> = requestInput(),
): Promise<ValidatedWorkflowState> {
  const state = await harness.handlers.validateRequest({ input, grantId });
  await harness.handlers.requestApproval({ grantId, request: state.request, taskToken: taskTokenFor(grantId) });
  return state;
}

/** An APPROVED grant: a PENDING one, then approved by alice and bob (the example needs two). */
export async function seedApproved(
  harness: Harness<Ledger>,
  grantId: string,
  input: Record<string, unknown> = requestInput(),
): Promise<ValidatedWorkflowState> {
  const state = await seedPending(harness, grantId, input);
  await decide(harness.deps, grantId, ALICE, 'approve');
  await decide(harness.deps, grantId, BOB, 'approve');
  return state;
}

/** An ACTIVE grant: an APPROVED one, then granted at the clock's current time. */
export async function seedActive(
  harness: Harness<Ledger>,
  grantId: string,
  input: Record<string, unknown> = requestInput(),
): Promise<ProvisionResult> {
  await seedApproved(harness, grantId, input);
  return harness.handlers.grant({ grantId });
}

/**
 * An APPROVED extension of the ACTIVE grant `grantId`: dana asks for 30 more minutes through the API, the workflow
 * validates it and asks for approval, alice and bob approve. Answers the extension's grant id.
 */
export async function seedApprovedExtension(harness: Harness<Ledger>, grantId: string): Promise<string> {
  const answer = await callApi<{ grantId: string }>(harness, 'extend', DANA, {
    params: { grantId },
    body: { byMinutes: 30 },
  });
  const extensionId = answer.body.grantId;
  const [execution] = harness.aws.executions;
  const state = await harness.handlers.validateRequest({ input: execution?.input, grantId: extensionId });
  await harness.handlers.requestApproval({
    grantId: extensionId,
    request: state.request,
    taskToken: 'token-of-extension',
  });
  await decide(harness.deps, extensionId, ALICE, 'approve');
  await decide(harness.deps, extensionId, BOB, 'approve');
  return extensionId;
}

/**
 * EventBridge's part: hands SSM's status-change event of every command invocation that ended since the last delivery
 * to the OS-account result function, one at a time; answers what it recorded.
 */
export async function deliverCommandEvents(harness: Harness) {
  const recorded = [];
  for (const event of harness.aws.takeInvocationEvents()) recorded.push(await harness.handlers.osAccountResult(event));
  return recorded;
}

/** The status the ledger holds for the grant (throws when there is no such grant). */
export async function statusOf(harness: Harness<Ledger>, grantId: string): Promise<string> {
  const grant = await harness.ledger.getGrant(grantId);
  if (!grant) throw new Error(`no grant ${grantId} in the ledger`);
  return grant.status;
}

/** The error `act` rejects with; a resolved promise fails the test. */
export async function rejectionOf(act: Promise<unknown>): Promise<Error> {
  try {
    await act;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but the call succeeded');
}

/** The grant's workflow execution, as DescribeExecution will report it. */
export function seedExecution(harness: Harness<Ledger>, grantId: string, status: FakeExecution['status']): void {
  harness.aws.executions.push({
    stateMachineArn: testSettings().stateMachineArn ?? '',
    name: grantId,
    input: {},
    status,
  });
}

/** A role jit-access made for `grantId` (its path, tags and boundary), whether or not the ledger knows the grant. */
export function seedGrantRole(harness: Harness<Ledger>, grantId: string) {
  return harness.aws.seedRole(
    `jit-${grantId}`,
    '/jit-access/',
    { 'jit-access:managed': 'true', 'jit-access:grant-id': grantId },
    testSettings().permissionsBoundaryArn,
  );
}
