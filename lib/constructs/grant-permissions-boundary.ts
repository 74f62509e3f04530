import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { revokedRolePolicy, UNRECORDED_SESSION_DOCUMENTS } from '../../lambdas/domain/planner';
import type { TargetGroupConfig } from '../config/schema';
import { wildcardResourceFinding } from './nag-findings';

export interface GrantPermissionsBoundaryProps {
  /** Name of the stack's recorded session document, the only document a grant role may start sessions with. */
  readonly sessionDocumentName: string;
  /** The session encryption key (the Session Manager client needs kms:GenerateDataKey on it). */
  readonly sessionKey: kms.IKey;
  /** Only instances carrying one of these groups' tags can ever be reached by a grant. */
  readonly targetGroups: readonly Pick<TargetGroupConfig, 'tagKey' | 'tagValue'>[];
  /** Every configured vendor's CIDRs: no grant role can act from anywhere else, whatever its own policy says. */
  readonly vendorCidrs: readonly string[];
  /** The IAM path of grant roles; the revoked-role policy lives under it too. */
  readonly iamPath: string;
}

/**
 * The two stack-owned managed policies that limit every per-grant role:
 * - the permissions boundary, the outer limit of what any grant can ever allow, whatever its inline policy says (the
 *   grant Lambda may only create roles that carry it), and only from the vendors' addresses;
 * - the revoked-role policy, a deny-all that is the only policy teardown may attach: revoking can never widen a role.
 */
export class GrantPermissionsBoundary extends Construct {
  public readonly policy: iam.ManagedPolicy;
  public readonly revokedPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: GrantPermissionsBoundaryProps) {
    super(scope, id);
    if (props.sessionDocumentName === '') {
      throw new Error(`${this.node.path}: sessionDocumentName is empty: pass SessionLogging.documentName`);
    }
    if (props.targetGroups.length === 0) {
      throw new Error(`${this.node.path}: targetGroups is empty: pass the configured target groups`);
    }
    if (props.vendorCidrs.length === 0) {
      throw new Error(`${this.node.path}: vendorCidrs is empty: pass every configured vendor's allowedCidrs`);
    }
    const stack = Stack.of(this);
    const anyInstanceArn = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    const anySessionArn = stack.formatArn({ service: 'ssm', resource: 'session', resourceName: '*' });

    // `IpAddress`, not `IfExists`: a call through a VPC endpoint carries no aws:SourceIp and is refused.
    const fromVendors = { IpAddress: { 'aws:SourceIp': [...new Set(props.vendorCidrs)] } };
    // Without it, StartSession with no document falls back to the default, unrecorded shell document.
    const recordedDocumentOnly = { ...fromVendors, BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } };
    const tagValuesByKey = new Map<string, string[]>();
    for (const { tagKey, tagValue } of props.targetGroups) {
      tagValuesByKey.set(tagKey, [...new Set([...(tagValuesByKey.get(tagKey) ?? []), tagValue])]);
    }

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'jit-access permissions boundary of per-grant roles: recorded SSM sessions only',
      statements: [
        ...[...tagValuesByKey].map(
          ([tagKey, tagValues], index) =>
            new iam.PolicyStatement({
              sid: `StartRecordedSessionsOnTargetGroups${index}`,
              actions: ['ssm:StartSession'],
              resources: [anyInstanceArn],
              conditions: { ...recordedDocumentOnly, StringEquals: { [`ssm:resourceTag/${tagKey}`]: tagValues } },
            }),
        ),
        new iam.PolicyStatement({
          sid: 'StartSessionsWithRecordedDocument',
          actions: ['ssm:StartSession'],
          resources: [
            stack.formatArn({ service: 'ssm', resource: 'document', resourceName: props.sessionDocumentName }),
          ],
          conditions: recordedDocumentOnly,
        }),
        new iam.PolicyStatement({
          sid: 'ManageOwnSessions',
          actions: ['ssm:TerminateSession', 'ssm:ResumeSession'],
          resources: [anySessionArn],
          conditions: {
            ...fromVendors,
            StringLike: { 'ssm:resourceTag/aws:ssmmessages:session-id': '${aws:userid}' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'EncryptSessions',
          actions: ['kms:GenerateDataKey'],
          resources: [props.sessionKey.keyArn],
          conditions: fromVendors,
        }),
        new iam.PolicyStatement({
          sid: 'DenyUnrecordedSessionDocuments',
          effect: iam.Effect.DENY,
          actions: ['ssm:StartSession'],
          // AWS-owned documents have no account in their ARN.
          resources: UNRECORDED_SESSION_DOCUMENTS.map((name) =>
            stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: name }),
          ),
        }),
      ],
    });
    Validations.of(this.policy).acknowledge(
      {
        id: wildcardResourceFinding(this, anyInstanceArn),
        reason:
          'Instance ids are only known per grant; the boundary admits only instances carrying a target-group tag.',
      },
      {
        id: wildcardResourceFinding(this, anySessionArn),
        reason:
          'Session ids are only known once a session starts; each grant role inline policy limits this to its own sessions.',
      },
    );

    this.revokedPolicy = new iam.ManagedPolicy(this, 'RevokedPolicy', {
      description: 'jit-access: denies everything to a grant role being revoked; the only policy teardown may attach',
      path: props.iamPath,
      document: iam.PolicyDocument.fromJson(revokedRolePolicy()),
    });
  }
}
