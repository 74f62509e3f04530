import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';

/** The Step Functions client, loaded on first use. */
function sfnClient(config: AwsClientConfig) {
  return lazyClient(
    () => import('@aws-sdk/client-sfn'),
    (sdk) => new sdk.SFNClient(config),
  );
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

/** Starts the approval workflow for a request. Only the API's request function holds this. */
export interface WorkflowExecutions {
  /** Starts an execution named after the grant; returns its ARN. */
  start(grantId: string, input: Readonly<Record<string, unknown>>): Promise<string>;
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
}
