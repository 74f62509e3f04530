import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import type { AdapterMaker } from '../shared/dependencies';

export interface ExpiryScheduleSpec {
  readonly name: string;
  readonly groupName: string;
  readonly expression: string;
  readonly targetArn: string;
  readonly roleArn: string;
  readonly deadLetterArn: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface ExistingSchedule {
  readonly name: string;
  readonly arn: string;
  readonly expression: string;
  readonly input: string;
}

/** One-time EventBridge Scheduler schedules that invoke revoke at a grant's expiry. */
export interface ExpirySchedules {
  /** Creates the schedule, or returns the existing one of the same name (a retry). */
  create(spec: ExpiryScheduleSpec): Promise<string>;
  get(name: string, groupName: string): Promise<ExistingSchedule | undefined>;
  /** Deletes the schedule; one already gone (fired and deleted after completion) is not an error. */
  delete(name: string, groupName: string): Promise<void>;
  list(groupName: string): Promise<string[]>;
}

const isMissing = (error: unknown) => (error as Error)?.name === 'ResourceNotFoundException';

export class SchedulerExpirySchedules implements ExpirySchedules {
  private readonly aws;

  constructor(config: AwsClientConfig) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-scheduler'),
      (sdk) => new sdk.SchedulerClient(config),
    );
  }

  async create(spec: ExpiryScheduleSpec): Promise<string> {
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(
        new sdk.CreateScheduleCommand({
          Name: spec.name,
          GroupName: spec.groupName,
          ScheduleExpression: spec.expression,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          State: 'ENABLED',
          Description: `jit-access: revoke ${spec.name} at expiry`,
          Target: {
            Arn: spec.targetArn,
            RoleArn: spec.roleArn,
            Input: JSON.stringify(spec.input),
            DeadLetterConfig: { Arn: spec.deadLetterArn },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          },
        }),
      );
      return result.ScheduleArn as string;
    } catch (error) {
      if ((error as Error)?.name !== 'ConflictException') throw error;
      const existing = await this.get(spec.name, spec.groupName);
      if (!existing) throw error;
      return existing.arn;
    }
  }

  async get(name: string, groupName: string): Promise<ExistingSchedule | undefined> {
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(new sdk.GetScheduleCommand({ Name: name, GroupName: groupName }));
      return {
        name,
        arn: result.Arn as string,
        expression: result.ScheduleExpression as string,
        input: result.Target?.Input ?? '{}',
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async delete(name: string, groupName: string): Promise<void> {
    const { sdk, client } = await this.aws();
    try {
      await client.send(new sdk.DeleteScheduleCommand({ Name: name, GroupName: groupName }));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async list(groupName: string): Promise<string[]> {
    const { sdk, client } = await this.aws();
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.ListSchedulesCommand({ GroupName: groupName, NextToken: token }));
      names.push(...(page.Schedules ?? []).map((s) => s.Name as string));
      token = page.NextToken;
    } while (token);
    return names;
  }
}

/** The expiry schedules, through EventBridge Scheduler. */
export const makeSchedules: AdapterMaker<'schedules'> = (_settings, config) => new SchedulerExpirySchedules(config);
