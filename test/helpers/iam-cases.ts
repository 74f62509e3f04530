import {
  evaluateIam,
  type IamDecision,
  type IamEvaluation,
  type IamPolicies,
  type IamPolicyDocument,
} from '../../scripts/local-aws/iam-simulator';

/** The request context of one case: absent keys are absent in the request, as through a VPC endpoint. */
export type IamContext = Readonly<Record<string, string | readonly string[]>>;

/** One row of an IAM matrix: who calls what on which resource, in which context, and what IAM must decide. */
export interface IamCase<Who extends string> {
  readonly who: Who;
  readonly action: string;
  readonly resource: string;
  readonly context: IamContext;
  readonly expect: IamDecision;
  /** The resource's own policy (a key or bucket policy), in place of the actor's. */
  readonly resourcePolicy?: IamPolicyDocument;
  /** Why IAM decides so: the rule of the security model the row proves. */
  readonly because: string;
}

/** A caller: its ARN and every policy IAM weighs for it (its own, its boundary, the resource's). */
export interface IamActor {
  readonly principal: string;
  readonly policies: IamPolicies;
  /** The account that owns the resources the actor's rows name. */
  readonly resourceAccount: string;
}

/** Evaluates a row for its actor. */
export function evaluateCase<Who extends string>(
  actors: Readonly<Record<Who, IamActor>>,
  row: IamCase<Who>,
): Promise<IamEvaluation> {
  const actor = actors[row.who];
  return evaluateIam(
    {
      principal: actor.principal,
      action: row.action,
      resource: row.resource,
      resourceAccount: actor.resourceAccount,
      context: row.context,
    },
    row.resourcePolicy ? { ...actor.policies, resourcePolicy: row.resourcePolicy } : actor.policies,
  );
}

/** The context without some keys: what IAM sees when a caller does not (or cannot) send them. */
export function without(context: IamContext, ...keys: readonly string[]): IamContext {
  return Object.fromEntries(Object.entries(context).filter(([key]) => !keys.includes(key)));
}
