import type { IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { stackIamPath } from './naming';

/**
 * Puts every role and managed policy the stack deploys under `stackIamPath`, including roles that an L2 creates for
 * itself (the state machine's, API Gateway's logging role), so the guardrail SCP and the ledger's resource policy can
 * tell the stack's own principals from everyone else's. A resource given a path of its own keeps it (the grant roles'
 * deny-all policy belongs under the configured `iamPath`); `/` is what the L2s write when none was given.
 */
export class StackIamPath implements IAspect {
  public visit(node: IConstruct): void {
    const pathed = node instanceof iam.CfnRole || node instanceof iam.CfnManagedPolicy;
    if (pathed && (node.path === undefined || node.path === '/')) {
      node.path = stackIamPath(node);
    }
  }
}
