import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { tracer } from '../shared/powertools';
import type { InstanceFacts } from '../domain/request-validation';
import { MANAGED_TAG, sameIngressRule } from '../domain/planner';
import type { IngressRule } from '../domain/types';

export interface ExistingIngressRule extends IngressRule {
  readonly ruleId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Instances and the temporary ingress rules of the JIT security groups. */
export interface Network {
  describeInstances(instanceIds: readonly string[]): Promise<InstanceFacts[]>;
  /** Opens the rule (tagged with the grant) and returns its id; an identical existing rule's id is returned instead. */
  authorizeIngress(rule: IngressRule, description: string, tags: Readonly<Record<string, string>>): Promise<string>;
  /** Closes the rule; a rule already gone is not an error. */
  revokeIngress(securityGroupId: string, ruleId: string): Promise<void>;
  listIngressRules(securityGroupId: string): Promise<ExistingIngressRule[]>;
}

function toIngressRule(rule: SecurityGroupRule): ExistingIngressRule | undefined {
  if (rule.IsEgress || !rule.CidrIpv4 || !rule.SecurityGroupRuleId) return undefined;
  return {
    ruleId: rule.SecurityGroupRuleId,
    securityGroupId: rule.GroupId as string,
    protocol: rule.IpProtocol as IngressRule['protocol'],
    fromPort: rule.FromPort as number,
    toPort: rule.ToPort as number,
    cidr: rule.CidrIpv4,
    tags: Object.fromEntries((rule.Tags ?? []).map((t) => [t.Key as string, t.Value as string])),
  };
}

export class Ec2Network implements Network {
  private readonly client: EC2Client;

  constructor(config: AwsClientConfig) {
    this.client = tracer.captureAWSv3Client(new EC2Client(config));
  }

  async describeInstances(instanceIds: readonly string[]): Promise<InstanceFacts[]> {
    if (instanceIds.length === 0) return [];
    const facts: InstanceFacts[] = [];
    let token: string | undefined;
    do {
      // A filter (not InstanceIds) so that an unknown id is simply absent instead of failing the whole call.
      const page = await this.client.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'instance-id', Values: [...instanceIds] }],
          NextToken: token,
        }),
      );
      for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        facts.push({
          instanceId: instance.InstanceId as string,
          state: instance.State?.Name ?? 'unknown',
          tags: Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key as string, t.Value as string])),
        });
      }
      token = page.NextToken;
    } while (token);
    return facts;
  }

  async authorizeIngress(
    rule: IngressRule,
    description: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<string> {
    try {
      const result = await this.client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: rule.securityGroupId,
          IpPermissions: [
            {
              IpProtocol: rule.protocol,
              FromPort: rule.fromPort,
              ToPort: rule.toPort,
              IpRanges: [{ CidrIp: rule.cidr, Description: description }],
            },
          ],
          TagSpecifications: [
            {
              ResourceType: 'security-group-rule',
              Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        }),
      );
      const ruleId = result.SecurityGroupRules?.[0]?.SecurityGroupRuleId;
      if (ruleId) return ruleId;
    } catch (error) {
      if ((error as Error)?.name !== 'InvalidPermission.Duplicate') throw error;
    }
    // The same rule already exists. Adopt it only if jit-access opened it (a retry): a rule someone else made is
    // theirs, and a grant that adopted it would close it at revoke.
    const existing = (await this.listIngressRules(rule.securityGroupId)).find((r) => sameIngressRule(r, rule));
    if (!existing) throw new Error(`rule ${JSON.stringify(rule)} was authorized but cannot be found`);
    if (existing.tags[MANAGED_TAG] !== 'true') {
      throw new Error(
        `${rule.securityGroupId} already has a rule for ${rule.cidr} ${rule.protocol} ${rule.fromPort}-${rule.toPort} that jit-access did not open: remove it, or keep this group for jit-access alone`,
      );
    }
    return existing.ruleId;
  }

  async revokeIngress(securityGroupId: string, ruleId: string): Promise<void> {
    try {
      await this.client.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: securityGroupId, SecurityGroupRuleIds: [ruleId] }),
      );
    } catch (error) {
      const name = (error as Error)?.name;
      if (name !== 'InvalidSecurityGroupRuleId.NotFound' && name !== 'InvalidPermission.NotFound') throw error;
    }
  }

  async listIngressRules(securityGroupId: string): Promise<ExistingIngressRule[]> {
    const rules: ExistingIngressRule[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeSecurityGroupRulesCommand({
          Filters: [{ Name: 'group-id', Values: [securityGroupId] }],
          NextToken: token,
        }),
      );
      for (const rule of page.SecurityGroupRules ?? []) {
        const ingress = toIngressRule(rule);
        if (ingress) rules.push(ingress);
      }
      token = page.NextToken;
    } while (token);
    return rules;
  }
}
