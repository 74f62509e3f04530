import { Fn, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** The part of a target group this construct needs. */
export interface IngressTargetGroup {
  /** Target group name (a lower-case id such as "billing-db"). */
  readonly name: string;
  /** VPC of the group's instances; the JIT security group is created there. */
  readonly vpcId: string;
  /**
   * An existing, empty security group to hold the temporary rules instead.
   * @default a new security group is created in vpcId
   */
  readonly securityGroupId?: string;
}

export interface JitIngressSecurityGroupsProps {
  /** One JIT ingress security group per target group. */
  readonly targetGroups: readonly IngressTargetGroup[];
}

/**
 * Per target group, the security group that holds the temporary vendor ingress rules: empty at rest, filled by the
 * grant Lambda for a grant's window, emptied by revoke. The platform team attaches it to the group's instances.
 */
export class JitIngressSecurityGroups extends Construct {
  /** Target group name to security group id. */
  public readonly securityGroupIds: Readonly<Record<string, string>>;
  /** ARNs of all the JIT security groups, for IAM statements. */
  public readonly securityGroupArns: readonly string[];

  constructor(scope: Construct, id: string, props: JitIngressSecurityGroupsProps) {
    super(scope, id);
    validate(this.node.path, props);
    const stack = Stack.of(this);
    const vpcs = new Map<string, ec2.IVpc>();
    const ids: Record<string, string> = {};

    for (const group of props.targetGroups) {
      const groupScope = new Construct(this, group.name);
      if (group.securityGroupId !== undefined) {
        ids[group.name] = ec2.SecurityGroup.fromSecurityGroupId(groupScope, 'SecurityGroup', group.securityGroupId, {
          mutable: false,
        }).securityGroupId;
        continue;
      }
      let vpc = vpcs.get(group.vpcId);
      if (vpc === undefined) {
        // Imported from attributes, never looked up, so synth needs no AWS account. A security group only reads the id;
        // the zones are the region's (a deploy-time token), as no subnet is ever selected from this VPC.
        vpc = ec2.Vpc.fromVpcAttributes(this, `Vpc-${group.vpcId}`, {
          vpcId: group.vpcId,
          availabilityZones: Fn.getAzs(),
        });
        Validations.of(vpc).acknowledge({
          id: 'Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
          reason: 'Only the VPC id is used (to create an empty security group); no subnet is ever selected from it.',
        });
        vpcs.set(group.vpcId, vpc);
      }
      ids[group.name] = new ec2.SecurityGroup(groupScope, 'SecurityGroup', {
        vpc,
        description: `jit-access temporary vendor ingress for ${group.name}; empty at rest`,
        allowAllOutbound: false,
      }).securityGroupId;
    }

    this.securityGroupIds = ids;
    this.securityGroupArns = Object.values(ids).map((sgId) =>
      stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: sgId }),
    );
  }
}

function validate(path: string, props: JitIngressSecurityGroupsProps): void {
  if (props.targetGroups.length === 0) {
    throw new Error(`${path}: targetGroups is empty: describe at least one target group`);
  }
  const seen = new Set<string>();
  for (const group of props.targetGroups) {
    if (seen.has(group.name)) {
      throw new Error(`${path}: target group "${group.name}" appears twice: give each group a unique name`);
    }
    seen.add(group.name);
  }
}
