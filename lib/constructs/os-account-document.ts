import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { OS_ACCOUNT_ACTIONS, OS_USER_PATTERN } from '../../lambdas/domain/os-accounts';

/** The script the document runs, kept in its own file so that it is tested as it ships (test/infra/os-account-script). */
export const OS_ACCOUNT_SCRIPT_PATH = join(__dirname, 'os-account.sh');
/** The configuration snapshot the document takes before the unlock and after the lock (test/infra/change-snapshot-script). */
export const CHANGE_SNAPSHOT_SCRIPT_PATH = join(__dirname, 'change-snapshot.sh');

/**
 * The stack's SSM Command document that unlocks the vendor's OS user at grant and locks it at revoke (processes killed,
 * crontab and at jobs removed, linger disabled, authorized_keys cleared, account locked and expired), optionally
 * keeping that user off the instance metadata service. Parameters reach the script only through allowedValues and
 * allowedPattern, so nothing a caller passes can become shell code.
 */
export class OsAccountDocument extends Construct {
  public readonly documentName: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const script = readFileSync(OS_ACCOUNT_SCRIPT_PATH, 'utf8');
    const document = new ssm.CfnDocument(this, 'Document', {
      documentType: 'Command',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      targetType: '/AWS::EC2::Instance',
      content: {
        schemaVersion: '2.2',
        description: "jit-access: unlock a vendor's OS user at grant, lock it and end all it runs at revoke",
        parameters: {
          action: {
            type: 'String',
            description: 'unlock (at grant) or lock (at revoke)',
            allowedValues: [...OS_ACCOUNT_ACTIONS],
          },
          osUser: {
            type: 'String',
            description: "The vendor's OS user (never root or a system user: the script checks uid >= 1000)",
            allowedPattern: OS_USER_PATTERN.source,
          },
          blockImds: {
            type: 'String',
            description: "At unlock, reject the user's traffic to the instance metadata service (iptables owner match)",
            allowedValues: ['true', 'false'],
            default: 'false',
          },
        },
        mainSteps: [
          {
            action: 'aws:runShellScript',
            name: 'osAccount',
            inputs: {
              timeoutSeconds: '120',
              runCommand: [
                "ACTION='{{ action }}'",
                "OS_USER='{{ osUser }}'",
                "BLOCK_IMDS='{{ blockImds }}'",
                ...script.trimEnd().split('\n'),
              ],
            },
          },
        ],
      },
    });
    this.documentName = document.ref;
  }
}
