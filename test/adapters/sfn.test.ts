import {
  executionArn,
  isClosedTask,
  makeApprovals,
  makeExecutions,
  SfnApprovalCallback,
  SfnWorkflowExecutions,
} from '../../lambdas/adapters/sfn';
import { awsError, FakeAws } from '../helpers/fake-aws';
import { rejectionOf, testSettings } from '../helpers/handler-deps';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const CONFIG = { region: REGION, maxAttempts: 1 };
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:jit-access-approval`;
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:jit-access-approval:grant-0001`;

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws(ACCOUNT, REGION);
});
afterEach(() => aws.restore());

describe('executionArn', () => {
  it("names the state machine's execution of that name", () => {
    // Act
    const arn = executionArn(MACHINE, 'grant-0001');

    // Assess
    expect(arn).toBe(EXECUTION);
  });

  it('refuses an ARN that names no state machine', () => {
    // Act
    const naming = () => executionArn(`arn:aws:states:${REGION}:${ACCOUNT}:activity:jit`, 'grant-0001');

    // Assess
    expect(naming).toThrow(new Error(`arn:aws:states:${REGION}:${ACCOUNT}:activity:jit is not a state machine ARN`));
  });

  it('refuses a state machine ARN without a name', () => {
    // Act
    const naming = () => executionArn(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:`, 'grant-0001');

    // Assess
    expect(naming).toThrow(new Error(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine: is not a state machine ARN`));
  });

  it('refuses a state machine name without the ARN before it', () => {
    // Act
    const naming = () => executionArn(':stateMachine:jit-access-approval', 'grant-0001');

    // Assess
    expect(naming).toThrow(new Error(':stateMachine:jit-access-approval is not a state machine ARN'));
  });
});

describe('isClosedTask', () => {
  it("is Step Functions' answer to a token whose task is over, and no other", () => {
    // Act
    const answers = [
      awsError('TaskTimedOut', 'Task Timed Out'),
      awsError('TaskDoesNotExist', 'Task does not exist'),
      awsError('InvalidToken', 'Invalid Token'),
      new Error('TaskTimedOut'),
      undefined,
    ].map(isClosedTask);

    // Assess
    expect(answers).toEqual([true, true, false, false, false]);
  });
});

describe('SfnApprovalCallback', () => {
  it("answers the approval task with the decision's output", async () => {
    // Act
    await new SfnApprovalCallback(CONFIG).approve('token-1', { approver: 'alice', at: '2030-03-01T09:00:00Z' });

    // Assess
    expect(aws.taskCallbacks).toEqual([
      { kind: 'success', taskToken: 'token-1', output: { approver: 'alice', at: '2030-03-01T09:00:00Z' } },
    ]);
  });

  it('fails the approval task with the error, its cause cut to the 32,768 characters Step Functions takes', async () => {
    // Act
    await new SfnApprovalCallback(CONFIG).deny('token-1', 'Denied', 'x'.repeat(32_769));

    // Assess
    expect(aws.taskCallbacks).toEqual([
      { kind: 'failure', taskToken: 'token-1', error: 'Denied', cause: 'x'.repeat(32_768) },
    ]);
  });

  it('fails with TaskTimedOut when the task was answered before', async () => {
    // Prepare
    const approvals = new SfnApprovalCallback(CONFIG);
    await approvals.approve('token-1', {});

    // Act
    const error = await rejectionOf(approvals.deny('token-1', 'Denied', 'too late'));

    // Assess
    expect(error).toMatchObject({
      name: 'TaskTimedOut',
      message: "Task Timed Out: 'Provided task does not exist anymore'",
    });
    expect(isClosedTask(error)).toBe(true);
  });
});

describe('SfnWorkflowExecutions', () => {
  it("starts the grant's execution, named after the grant, and answers its ARN", async () => {
    // Act
    const arn = await new SfnWorkflowExecutions(MACHINE, CONFIG).start('grant-0001', { grantId: 'grant-0001' });

    // Assess
    expect(arn).toBe(EXECUTION);
    expect(aws.executions).toEqual([
      { stateMachineArn: MACHINE, name: 'grant-0001', input: { grantId: 'grant-0001' }, status: 'RUNNING' },
    ]);
  });

  it("fails with ExecutionAlreadyExists when the grant's execution was started before", async () => {
    // Prepare
    const executions = new SfnWorkflowExecutions(MACHINE, CONFIG);
    await executions.start('grant-0001', {});

    // Act
    const error = await rejectionOf(executions.start('grant-0001', {}));

    // Assess
    expect(error).toMatchObject({ name: 'ExecutionAlreadyExists', message: "Execution Already Exists: 'grant-0001'" });
  });

  it("answers the status of the grant's execution", async () => {
    // Prepare
    const executions = new SfnWorkflowExecutions(MACHINE, CONFIG);
    await executions.start('grant-0001', {});
    (aws.executions[0] as { status: string }).status = 'TIMED_OUT';

    // Act
    const status = await executions.status('grant-0001');

    // Assess
    expect(status).toBe('TIMED_OUT');
  });

  it('answers undefined for a grant without an execution', async () => {
    // Act
    const status = await new SfnWorkflowExecutions(MACHINE, CONFIG).status('grant-0002');

    // Assess
    expect(status).toBeUndefined();
  });

  it('fails with any other error', async () => {
    // Prepare
    aws.failNext('DescribeExecution', 'ThrottlingException');

    // Act
    const error = await rejectionOf(new SfnWorkflowExecutions(MACHINE, CONFIG).status('grant-0001'));

    // Assess
    expect(error).toMatchObject({
      name: 'ThrottlingException',
      message: 'injected fault: call 1 of DescribeExecution',
    });
  });
});

describe('the Step Functions adapter makers', () => {
  it("make the approval callback and the executions of the settings' state machine", async () => {
    // Prepare
    const settings = { ...testSettings(), stateMachineArn: MACHINE };

    // Act
    const approvals = makeApprovals(settings, CONFIG);
    const executions = makeExecutions(settings, CONFIG);

    // Assess
    expect(approvals).toBeInstanceOf(SfnApprovalCallback);
    expect(await executions.start('grant-0001', {})).toBe(EXECUTION);
  });

  it('refuses the executions to a function without the state machine', () => {
    // Act
    const making = () => makeExecutions({ ...testSettings(), stateMachineArn: undefined }, CONFIG);

    // Assess
    expect(making).toThrow(new Error('this function has no STATE_MACHINE_ARN: it does not take part in that step'));
  });
});
