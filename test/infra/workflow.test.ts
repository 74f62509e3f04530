import { Match, type Template } from 'aws-cdk-lib/assertions';
import { exampleStackConfig, functionLogicalId, synthTemplate } from '../helpers/synth-stack';

const config = exampleStackConfig();
const template: Template = synthTemplate(config);

interface State {
  readonly Type: string;
  readonly Next?: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly TimestampPath?: string;
  readonly ResultPath?: string | null;
  readonly Parameters?: Record<string, unknown>;
  readonly Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  readonly Retry?: { ErrorEquals: string[]; MaxAttempts: number; BackoffRate: number }[];
  readonly Choices?: ({ Next: string } & Record<string, unknown>)[];
  readonly Default?: string;
  readonly Error?: string;
}

interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, State>;
}

/** The state machine definition with every CloudFormation intrinsic replaced by `<logicalId>` (or `<ref>`). */
function definition(): Definition {
  const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const parts = (stateMachine!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      return getAtt ? `<${getAtt[0]}>` : '<ref>';
    })
    .join('');
  return JSON.parse(text) as Definition;
}

function state(name: string): State {
  const found = definition().States[name];
  if (!found) throw new Error(`no state "${name}" in ${Object.keys(definition().States).join(', ')}`);
  return found;
}

describe('approval workflow', () => {
  test('is a Standard state machine (waitForTaskToken needs one)', () => {
    // Assess
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
  });

  test('without break-glass, runs validate, request approval, wait for start, grant and notify in that order', () => {
    // Prepare
    const states = definition();

    // Act
    const path: string[] = [];
    for (let name: string | undefined = states.StartAt; name;) {
      path.push(name);
      const current: State | undefined = states.States[name];
      name = current?.Type === 'Choice' ? current.Default : current?.Next;
    }

    // Assess
    expect(path).toEqual([
      'Validate request',
      'Break-glass?',
      'Request approval',
      'Wait for start',
      'Grant access',
      'Notify granted',
      'Granted',
    ]);
  });

  test('after validation, a break-glass request is recorded and waits for its start without waiting for votes', () => {
    // Act
    const choice = state('Break-glass?');

    // Assess
    expect(state('Validate request').Next).toBe('Break-glass?');
    expect(choice).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.request.breakGlass', IsPresent: true },
            { Variable: '$.request.breakGlass', BooleanEquals: true },
          ],
          Next: 'Record break-glass',
        },
      ],
      Default: 'Request approval',
    });
    expect(state('Record break-glass').Next).toBe('Wait for start');
  });

  test('recording break-glass calls the approval function without a task token, with only the grant id and request', () => {
    // Act
    const breakGlass = state('Record break-glass');

    // Assess
    expect(breakGlass.Resource).toBe(`<${functionLogicalId(template, 'request-approval')}>`);
    expect(breakGlass.Parameters).toEqual({ 'grantId.$': '$.grantId', 'request.$': '$.request' });
    expect(breakGlass.ResultPath).toBe('$.approval');
    expect(breakGlass.TimeoutSeconds).toBeUndefined();
  });

  test('a failed break-glass step records the failure and ends in its own failed state', () => {
    // Act
    const catches = state('Record break-glass').Catch;

    // Assess
    expect(catches).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record break-glass failure' },
    ]);
    expect(state('Record break-glass failure')).toMatchObject({
      Next: 'Break-glass failed',
      Parameters: { 'grantId.$': '$.grantId', outcome: 'approval-failed', 'error.$': '$.error' },
    });
    expect(state('Break-glass failed')).toMatchObject({ Type: 'Fail', Error: 'jit.ApprovalFailed' });
  });

  test('validation receives the execution input and the execution name as grant id', () => {
    // Act
    const validate = state('Validate request');

    // Assess
    expect(validate.Resource).toBe(`<${functionLogicalId(template, 'validate-request')}>`);
    expect(validate.Parameters).toEqual({ 'input.$': '$', 'grantId.$': '$$.Execution.Name' });
    expect(validate.Catch).toEqual([
      { ErrorEquals: ['jit.ValidationError'], ResultPath: '$.error', Next: 'Request rejected' },
    ]);
  });

  test('approval waits for the task token with the approval timeout from config, handing over only the request', () => {
    // Act
    const approval = state('Request approval');

    // Assess
    expect(approval.Resource).toContain('lambda:invoke.waitForTaskToken');
    expect(approval.TimeoutSeconds).toBe(config.approvalTimeoutMinutes * 60);
    expect(approval.ResultPath).toBe('$.approval');
    expect(approval.Parameters).toEqual({
      FunctionName: `<${functionLogicalId(template, 'request-approval')}>`,
      // Only the request: the step re-checks and plans it again rather than trust targets or a plan it is handed.
      Payload: { 'taskToken.$': '$$.Task.Token', 'grantId.$': '$.grantId', 'request.$': '$.request' },
    });
  });

  test('a timeout, a denial, a cancellation and a failed approval step each record their outcome and end in their own failed state', () => {
    // Act
    const catches = state('Request approval').Catch;

    // Assess
    expect(catches).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Record approval timeout' },
      { ErrorEquals: ['jit.Denied'], ResultPath: '$.error', Next: 'Record denial' },
      { ErrorEquals: ['jit.Cancelled'], ResultPath: '$.error', Next: 'Record cancellation' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record approval failure' },
    ]);
    expect(state('Record approval failure')).toMatchObject({
      Next: 'Approval failed',
      Parameters: { outcome: 'approval-failed', 'error.$': '$.error' },
    });
    expect(state('Approval failed').Type).toBe('Fail');
    expect(state('Record approval timeout')).toMatchObject({
      Next: 'Approval timed out',
      Parameters: { 'grantId.$': '$.grantId', outcome: 'approval-timed-out' },
    });
    expect(state('Record denial')).toMatchObject({ Next: 'Denied', Parameters: { outcome: 'denied' } });
    expect(state('Approval timed out').Type).toBe('Fail');
    expect(state('Denied').Type).toBe('Fail');
  });

  test('a request revoked while it waits for votes records its cancellation and ends failed as Cancelled', () => {
    // Act
    const record = state('Record cancellation');

    // Assess
    expect(record).toMatchObject({
      Resource: `<${functionLogicalId(template, 'record-outcome')}>`,
      Next: 'Cancelled',
      Parameters: { 'grantId.$': '$.grantId', outcome: 'cancelled' },
    });
    expect(state('Cancelled')).toMatchObject({ Type: 'Fail', Error: 'jit.Cancelled' });
  });

  test('waits for the requested start time read from the state (TimestampPath)', () => {
    // Assess
    expect(state('Wait for start')).toEqual({ Type: 'Wait', TimestampPath: '$.startAt', Next: 'Grant access' });
  });

  test('grant retries transient Lambda errors and a step that woke before the start, then records a failure and ends failed', () => {
    // Act
    const grant = state('Grant access');

    // Assess
    expect(grant.Retry).toEqual([
      expect.objectContaining({
        ErrorEquals: [
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ],
        MaxAttempts: 3,
        BackoffRate: 2,
      }),
      expect.objectContaining({ ErrorEquals: ['jit.NotStarted'], MaxAttempts: 6, BackoffRate: 1 }),
    ]);
    expect(grant.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Record grant failure' }]);
    expect(state('Record grant failure')).toMatchObject({
      Next: 'Grant failed',
      Parameters: { outcome: 'grant-failed', 'error.$': '$.error' },
    });
  });

  test('logs every execution event, without its data (the task token), to a KMS-encrypted log group, and traces', () => {
    // Prepare
    const [logGroupId] = Object.keys(
      template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: Match.anyValue() } }),
    ).filter((id) => id.startsWith('ApprovalWorkflow'));

    // Assess
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });
});
