import type { IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { stackIamPath } from './naming';

/**
 * Puts every role and managed policy the stack deploys under `stackIamPath`, including roles that an L2 creates for
 * itself (the state machine's, API Gateway's logging role), so the guardrail SCP and the ledger's resource policy can
 * tell the stack's own principals from everyone else's. A resource that already has a path keeps it: the grant roles'
 * deny-all policy belongs under the configured `iamPath`.
 */
export class StackIamPath implements IAspect {
  public visit(node: IConstruct): void {
    if ((node instanceof iam.CfnRole || node instanceof iam.CfnManagedPolicy) && node.path === undefined) {
      node.path = stackIamPath(node);
    }
  }
}
