import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { wildcardResourceFinding } from './nag-findings';

/**
 * AWS-owned session documents whose sessions Session Manager does not record (port forwarding, SSH, commands).
 * Denied even though nothing allows them, so that no later edit of a grant policy can open them.
 */
export const UNRECORDED_SESSION_DOCUMENTS = [
  'AWS-StartPortForwardingSession',
  'AWS-StartPortForwardingSessionToRemoteHost',
  'AWS-StartPortForwardingSessionToSocket',
  'AWS-StartSSHSession',
  'AWS-StartInteractiveCommand',
  'AWS-StartNonInteractiveCommand',
] as const;

export interface GrantPermissionsBoundaryProps {
  /** Name of the stack's recorded session document, the only document a grant role may start sessions with. */
  readonly sessionDocumentName: string;
  /** The session encryption key (the Session Manager client needs kms:GenerateDataKey on it). */
  readonly sessionKey: kms.IKey;
}

/**
 * The permissions boundary of every per-grant role: the outer limit of what any grant can ever allow, whatever its
 * inline policy says. The grant Lambda may only create roles that carry it.
 */
export class GrantPermissionsBoundary extends Construct {
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: GrantPermissionsBoundaryProps) {
    super(scope, id);
    if (props.sessionDocumentName === '') {
      throw new Error(`${this.node.path}: sessionDocumentName is empty: pass SessionLogging.documentName`);
    }
    const stack = Stack.of(this);
    const anyInstanceArn = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    const anySessionArn = stack.formatArn({ service: 'ssm', resource: 'session', resourceName: '*' });

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'jit-access permissions boundary of per-grant roles: recorded SSM sessions only',
      statements: [
        new iam.PolicyStatement({
          sid: 'StartRecordedSessions',
          actions: ['ssm:StartSession'],
          resources: [
            anyInstanceArn,
            stack.formatArn({ service: 'ssm', resource: 'document', resourceName: props.sessionDocumentName }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'ManageOwnSessions',
          actions: ['ssm:TerminateSession', 'ssm:ResumeSession'],
          resources: [anySessionArn],
        }),
        new iam.PolicyStatement({
          sid: 'EncryptSessions',
          actions: ['kms:GenerateDataKey'],
          resources: [props.sessionKey.keyArn],
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
          'A boundary is the outer limit for every grant; each grant role inline policy names its own instances or tag.',
      },
      {
        id: wildcardResourceFinding(this, anySessionArn),
        reason:
          'Session ids are only known once a session starts; each grant role inline policy limits this to its own sessions.',
      },
    );
  }
}
