import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { tracer } from '../shared/powertools';

/** Answers the approval step of the workflow. Only the decide Lambda holds this. */
export interface ApprovalCallback {
  approve(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<void>;
  deny(taskToken: string, error: string, cause: string): Promise<void>;
}

export class SfnApprovalCallback implements ApprovalCallback {
  private readonly client: SFNClient;

  constructor(config: AwsClientConfig) {
    this.client = tracer.captureAWSv3Client(new SFNClient(config));
  }

  async approve(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<void> {
    await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  async deny(taskToken: string, error: string, cause: string): Promise<void> {
    await this.client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_768) }));
  }
}

/** Starts the approval workflow for a request. Only the API's request function holds this. */
export interface WorkflowExecutions {
  /** Starts an execution named after the grant; returns its ARN. */
  start(grantId: string, input: Readonly<Record<string, unknown>>): Promise<string>;
}

export class SfnWorkflowExecutions implements WorkflowExecutions {
  private readonly client: SFNClient;

  constructor(
    private readonly stateMachineArn: string,
    config: AwsClientConfig,
  ) {
    this.client = tracer.captureAWSv3Client(new SFNClient(config));
  }

  async start(grantId: string, input: Readonly<Record<string, unknown>>): Promise<string> {
    const result = await this.client.send(
      new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: grantId, input: JSON.stringify(input) }),
    );
    return result.executionArn as string;
  }
}
