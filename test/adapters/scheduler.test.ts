import {
  CreateScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { SchedulerExpirySchedules, type ExpiryScheduleSpec } from '../../lambdas/adapters/scheduler';
import { FakeAws } from '../helpers/fake-aws';
import { rejectionOf } from '../helpers/handler-deps';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const GROUP = 'jit-access';
const SPEC: ExpiryScheduleSpec = {
  name: 'jit-grant-0001',
  groupName: GROUP,
  expression: 'at(2030-03-01T10:00:00)',
  targetArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:jit-revoke`,
  roleArn: `arn:aws:iam::${ACCOUNT}:role/jit-scheduler`,
  deadLetterArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:jit-revoke-dlq`,
  input: { grantId: 'grant-0001', reason: 'expired' },
};
const ARN = `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${GROUP}/jit-grant-0001`;

let aws: FakeAws;
let schedules: SchedulerExpirySchedules;
beforeEach(() => {
  aws = new FakeAws(ACCOUNT, REGION);
  schedules = new SchedulerExpirySchedules({ region: REGION, maxAttempts: 1 });
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.restore();
});

type Send = (this: SchedulerClient, command: object) => Promise<Record<string, unknown>>;

/** Scheduler as the fake answers it, but `answer` rewrites what one command answers (or how it fails). */
function rewriteAnswer(command: abstract new (...args: never[]) => object, answer: Send): void {
  const send = SchedulerClient.prototype.send as unknown as Send;
  const rewritten: Send = async function (this: SchedulerClient, sent) {
    return sent instanceof command ? answer.call(this, sent) : send.call(this, sent);
  };
  jest.spyOn(SchedulerClient.prototype, 'send').mockImplementation(rewritten as never);
}

describe('SchedulerExpirySchedules.create', () => {
  it('creates a one-time UTC schedule that deletes itself after revoke runs, and answers its ARN', async () => {
    // Act
    const arn = await schedules.create(SPEC);

    // Assess
    expect(arn).toBe(ARN);
    expect(aws.schedules.get(`${GROUP}/jit-grant-0001`)?.input).toEqual({
      Name: 'jit-grant-0001',
      GroupName: GROUP,
      ScheduleExpression: 'at(2030-03-01T10:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: 'jit-access: revoke jit-grant-0001 at expiry',
      Target: {
        Arn: SPEC.targetArn,
        RoleArn: SPEC.roleArn,
        Input: '{"grantId":"grant-0001","reason":"expired"}',
        DeadLetterConfig: { Arn: SPEC.deadLetterArn },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      },
    });
  });

  it('answers the existing schedule of the same name on a retry', async () => {
    // Prepare
    await schedules.create(SPEC);
    aws.clearCallLog();

    // Act
    const arn = await schedules.create(SPEC);

    // Assess
    expect(arn).toBe(ARN);
    expect(aws.countOf('CreateSchedule')).toBe(1);
    expect(aws.countOf('GetSchedule')).toBe(1);
    expect([...aws.schedules.keys()]).toEqual([`${GROUP}/jit-grant-0001`]);
  });

  it('fails with the ConflictException when the conflicting schedule is gone by the time it is read', async () => {
    // Prepare
    aws.failNext('CreateSchedule', 'ConflictException');

    // Act
    const error = await rejectionOf(schedules.create(SPEC));

    // Assess
    expect(error).toMatchObject({ name: 'ConflictException', message: 'injected fault: call 1 of CreateSchedule' });
    expect(aws.countOf('GetSchedule')).toBe(1);
  });

  it('fails with any other refusal without reading the schedule', async () => {
    // Prepare
    aws.failNext('CreateSchedule', 'ServiceQuotaExceededException');

    // Act
    const error = await rejectionOf(schedules.create(SPEC));

    // Assess
    expect(error).toMatchObject({
      name: 'ServiceQuotaExceededException',
      message: 'injected fault: call 1 of CreateSchedule',
    });
    expect(aws.countOf('GetSchedule')).toBe(0);
    expect(aws.schedules.size).toBe(0);
  });

  it("fails with Scheduler's refusal of a name it does not accept", async () => {
    // Act
    const error = await rejectionOf(schedules.create({ ...SPEC, name: 'jit grant/0001' }));

    // Assess
    expect(error).toMatchObject({
      name: 'ValidationException',
      message: 'Schedule name jit grant/0001 must match [0-9a-zA-Z-_.]{1,64}.',
    });
  });
});

describe('SchedulerExpirySchedules: a failure that is no Error', () => {
  it('passes on what a create failed with, unchanged, when it is not even an object', async () => {
    // Prepare
    rewriteAnswer(CreateScheduleCommand, () => Promise.reject(undefined));

    // Act
    const creating = schedules.create(SPEC);

    // Assess
    await expect(creating).rejects.toBeUndefined();
  });

  it('passes on what a read failed with, unchanged, when it is not even an object', async () => {
    // Prepare
    rewriteAnswer(GetScheduleCommand, () => Promise.reject(undefined));

    // Act
    const reading = schedules.get('jit-grant-0001', GROUP);

    // Assess
    await expect(reading).rejects.toBeUndefined();
  });
});

describe('SchedulerExpirySchedules.get', () => {
  it('answers the schedule with its ARN, expression and target input', async () => {
    // Prepare
    await schedules.create(SPEC);

    // Act
    const existing = await schedules.get('jit-grant-0001', GROUP);

    // Assess
    expect(existing).toEqual({
      name: 'jit-grant-0001',
      arn: ARN,
      expression: 'at(2030-03-01T10:00:00)',
      input: '{"grantId":"grant-0001","reason":"expired"}',
    });
  });

  it('answers an empty input for a schedule whose target has none', async () => {
    // Prepare
    aws.seedSchedule('someone-elses', GROUP);

    // Act
    const existing = await schedules.get('someone-elses', GROUP);

    // Assess
    expect(existing).toEqual({
      name: 'someone-elses',
      arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${GROUP}/someone-elses`,
      expression: 'at(2030-01-01T00:00:00)',
      input: '{}',
    });
  });

  it('answers an empty input for a schedule Scheduler answers without a target', async () => {
    // Prepare
    await schedules.create(SPEC);
    const send = SchedulerClient.prototype.send as unknown as Send;
    rewriteAnswer(GetScheduleCommand, async function (this: SchedulerClient, sent) {
      const { Target: _target, ...answer } = await send.call(this, sent);
      return answer;
    });

    // Act
    const existing = await schedules.get('jit-grant-0001', GROUP);

    // Assess
    expect(existing).toEqual({ name: 'jit-grant-0001', arn: ARN, expression: 'at(2030-03-01T10:00:00)', input: '{}' });
  });

  it('answers undefined for a schedule that does not exist, in the group asked', async () => {
    // Prepare
    aws.seedSchedule('jit-grant-0001', 'default');

    // Act
    const existing = await schedules.get('jit-grant-0001', GROUP);

    // Assess
    expect(existing).toBeUndefined();
  });

  it('fails with any other error', async () => {
    // Prepare
    aws.failNext('GetSchedule', 'ThrottlingException');

    // Act
    const error = await rejectionOf(schedules.get('jit-grant-0001', GROUP));

    // Assess
    expect(error).toMatchObject({ name: 'ThrottlingException', message: 'injected fault: call 1 of GetSchedule' });
  });
});

describe('SchedulerExpirySchedules.delete and list', () => {
  it('deletes the schedule of the group named, and accepts one already gone', async () => {
    // Prepare
    await schedules.create(SPEC);
    aws.seedSchedule('jit-grant-0001', 'default');

    // Act
    await schedules.delete('jit-grant-0001', GROUP);
    await schedules.delete('jit-grant-0001', GROUP);

    // Assess
    expect([...aws.schedules.keys()]).toEqual(['default/jit-grant-0001']);
    expect(aws.mutatingCalls.filter((c) => c.command === 'DeleteSchedule')).toHaveLength(2);
  });

  it('fails a delete with any other error', async () => {
    // Prepare
    await schedules.create(SPEC);
    aws.failNext('DeleteSchedule');

    // Act
    const error = await rejectionOf(schedules.delete('jit-grant-0001', GROUP));

    // Assess
    expect(error).toMatchObject({ name: 'AccessDenied', message: 'injected fault: call 1 of DeleteSchedule' });
    expect(aws.schedules.size).toBe(1);
  });

  it('lists the names of every schedule of the group, page after page', async () => {
    // Prepare
    for (const name of ['a', 'b', 'c', 'd', 'e']) aws.seedSchedule(name, GROUP);
    aws.seedSchedule('other', 'default');

    // Act
    const names = await schedules.list(GROUP);

    // Assess
    expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(aws.countOf('ListSchedules')).toBe(3);
  });

  it('reads a page Scheduler answers without its schedules as no schedules', async () => {
    // Prepare
    aws.seedSchedule('a', GROUP);
    rewriteAnswer(ListSchedulesCommand, async () => ({}));

    // Act
    const names = await schedules.list(GROUP);

    // Assess
    expect(names).toStrictEqual([]);
  });
});
