import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The id cdk-nag v3 gives an AwsSolutions-IAM5 finding for a wildcard resource, e.g.
 * `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:session/*]`.
 * Built from the same ARN the statement uses, so an acknowledgement names exactly one pattern and follows it when
 * logical ids or the deployment environment change.
 */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resourceArn))}]`;
}

/**
 * Acknowledges NIST.800.53.R5-IAMNoInlinePolicy on a policy that holds the rights of one role of this stack and is
 * attached to that role alone. The rule prefers customer-managed policies for reuse, versioning and delegated
 * management; here reuse is what least privilege forbids, and the template is the version history.
 */
export function acknowledgeSingleRolePolicy(policy: IConstruct, roleDescription: string): void {
  Validations.of(policy).acknowledge({
    id: 'NIST.800.53.R5-IAMNoInlinePolicy',
    reason:
      `Holds only what ${roleDescription} needs, on this stack's resources, and is attached to that role alone: a ` +
      'customer-managed policy could be attached to other principals too, and its versions and rollback already come ' +
      'from the template and CloudFormation.',
  });
}

/** Mirrors cdk-nag's flattening of CloudFormation intrinsics (Ref → `<Id>`, GetAtt → `<Id.Attr>`, Join → joined). */
function flatten(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node !== null && typeof node === 'object') {
    const intrinsic = node as Record<string, unknown>;
    const join = intrinsic['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    const getAtt = intrinsic['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.map(flatten).join('.')}>`;
    if ('Ref' in intrinsic) return `<${flatten(intrinsic.Ref)}>`;
  }
  return JSON.stringify(node);
}
