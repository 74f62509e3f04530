import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import { isDeepStrictEqual } from 'node:util';
import { EXPIRES_TAG, GRANT_TAG } from '../domain/planner';
import type { GrantPlan, PolicyDocument } from '../domain/types';
import type { AdapterMaker } from '../shared/dependencies';

export interface ExistingRole {
  readonly roleName: string;
  readonly arn: string;
  readonly path?: string;
  readonly permissionsBoundaryArn?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The trust policy, parsed (IAM answers it URL-encoded). Only from GetRole. */
  readonly trustPolicy?: unknown;
  readonly maxSessionDurationSeconds?: number;
}

/** The per-grant IAM roles: created under the stack's path, always with the stack's permissions boundary. */
export interface GrantRoles {
  /**
   * Creates the role, or returns the existing one of the same name when it is exactly what this grant would have
   * made (a retry): same path, boundary, grant tag, trust policy and session duration, no attached policy and no
   * inline policy but the grant's own. Anything else is refused, never adopted: a role planted under the grant's name
   * must not become a vendor's way in.
   */
  createRole(role: GrantPlan['role']): Promise<string>;
  getRole(roleName: string): Promise<ExistingRole | undefined>;
  putInlinePolicy(roleName: string, policyName: string, document: PolicyDocument): Promise<void>;
  listInlinePolicies(roleName: string): Promise<string[]>;
  listAttachedPolicies(roleName: string): Promise<string[]>;
  /**
   * Attaches the stack's deny-all managed policy, which covers credentials already issued; answers false when the
   * role does not exist (nothing to deny) instead of failing. Attaching it twice is a no-op in IAM.
   */
  attachDenyAll(roleName: string, denyPolicyArn: string): Promise<boolean>;
  /**
   * Removes the role with its inline policies `knownPolicies` and attached policies `knownAttached` (one call each,
   * then the role); only if IAM answers that the role still holds others does it list and remove every inline and
   * attached policy. A role or policy already gone is not an error.
   */
  deleteRole(roleName: string, knownPolicies?: readonly string[], knownAttached?: readonly string[]): Promise<void>;
  listRoles(pathPrefix: string): Promise<ExistingRole[]>;
}

/** IAM answers policy documents URL-encoded (RFC 3986); some endpoints answer them as plain JSON. */
function parsePolicy(document: string): unknown {
  const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
  return JSON.parse(text) as unknown;
}

const isMissing = (error: unknown) =>
  (error as Error)?.name === 'NoSuchEntityException' || (error as Error)?.name === 'NoSuchEntity';

export class IamGrantRoles implements GrantRoles {
  private readonly aws;

  constructor(config: AwsClientConfig) {
    this.aws = lazyClient(
      () => import('@aws-sdk/client-iam'),
      (sdk) => new sdk.IAMClient(config),
    );
  }

  async createRole(role: GrantPlan['role']): Promise<string> {
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(
        new sdk.CreateRoleCommand({
          RoleName: role.name,
          Path: role.path,
          AssumeRolePolicyDocument: JSON.stringify(role.trustPolicy),
          PermissionsBoundary: role.permissionsBoundaryArn,
          MaxSessionDuration: role.maxSessionDurationSeconds,
          Description: `jit-access grant ${role.tags[GRANT_TAG]} until ${role.tags[EXPIRES_TAG]}`,
          Tags: Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      return result.Role?.Arn as string;
    } catch (error) {
      if ((error as Error)?.name !== 'EntityAlreadyExistsException') throw error;
      const existing = await this.getRole(role.name);
      if (!existing) throw error;
      const difference = await this.differenceFrom(existing, role);
      if (difference) {
        throw new Error(
          `role ${role.name} already exists but is not the one this grant makes (${difference}): refusing to adopt it`,
          { cause: error },
        );
      }
      return existing.arn;
    }
  }

  /** What makes an existing role differ from the planned one, or undefined when it is exactly the grant's own. */
  private async differenceFrom(existing: ExistingRole, role: GrantPlan['role']): Promise<string | undefined> {
    if (existing.path !== role.path) return `path ${existing.path ?? '/'}`;
    if (existing.permissionsBoundaryArn !== role.permissionsBoundaryArn) return 'permissions boundary';
    if (existing.tags[GRANT_TAG] !== role.tags[GRANT_TAG]) return 'grant tag';
    if (!isDeepStrictEqual(existing.tags, role.tags)) return 'tags';
    if (!isDeepStrictEqual(existing.trustPolicy, role.trustPolicy)) return 'trust policy';
    if (existing.maxSessionDurationSeconds !== role.maxSessionDurationSeconds) return 'maximum session duration';
    const attached = await this.listAttachedPolicies(role.name);
    if (attached.length > 0) return `attached policies ${attached.join(', ')}`;
    const others = (await this.listInlinePolicies(role.name)).filter((name) => name !== role.inlinePolicyName);
    if (others.length > 0) return `inline policies ${others.join(', ')}`;
    return undefined;
  }

  async getRole(roleName: string): Promise<ExistingRole | undefined> {
    const { sdk, client } = await this.aws();
    try {
      const { Role } = await client.send(new sdk.GetRoleCommand({ RoleName: roleName }));
      if (!Role) return undefined;
      return {
        roleName,
        arn: Role.Arn as string,
        ...(Role.Path ? { path: Role.Path } : {}),
        ...(Role.PermissionsBoundary?.PermissionsBoundaryArn
          ? { permissionsBoundaryArn: Role.PermissionsBoundary.PermissionsBoundaryArn }
          : {}),
        tags: Object.fromEntries((Role.Tags ?? []).map((t) => [t.Key as string, t.Value as string])),
        ...(Role.AssumeRolePolicyDocument ? { trustPolicy: parsePolicy(Role.AssumeRolePolicyDocument) } : {}),
        ...(Role.MaxSessionDuration ? { maxSessionDurationSeconds: Role.MaxSessionDuration } : {}),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async putInlinePolicy(roleName: string, policyName: string, document: PolicyDocument): Promise<void> {
    const { sdk, client } = await this.aws();
    await client.send(
      new sdk.PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: policyName,
        PolicyDocument: JSON.stringify(document),
      }),
    );
  }

  async listInlinePolicies(roleName: string): Promise<string[]> {
    const { sdk, client } = await this.aws();
    try {
      const names: string[] = [];
      let marker: string | undefined;
      do {
        const page = await client.send(new sdk.ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
        names.push(...(page.PolicyNames ?? []));
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      return names;
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async listAttachedPolicies(roleName: string): Promise<string[]> {
    const { sdk, client } = await this.aws();
    try {
      const arns: string[] = [];
      let marker: string | undefined;
      do {
        const page = await client.send(new sdk.ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
        arns.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn as string));
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
      return arns;
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async attachDenyAll(roleName: string, denyPolicyArn: string): Promise<boolean> {
    const { sdk, client } = await this.aws();
    try {
      await client.send(new sdk.AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: denyPolicyArn }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async deleteRole(
    roleName: string,
    knownPolicies: readonly string[] = [],
    knownAttached: readonly string[] = [],
  ): Promise<void> {
    const { sdk, client } = await this.aws();
    for (const policyName of knownPolicies) {
      await this.ignoreMissing(
        client.send(new sdk.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
      );
    }
    for (const policyArn of knownAttached) {
      await this.ignoreMissing(
        client.send(new sdk.DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
      );
    }
    try {
      await this.ignoreMissing(client.send(new sdk.DeleteRoleCommand({ RoleName: roleName })));
      return;
    } catch (error) {
      if ((error as Error)?.name !== 'DeleteConflictException' && (error as Error)?.name !== 'DeleteConflict') {
        throw error;
      }
    }
    // The role holds policies this grant did not put there: remove every one, then the role.
    for (const policyName of await this.listInlinePolicies(roleName)) {
      await this.ignoreMissing(
        client.send(new sdk.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
      );
    }
    for (const policyArn of await this.listAttachedPolicies(roleName)) {
      await this.ignoreMissing(
        client.send(new sdk.DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })),
      );
    }
    await this.ignoreMissing(client.send(new sdk.DeleteRoleCommand({ RoleName: roleName })));
  }

  async listRoles(pathPrefix: string): Promise<ExistingRole[]> {
    const { sdk, client } = await this.aws();
    const roles: ExistingRole[] = [];
    let marker: string | undefined;
    do {
      const page = await client.send(new sdk.ListRolesCommand({ PathPrefix: pathPrefix, Marker: marker }));
      for (const role of page.Roles ?? []) {
        roles.push({ roleName: role.RoleName as string, arn: role.Arn as string, tags: {} });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return roles;
  }

  private async ignoreMissing(call: Promise<unknown>): Promise<void> {
    try {
      await call;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
}

/** The grant roles, through IAM. */
export const makeRoles: AdapterMaker<'roles'> = (_settings, config) => new IamGrantRoles(config);
