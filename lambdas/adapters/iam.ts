import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import { EXPIRES_TAG, GRANT_TAG } from '../domain/planner';
import type { GrantPlan, PolicyDocument } from '../domain/types';

export interface ExistingRole {
  readonly roleName: string;
  readonly arn: string;
  readonly path?: string;
  readonly permissionsBoundaryArn?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** The per-grant IAM roles: created under the stack's path, always with the stack's permissions boundary. */
export interface GrantRoles {
  /**
   * Creates the role, or returns the existing one of the same name when it is this grant's own (a retry: same path,
   * boundary and grant tag). A role of that name made by anyone else is refused, never adopted.
   */
  createRole(role: GrantPlan['role']): Promise<string>;
  getRole(roleName: string): Promise<ExistingRole | undefined>;
  putInlinePolicy(roleName: string, policyName: string, document: PolicyDocument): Promise<void>;
  listInlinePolicies(roleName: string): Promise<string[]>;
  listAttachedPolicies(roleName: string): Promise<string[]>;
  /**
   * Replaces the named inline policy with `document`; answers false when the role does not exist (nothing to do)
   * instead of failing.
   */
  replaceInlinePolicy(roleName: string, policyName: string, document: PolicyDocument): Promise<boolean>;
  /**
   * Removes the role with its inline policies `knownPolicies` (one call each, then the role); only if IAM answers that
   * the role still holds others does it list and remove every inline and attached policy. A role already gone is
   * not an error.
   */
  deleteRole(roleName: string, knownPolicies?: readonly string[]): Promise<void>;
  listRoles(pathPrefix: string): Promise<ExistingRole[]>;
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
      const ours =
        existing.path === role.path &&
        existing.permissionsBoundaryArn === role.permissionsBoundaryArn &&
        existing.tags[GRANT_TAG] === role.tags[GRANT_TAG];
      if (!ours) {
        throw new Error(
          `role ${role.name} already exists but was not created by this grant (path, boundary or tag differ)`,
          { cause: error },
        );
      }
      return existing.arn;
    }
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
      const page = await client.send(new sdk.ListAttachedRolePoliciesCommand({ RoleName: roleName }));
      return (page.AttachedPolicies ?? []).map((p) => p.PolicyArn as string);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async replaceInlinePolicy(roleName: string, policyName: string, document: PolicyDocument): Promise<boolean> {
    try {
      await this.putInlinePolicy(roleName, policyName, document);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async deleteRole(roleName: string, knownPolicies: readonly string[] = []): Promise<void> {
    const { sdk, client } = await this.aws();
    for (const policyName of knownPolicies) {
      await this.ignoreMissing(
        client.send(new sdk.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
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
