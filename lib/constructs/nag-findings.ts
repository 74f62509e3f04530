import { Stack } from 'aws-cdk-lib';
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
