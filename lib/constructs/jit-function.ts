import { Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { operationalLogGroupName, stackResourceName } from './naming';
import type { JitAccessConfig } from '../config/schema';
import { functionCode } from '../function-bundles';
import { acknowledgeSingleRolePolicy } from './nag-findings';

/** Every Lambda of the stack; each is `lambdas/handlers/<name>.ts` exporting `handler`. */
export const HANDLER_NAMES = [
  'validate-request',
  'request-approval',
  'grant',
  'revoke',
  'sweeper',
  'record-outcome',
  'lockout',
  'os-account-result',
  'api-read',
  'api-request',
  'api-decide',
  'api-audit',
] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/**
 * `<stack>-<handler>`: every function's name is known at synth, so the guardrail SCP can name it and a function's
 * ARN can be referenced before it exists (every handler reads the revoke function's ARN).
 */
export function jitFunctionName(scope: IConstruct, handlerName: HandlerName): string {
  return stackResourceName(scope, handlerName);
}

/** Tag on each function naming its handler module; the local workflow harness maps task ARNs back with it. */
export const HANDLER_TAG = 'jit-access:handler';

export interface JitFunctionProps {
  readonly handlerName: HandlerName;
  /**
   * The validated config, inlined into the bundle as `process.env.JIT_CONFIG` (no 4 KB environment limit); its
   * `sourceMaps` decides whether bundles carry source maps.
   */
  readonly config: JitAccessConfig;
  /** Environment variables, named with `ENV` from `lambdas/shared/environment.ts`. */
  readonly environment: Readonly<Record<string, string>>;
  /** Key that encrypts the function's log group; it must allow CloudWatch Logs. */
  readonly logEncryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /**
   * Longest run (1 s - 15 min).
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Executions reserved for this function: capacity a busy account cannot take from it, and also its ceiling.
   * @default none: it shares the account's unreserved concurrency (say why with `acknowledgeUnreservedConcurrency`)
   */
  readonly reservedConcurrency?: number;
  /**
   * Where Lambda sends an asynchronous invocation's event once every retry failed; give one to any function that
   * something invokes asynchronously (EventBridge Scheduler, an `Event` invoke). Its KMS key, if any, is granted too.
   * @default none: only callers that wait for the result may invoke it (say which with `acknowledgeSynchronousOnly`)
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * One lifecycle Lambda with the settings they all share: its own least-privilege role (no managed policies), its own
 * KMS-encrypted log group, X-Ray tracing, ARM, and the handler tag.
 */
export class JitFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  private readonly handlerName: HandlerName;
  private unscopedPolicy?: iam.Policy;

  constructor(scope: Construct, id: string, props: JitFunctionProps) {
    super(scope, id);
    this.handlerName = props.handlerName;
    const timeout = props.timeout ?? Duration.seconds(30);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) {
      throw new Error(`${this.node.path}: timeout must be 1 s to 15 min, got ${timeout.toHumanString()}`);
    }
    const functionName = jitFunctionName(this, props.handlerName);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(functionName)) {
      throw new Error(
        `${this.node.path}: function name "${functionName}" must be 1-64 letters, digits, - or _: use a stack name of at most ${64 - props.handlerName.length - 1} characters`,
      );
    }
    const reserved = props.reservedConcurrency;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      throw new Error(`${this.node.path}: reservedConcurrency must be a whole number of at least 1, got ${reserved}`);
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: operationalLogGroupName(this, 'lambda', props.handlerName),
      retention: props.logRetention,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `jit-access ${props.handlerName} Lambda`,
    });
    // Instead of AWSLambdaBasicExecutionRole (any log group in the account): this function's log group only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new lambda.Function(this, 'Function', {
      code: functionCode(this, props.handlerName, {
        handlerNames: HANDLER_NAMES,
        config: props.config,
        sourceMaps: props.config.sourceMaps,
      }),
      handler: 'index.handler',
      functionName,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      deadLetterQueue: props.deadLetterQueue,
      description: `jit-access ${props.handlerName}`,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: 'jit-access',
        POWERTOOLS_METRICS_NAMESPACE: 'JitAccess',
        ...(props.config.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
    });
    Tags.of(this.function).add(HANDLER_TAG, props.handlerName);
    // Lambda adds sqs:SendMessage for the dead-letter queue; an encrypted queue also needs its key.
    const deadLetterKey = props.deadLetterQueue?.encryptionMasterKey;
    if (deadLetterKey) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [deadLetterKey.keyArn] }),
      );
    }

    const defaultPolicy = this.role.node.findChild('DefaultPolicy');
    Validations.of(defaultPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only X-Ray tracing lands here on "*": xray:PutTraceSegments/PutTelemetryRecords have no resource types.',
    });
    acknowledgeSingleRolePolicy(defaultPolicy, `the ${props.handlerName} Lambda`);
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaInsideVPC',
      reason:
        'The function calls only AWS service APIs (over TLS, SigV4-signed) and listens on no network: its reach is bounded by its IAM role, not by a network. In a VPC it would need a NAT gateway or interface endpoints to reach those APIs, adding cost and a way for teardown to fail, and no control.',
    });
  }

  /**
   * Records that only callers that wait for the result invoke this function (the state machine's LambdaInvoke, API
   * Gateway): they receive every error, and Lambda sends nothing to a dead-letter queue from such invocations.
   */
  public acknowledgeSynchronousOnly(callers: string): void {
    if (this.function.deadLetterQueue) {
      throw new Error(`${this.node.path}: it has a dead-letter queue, so it is not invoked synchronously only`);
    }
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: `Invoked only synchronously, by ${callers}, which receives every error; Lambda uses a dead-letter queue only for asynchronous invocations.`,
    });
  }

  /** Records why this function shares the account's unreserved concurrency instead of reserving its own. */
  public acknowledgeUnreservedConcurrency(why: string): void {
    const reserved = (this.function.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions;
    if (reserved !== undefined) {
      throw new Error(`${this.node.path}: it reserves ${reserved} executions, so there is nothing to acknowledge`);
    }
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaConcurrency',
      reason: `No reserved concurrency: ${why}`,
    });
  }

  /** Adds a statement on this function's own role. */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }

  /**
   * Allows actions that IAM authorizes on `*` only (Describe and List calls without resource types), in a separate
   * policy whose acknowledgement names exactly those actions.
   */
  public allowUnscoped(actions: readonly string[], why: string): void {
    if (this.unscopedPolicy) {
      throw new Error(`${this.node.path}: allowUnscoped was already called: list every unscoped action in one call`);
    }
    this.unscopedPolicy = new iam.Policy(this, 'UnscopedPolicy', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: [...actions], resources: ['*'] })],
    });
    Validations.of(this.unscopedPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `${actions.join(', ')} have no resource-level permissions in IAM, so "*" is required: ${why}`,
    });
    acknowledgeSingleRolePolicy(this.unscopedPolicy, `the ${this.handlerName} Lambda's Describe and List calls`);
  }
}
