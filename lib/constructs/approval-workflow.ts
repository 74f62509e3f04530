import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/shared/environment';
import type { JitFunction } from './jit-function';
import { operationalLogGroupName, stackResourceName } from './naming';
import { acknowledgeSingleRolePolicy, wildcardResourceFinding } from './nag-findings';

/** Error names the handlers throw and the workflow routes on. */
export const WORKFLOW_ERRORS = {
  validation: 'jit.ValidationError',
  denied: 'jit.Denied',
  cancelled: 'jit.Cancelled',
  notStarted: 'jit.NotStarted',
} as const;

/** Transient Lambda service errors worth retrying before a grant is declared failed. */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

export interface ApprovalWorkflowProps {
  readonly validateRequest: lambda.IFunction;
  readonly requestApproval: lambda.IFunction;
  readonly grant: lambda.IFunction;
  readonly recordOutcome: lambda.IFunction;
  /** How long a request waits for its approvals (5-10080 minutes). */
  readonly approvalTimeout: Duration;
  /** Encrypts the execution log group; it must allow CloudWatch Logs. */
  readonly logEncryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The approval workflow, a Standard state machine: validate → request approval (waits for the decision function's
 * task token answer, up to the approval timeout) → wait for the requested start → grant → notify. A break-glass
 * request skips the wait for votes (it is recorded approved, for review afterwards). Rejection, denial, cancellation,
 * approval timeout and grant failure each end in their own failed state after recording the outcome.
 *
 * Data contract: the execution input is the request the API wrote (with the signed requester); `Validate request`
 * receives `{ input, grantId }` (grantId = execution name) and its result replaces the state with
 * `{ grantId, startAt, request, targets, plan }`; later states add `approval`, `grant` or `error`.
 */
export class ApprovalWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApprovalWorkflowProps) {
    super(scope, id);
    const timeoutMinutes = props.approvalTimeout.toMinutes({ integral: false });
    if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 5 || timeoutMinutes > 10080) {
      throw new Error(`${this.node.path}: approvalTimeout must be 5-10080 whole minutes, got ${timeoutMinutes}`);
    }

    const recordOutcome = (stateName: string, outcome: string, extra: Record<string, unknown> = {}) =>
      new tasks.LambdaInvoke(this, stateName, {
        lambdaFunction: props.recordOutcome,
        payloadResponseOnly: true,
        payload: sfn.TaskInput.fromObject({ grantId: sfn.JsonPath.stringAt('$.grantId'), outcome, ...extra }),
        resultPath: sfn.JsonPath.DISCARD,
      });

    const validate = new tasks.LambdaInvoke(this, 'Validate request', {
      lambdaFunction: props.validateRequest,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ input: sfn.JsonPath.entirePayload, grantId: sfn.JsonPath.executionName }),
    });
    validate.addCatch(
      new sfn.Fail(this, 'Request rejected', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      { errors: [WORKFLOW_ERRORS.validation], resultPath: '$.error' },
    );

    const requestApproval = new tasks.LambdaInvoke(this, 'Request approval', {
      lambdaFunction: props.requestApproval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      // Only the request: the step re-checks it and plans again, so nothing else it is handed is trusted.
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        grantId: sfn.JsonPath.stringAt('$.grantId'),
        request: sfn.JsonPath.objectAt('$.request'),
      }),
      taskTimeout: sfn.Timeout.duration(props.approvalTimeout),
      resultPath: '$.approval',
    });
    requestApproval.addCatch(
      recordOutcome('Record approval timeout', 'approval-timed-out').next(
        new sfn.Fail(this, 'Approval timed out', { error: 'jit.ApprovalTimedOut', cause: 'No decision in time' }),
      ),
      { errors: [sfn.Errors.TIMEOUT], resultPath: '$.error' },
    );
    requestApproval.addCatch(
      recordOutcome('Record denial', 'denied').next(
        new sfn.Fail(this, 'Denied', { error: WORKFLOW_ERRORS.denied, cause: 'An approver denied the request' }),
      ),
      { errors: [WORKFLOW_ERRORS.denied], resultPath: '$.error' },
    );
    requestApproval.addCatch(
      recordOutcome('Record cancellation', 'cancelled').next(
        new sfn.Fail(this, 'Cancelled', { error: WORKFLOW_ERRORS.cancelled, cause: 'The request was revoked' }),
      ),
      { errors: [WORKFLOW_ERRORS.cancelled], resultPath: '$.error' },
    );
    // Anything else (the approval Lambda itself failing) must not leave a PENDING grant nobody can answer.
    requestApproval.addCatch(
      recordOutcome('Record approval failure', 'approval-failed', { error: sfn.JsonPath.objectAt('$.error') }).next(
        new sfn.Fail(this, 'Approval failed', { error: 'jit.ApprovalFailed', cause: 'The approval step failed' }),
      ),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    const waitForStart = new sfn.Wait(this, 'Wait for start', { time: sfn.WaitTime.timestampPath('$.startAt') });

    // Break-glass: recorded APPROVED at once (the step checks the requester may use it), reviewed afterwards.
    const recordBreakGlass = new tasks.LambdaInvoke(this, 'Record break-glass', {
      lambdaFunction: props.requestApproval,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({
        grantId: sfn.JsonPath.stringAt('$.grantId'),
        request: sfn.JsonPath.objectAt('$.request'),
      }),
      resultPath: '$.approval',
    });
    recordBreakGlass.addCatch(
      recordOutcome('Record break-glass failure', 'approval-failed', { error: sfn.JsonPath.objectAt('$.error') }).next(
        new sfn.Fail(this, 'Break-glass failed', { error: 'jit.ApprovalFailed', cause: 'The break-glass step failed' }),
      ),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );
    const isBreakGlass = sfn.Condition.and(
      sfn.Condition.isPresent('$.request.breakGlass'),
      sfn.Condition.booleanEquals('$.request.breakGlass', true),
    );

    const grant = new tasks.LambdaInvoke(this, 'Grant access', {
      lambdaFunction: props.grant,
      payloadResponseOnly: true,
      payload: sfn.TaskInput.fromObject({ grantId: sfn.JsonPath.stringAt('$.grantId') }),
      resultPath: '$.grant',
      retryOnServiceExceptions: false,
    });
    grant.addRetry({ errors: LAMBDA_TRANSIENT_ERRORS, maxAttempts: 3, backoffRate: 2, interval: Duration.seconds(2) });
    // A grant step that wakes a moment before the start (its clock behind the Wait state's) has created nothing.
    grant.addRetry({
      errors: [WORKFLOW_ERRORS.notStarted],
      maxAttempts: 6,
      backoffRate: 1,
      interval: Duration.seconds(10),
    });
    grant.addCatch(
      recordOutcome('Record grant failure', 'grant-failed', { error: sfn.JsonPath.objectAt('$.error') }).next(
        new sfn.Fail(this, 'Grant failed', { error: 'jit.GrantFailed', cause: 'Grant failed; created parts removed' }),
      ),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );

    waitForStart.next(grant).next(recordOutcome('Notify granted', 'granted')).next(new sfn.Succeed(this, 'Granted'));
    const definition = validate.next(
      new sfn.Choice(this, 'Break-glass?')
        .when(isBreakGlass, recordBreakGlass.next(waitForStart))
        .otherwise(requestApproval.next(waitForStart)),
    );

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: operationalLogGroupName(this, 'workflow'),
      retention: props.logRetention,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: stackResourceName(this, 'approval'),
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // Every event is logged, but not its data: the approval task's token must stay in the ledger only.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    this.acknowledgeServiceWildcards([props.validateRequest, props.requestApproval, props.grant, props.recordOutcome]);
  }

  /** The only principal that may answer approval tasks (SendTaskSuccess / SendTaskFailure): the API's decide function. */
  public allowAnswering(grantee: iam.IGrantable): void {
    this.stateMachine.grant(grantee, 'states:SendTaskSuccess', 'states:SendTaskFailure');
  }

  /**
   * Lets the sweeper read how each execution of this workflow ended (`states:DescribeExecution`), so it can move on a
   * grant the workflow left behind. Executions are named by grant id, which the sweeper takes from the ledger.
   */
  public allowReadingExecutions(reader: JitFunction): void {
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    reader.function.addEnvironment(ENV.stateMachineArn, this.stateMachine.stateMachineArn);
    reader.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadApprovalExecutions',
        actions: ['states:DescribeExecution'],
        resources: [executions],
      }),
    );
    Validations.of(reader.role).acknowledge({
      id: wildcardResourceFinding(this, executions),
      reason:
        'Executions of the approval workflow only (named by grant id, which the sweeper reads from the ledger), and only DescribeExecution: it reads how one ended, never starts, stops or answers one.',
    });
  }

  private acknowledgeServiceWildcards(functions: readonly lambda.IFunction[]): void {
    const defaultPolicy = this.stateMachine.role.node.findChild('DefaultPolicy');
    acknowledgeSingleRolePolicy(defaultPolicy, "the approval workflow's state machine");
    Validations.of(defaultPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Log delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray writes have no resource-level permissions.',
    });
    for (const fn of functions) {
      Validations.of(defaultPolicy).acknowledge({
        id: wildcardResourceFinding(this, `${fn.functionArn}:*`),
        reason:
          'LambdaInvoke grants the function and its own versions/aliases (<arn>:*); no other function is reachable.',
      });
    }
  }
}
