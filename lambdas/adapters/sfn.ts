import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import { requiredSetting, type AdapterMaker } from '../shared/dependencies';

/** The Step Functions client, loaded on first use. */
function sfnClient(config: AwsClientConfig) {
  return lazyClient(
    () => import('@aws-sdk/client-sfn'),
    (sdk) => new sdk.SFNClient(config),
  );
}

/**
 * Step Functions' answer to a token whose task is over: answered before, timed out, or its execution gone. Nothing
 * waits for that token any more.
 */
export function isClosedTask(error: unknown): boolean {
  return ['TaskTimedOut', 'TaskDoesNotExist'].includes((error as Error)?.name);
}

/** Answers the approval step of the workflow. Only the API's decide function holds this. */
export interface ApprovalCallback {
  approve(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<void>;
  deny(taskToken: string, error: string, cause: string): Promise<void>;
}

export class SfnApprovalCallback implements ApprovalCallback {
  private readonly aws;

  constructor(config: AwsClientConfig) {
    this.aws = sfnClient(config);
  }

  async approve(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<void> {
    const { sdk, client } = await this.aws();
    await client.send(new sdk.SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  async deny(taskToken: string, error: string, cause: string): Promise<void> {
    const { sdk, client } = await this.aws();
    await client.send(new sdk.SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_768) }));
  }
}

/** Where a workflow execution stands, as Step Functions reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/**
 * The approval workflow's executions, one per grant, named after it. The API's request function starts them; the
 * sweeper reads how one ended, to move on a grant whose workflow is gone.
 */
export interface WorkflowExecutions {
  /** Starts an execution named after the grant; returns its ARN. */
  start(grantId: string, input: Readonly<Record<string, unknown>>): Promise<string>;
  /** The status of the grant's execution; undefined when there is none (never started, or past its retention). */
  status(grantId: string): Promise<ExecutionStatus | undefined>;
}

/** `arn:aws:states:<region>:<account>:stateMachine:<name>` → the ARN of its execution named `name`. */
export function executionArn(stateMachineArn: string, name: string): string {
  const [prefix, machineName] = stateMachineArn.split(':stateMachine:');
  if (!prefix || !machineName) throw new Error(`${stateMachineArn} is not a state machine ARN`);
  return `${prefix}:execution:${machineName}:${name}`;
}

export class SfnWorkflowExecutions implements WorkflowExecutions {
  private readonly aws;

  constructor(
    private readonly stateMachineArn: string,
    config: AwsClientConfig,
  ) {
    this.aws = sfnClient(config);
  }

  async start(grantId: string, input: Readonly<Record<string, unknown>>): Promise<string> {
    const { sdk, client } = await this.aws();
    const result = await client.send(
      new sdk.StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name: grantId,
        input: JSON.stringify(input),
      }),
    );
    return result.executionArn as string;
  }

  async status(grantId: string): Promise<ExecutionStatus | undefined> {
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(
        new sdk.DescribeExecutionCommand({ executionArn: executionArn(this.stateMachineArn, grantId) }),
      );
      return result.status as ExecutionStatus;
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  }
}

/** The approval workflow's task-token answers. */
export const makeApprovals: AdapterMaker<'approvals'> = (_settings, config) => new SfnApprovalCallback(config);

/** The approval workflow's executions. */
export const makeExecutions: AdapterMaker<'executions'> = (settings, config) =>
  new SfnWorkflowExecutions(requiredSetting(settings.stateMachineArn, 'STATE_MACHINE_ARN'), config);
