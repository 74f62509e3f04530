import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import type { InstanceFacts } from '../domain/request-validation';
import { ingressRuleKey, MANAGED_TAG, sameIngressRule } from '../domain/planner';
import type { IngressRule } from '../domain/types';
import type { AdapterMaker } from '../shared/dependencies';

export interface ExistingIngressRule extends IngressRule {
  readonly ruleId: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Any inbound rule of a security group, whatever it admits. */
export interface InboundRule {
  readonly ruleId: string;
  readonly securityGroupId: string;
  /** What it admits, as a person reads it: `tcp 5432-5432 from 203.0.113.0/24`, `all from pl-0123…`, … */
  readonly summary: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The rule as a grant plans one, when it is of that form (an IPv4 CIDR); IPv6, prefix lists and groups are not. */
  readonly ingress?: ExistingIngressRule;
}

/** Instances and the temporary ingress rules of the JIT security groups. */
export interface Network {
  describeInstances(instanceIds: readonly string[]): Promise<InstanceFacts[]>;
  /** The live (pending, running, stopping or stopped) instances carrying the tag: a target group's members. */
  describeInstancesTagged(tagKey: string, tagValue: string): Promise<InstanceFacts[]>;
  /** Opens the rule (tagged with the grant) and returns its id; an identical existing rule's id is returned instead. */
  authorizeIngress(rule: IngressRule, description: string, tags: Readonly<Record<string, string>>): Promise<string>;
  /**
   * Opens several rules of one group in one call (tagged like `authorizeIngress`) and returns each rule's id by
   * `ingressRuleKey`; when the group already holds one of them, falls back to one rule at a time.
   */
  authorizeIngressRules(
    securityGroupId: string,
    rules: readonly IngressRule[],
    description: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<Map<string, string>>;
  /**
   * Rewrites what EC2 shows beside each of these rules of one group, in one call: a shared rule names the grants that
   * hold it now.
   */
  describeIngressRules(
    securityGroupId: string,
    described: readonly { readonly rule: IngressRule; readonly description: string }[],
  ): Promise<void>;
  /** Closes the rule; a rule already gone is not an error. */
  revokeIngress(securityGroupId: string, ruleId: string): Promise<void>;
  /** Closes several rules of one group in one call; when one is already gone, closes the others one at a time. */
  revokeIngressRules(securityGroupId: string, ruleIds: readonly string[]): Promise<void>;
  listIngressRules(securityGroupId: string): Promise<ExistingIngressRule[]>;
  /** The IPv4 CIDR inbound rules of several groups, in one paged listing. */
  listIngressRulesIn(securityGroupIds: readonly string[]): Promise<ExistingIngressRule[]>;
  /** Every inbound rule of several groups (IPv4, IPv6, prefix lists, referenced groups), in one paged listing. */
  listInboundRulesIn(securityGroupIds: readonly string[]): Promise<InboundRule[]>;
}

const RULE_GONE = ['InvalidSecurityGroupRuleId.NotFound', 'InvalidPermission.NotFound'];

function permissionsOf(rules: readonly IngressRule[], description: string) {
  const byPorts = new Map<string, { protocol: string; fromPort: number; toPort: number; cidrs: string[] }>();
  for (const rule of rules) {
    const ports = `${rule.protocol}|${rule.fromPort}|${rule.toPort}`;
    const entry = byPorts.get(ports) ?? {
      protocol: rule.protocol,
      fromPort: rule.fromPort,
      toPort: rule.toPort,
      cidrs: [],
    };
    entry.cidrs.push(rule.cidr);
    byPorts.set(ports, entry);
  }
  return [...byPorts.values()].map((p) => ({
    IpProtocol: p.protocol,
    FromPort: p.fromPort,
    ToPort: p.toPort,
    IpRanges: p.cidrs.map((CidrIp) => ({ CidrIp, Description: description })),
  }));
}

function toInboundRule(rule: SecurityGroupRule): InboundRule | undefined {
  if (rule.IsEgress || !rule.SecurityGroupRuleId) return undefined;
  const source =
    rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId ?? rule.ReferencedGroupInfo?.GroupId ?? 'an unknown source';
  const protocol = rule.IpProtocol === '-1' ? 'all traffic' : `${rule.IpProtocol} ${rule.FromPort}-${rule.ToPort}`;
  const ingress = toIngressRule(rule);
  return {
    ruleId: rule.SecurityGroupRuleId,
    securityGroupId: rule.GroupId as string,
    summary: `${protocol} from ${source}`,
    tags: Object.fromEntries((rule.Tags ?? []).map((t) => [t.Key as string, t.Value as string])),
    ...(ingress ? { ingress } : {}),
  };
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
  private readonly aws;

  constructor(config: AwsClientConfig) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-ec2'),
      (sdk) => new sdk.EC2Client(config),
    );
  }

  async describeInstances(instanceIds: readonly string[]): Promise<InstanceFacts[]> {
    if (instanceIds.length === 0) return [];
    // A filter (not InstanceIds) so that an unknown id is simply absent instead of failing the whole call.
    return this.instanceFacts([{ Name: 'instance-id', Values: [...instanceIds] }]);
  }

  async describeInstancesTagged(tagKey: string, tagValue: string): Promise<InstanceFacts[]> {
    return this.instanceFacts([
      { Name: `tag:${tagKey}`, Values: [tagValue] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ]);
  }

  private async instanceFacts(filters: { Name: string; Values: string[] }[]): Promise<InstanceFacts[]> {
    const { sdk, client } = await this.aws();
    const facts: InstanceFacts[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.DescribeInstancesCommand({ Filters: filters, NextToken: token }));
      for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        facts.push({
          instanceId: instance.InstanceId as string,
          state: instance.State?.Name ?? 'unknown',
          tags: Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key as string, t.Value as string])),
          ...(instance.Platform || instance.PlatformDetails
            ? { platform: instance.Platform ?? instance.PlatformDetails }
            : {}),
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
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(
        new sdk.AuthorizeSecurityGroupIngressCommand({
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

  async authorizeIngressRules(
    securityGroupId: string,
    rules: readonly IngressRule[],
    description: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    if (rules.length === 0) return ids;
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(
        new sdk.AuthorizeSecurityGroupIngressCommand({
          GroupId: securityGroupId,
          // One permission per protocol and port range, with every CIDR of it: the form EC2 itself reports.
          IpPermissions: permissionsOf(rules, description),
          TagSpecifications: [
            {
              ResourceType: 'security-group-rule',
              Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
        }),
      );
      for (const opened of result.SecurityGroupRules ?? []) {
        const rule = toIngressRule(opened);
        if (rule) ids.set(ingressRuleKey(rule), rule.ruleId);
      }
    } catch (error) {
      // One rule already there fails the whole call: take them one at a time (each adopts only its own).
      if ((error as Error)?.name !== 'InvalidPermission.Duplicate') throw error;
    }
    for (const rule of rules) {
      if (!ids.has(ingressRuleKey(rule)))
        ids.set(ingressRuleKey(rule), await this.authorizeIngress(rule, description, tags));
    }
    return ids;
  }

  async describeIngressRules(
    securityGroupId: string,
    described: readonly { readonly rule: IngressRule; readonly description: string }[],
  ): Promise<void> {
    if (described.length === 0) return;
    const { sdk, client } = await this.aws();
    await client.send(
      new sdk.UpdateSecurityGroupRuleDescriptionsIngressCommand({
        GroupId: securityGroupId,
        IpPermissions: described.map(({ rule, description }) => ({
          IpProtocol: rule.protocol,
          FromPort: rule.fromPort,
          ToPort: rule.toPort,
          IpRanges: [{ CidrIp: rule.cidr, Description: description }],
        })),
      }),
    );
  }

  async revokeIngress(securityGroupId: string, ruleId: string): Promise<void> {
    const { sdk, client } = await this.aws();
    try {
      await client.send(
        new sdk.RevokeSecurityGroupIngressCommand({ GroupId: securityGroupId, SecurityGroupRuleIds: [ruleId] }),
      );
    } catch (error) {
      if (!RULE_GONE.includes((error as Error)?.name)) throw error;
    }
  }

  async revokeIngressRules(securityGroupId: string, ruleIds: readonly string[]): Promise<void> {
    if (ruleIds.length === 0) return;
    if (ruleIds.length === 1) return this.revokeIngress(securityGroupId, ruleIds[0] as string);
    const { sdk, client } = await this.aws();
    try {
      await client.send(
        new sdk.RevokeSecurityGroupIngressCommand({ GroupId: securityGroupId, SecurityGroupRuleIds: [...ruleIds] }),
      );
    } catch (error) {
      // One rule already gone fails the whole call: close the others one at a time.
      if (!RULE_GONE.includes((error as Error)?.name)) throw error;
      for (const ruleId of ruleIds) await this.revokeIngress(securityGroupId, ruleId);
    }
  }

  async listIngressRules(securityGroupId: string): Promise<ExistingIngressRule[]> {
    return this.listIngressRulesIn([securityGroupId]);
  }

  async listIngressRulesIn(securityGroupIds: readonly string[]): Promise<ExistingIngressRule[]> {
    return (await this.listInboundRulesIn(securityGroupIds)).flatMap((rule) => (rule.ingress ? [rule.ingress] : []));
  }

  async listInboundRulesIn(securityGroupIds: readonly string[]): Promise<InboundRule[]> {
    if (securityGroupIds.length === 0) return [];
    const { sdk, client } = await this.aws();
    const rules: InboundRule[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.DescribeSecurityGroupRulesCommand({
          Filters: [{ Name: 'group-id', Values: [...new Set(securityGroupIds)] }],
          NextToken: token,
        }),
      );
      for (const rule of page.SecurityGroupRules ?? []) {
        const inbound = toInboundRule(rule);
        if (inbound) rules.push(inbound);
      }
      token = page.NextToken;
    } while (token);
    return rules;
  }
}

/** The JIT security groups and instances, through EC2. */
export const makeNetwork: AdapterMaker<'network'> = (_settings, config) => new Ec2Network(config);
