import {
  runSimulation,
  runUnsafeSimulation,
  type EvaluationResult,
  type Simulation,
} from '@cloud-copilot/iam-simulate';

/**
 * IAM's decision on one request, evaluated offline by @cloud-copilot/iam-simulate. moto issues credentials and accepts
 * calls whatever the policies say, so the tests and the demo ask this simulator instead. The simulator is AGPL-3.0: a
 * devDependency used only here (scripts/ and test/), never imported by lambdas/ or lib/, so it never enters a bundle.
 */
export type IamDecision = EvaluationResult;

/** A policy document as IAM reads it (planner output, a template policy with its intrinsics resolved, GetRole's). */
export type IamPolicyDocument = object;

export interface IamRequest {
  /** The caller's ARN: a role, an assumed-role session, or a service principal such as `logs.<region>.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  /** The request context: `aws:SourceIp`, `aws:CurrentTime`, `sts:ExternalId`, tags… Absent keys are absent in IAM too. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

export interface IamPolicies {
  /** Policies attached to the caller (inline and managed), by name. */
  readonly identity?: Readonly<Record<string, IamPolicyDocument>>;
  readonly permissionsBoundary?: IamPolicyDocument;
  /** A role's trust policy, a bucket policy or a key policy. */
  readonly resourcePolicy?: IamPolicyDocument;
}

export interface IamEvaluation {
  readonly decision: IamDecision;
  /**
   * Context keys the simulator dropped because they do not apply to the action: a condition on such a key would be
   * judged without it, so callers treat any as an error in their case rather than trust the decision.
   */
  readonly ignoredContextKeys: readonly string[];
}

/**
 * Two things the simulator's validation cannot name, though its evaluation handles them: AWS-owned documents
 * (`AWS-StartSSHSession`, …), whose ARN has no account, and `kms:EncryptionContext:<key>`, whose variable part
 * follows a colon (the simulator's table knows `/` only). Such requests are validated without them, then evaluated
 * in full without validation.
 */
const AWS_OWNED_DOCUMENT = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+::document\/AWS-/;
const UNNAMED_CONTEXT_KEY = /^kms:EncryptionContext:/i;

const STRICT = { simulationMode: 'Strict' } as const;

/**
 * The simulation for the unvalidated engine, which reads a resource policy's name only from an already validated
 * policy (the shape @cloud-copilot/iam-policy gives one); the validated run has checked the document itself.
 */
function unvalidated(simulation: Simulation): Simulation {
  if (!simulation.resourcePolicy) return simulation;
  return {
    ...simulation,
    resourcePolicy: {
      __validated: true,
      policyDocument: simulation.resourcePolicy as object,
      metadata: { name: 'resource-policy' },
      errors: [],
    },
  };
}

/** Evaluates one request against the given policies; a request or policy the simulator cannot read throws. */
export async function evaluateIam(request: IamRequest, policies: IamPolicies): Promise<IamEvaluation> {
  const context = Object.fromEntries(
    Object.entries(request.context).map(([key, value]) => [key, typeof value === 'string' ? value : [...value]]),
  );
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: context,
    },
    identityPolicies: Object.entries(policies.identity ?? {}).map(([name, policy]) => ({ name, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(policies.resourcePolicy ? { resourcePolicy: policies.resourcePolicy } : {}),
    ...(policies.permissionsBoundary
      ? { permissionBoundaryPolicies: [{ name: 'permissions-boundary', policy: policies.permissionsBoundary }] }
      : {}),
  };
  if (AWS_OWNED_DOCUMENT.test(request.resource)) {
    return { decision: runUnsafeSimulation(unvalidated(simulation), STRICT), ignoredContextKeys: [] };
  }
  const unnamed = Object.keys(context).filter((key) => UNNAMED_CONTEXT_KEY.test(key));
  const validated = await runSimulation(
    {
      ...simulation,
      request: {
        ...simulation.request,
        contextVariables: Object.fromEntries(Object.entries(context).filter(([key]) => !unnamed.includes(key))),
      },
    },
    STRICT,
  );
  if (validated.resultType === 'error') {
    throw new Error(
      `the IAM simulator refused ${request.action} on ${request.resource}: ${JSON.stringify(validated.errors)}`,
    );
  }
  const ignored =
    validated.resultType === 'single'
      ? (validated.result.ignoredContextKeys ?? [])
      : validated.results.flatMap((r) => r.ignoredContextKeys ?? []);
  const decision = unnamed.length > 0 ? runUnsafeSimulation(unvalidated(simulation), STRICT) : validated.overallResult;
  return { decision, ignoredContextKeys: [...new Set(ignored)] };
}
