import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  CHANGE_DIRECTORY_PATTERN,
  MAX_CHANGE_DIRECTORIES,
  OS_ACCOUNT_STEP_NAME,
  SNAPSHOT_STEP_NAMES,
  type SnapshotPhase,
} from '../../lambdas/domain/change-snapshot-layout';
import { OS_ACCOUNT_ACTIONS, OS_USER_PATTERN } from '../../lambdas/domain/os-accounts';

/** The script the document runs, kept in its own file so that it is tested as it ships (test/infra/os-account-script). */
export const OS_ACCOUNT_SCRIPT_PATH = join(__dirname, 'os-account.sh');
/** The configuration snapshot the document takes before the unlock and after the lock (test/infra/change-snapshot-script). */
export const CHANGE_SNAPSHOT_SCRIPT_PATH = join(__dirname, 'change-snapshot.sh');

export interface OsAccountDocumentProps {
  /**
   * The configuration snapshot before the unlock and after the lock ("what the vendor changed"), and the directories
   * whose files it checksums (absolute, plain characters, no `..`; at most 20).
   * @default { enabled: true, directories: ['/etc'] }
   */
  readonly changeTracking?: { readonly enabled: boolean; readonly directories: readonly string[] };
}

/** The snapshot step's own limit, above the collector's own (which records a snapshot that takes longer as failed). */
const SNAPSHOT_STEP_TIMEOUT_SECONDS = '120';
/**
 * How long each phase's collector may run. The start snapshot runs before the unlock, which the grant awaits for
 * about 15 s: it must leave the unlock time. The end snapshot runs after the lock, which the revoke reads from its
 * own step, so it may take longer.
 */
const SNAPSHOT_TIME_LIMIT_SECONDS: Readonly<Record<SnapshotPhase, number>> = { start: 10, end: 60 };

/**
 * The stack's SSM Command document that unlocks the vendor's OS user at grant and locks it at revoke (processes killed,
 * crontab and at jobs removed, linger disabled, authorized_keys cleared, account locked and expired), optionally
 * keeping that user off the instance metadata service. Parameters reach the script only through allowedValues and
 * allowedPattern, so nothing a caller passes can become shell code.
 *
 * With change tracking on, a step before the unlock takes the `start` snapshot and a step after the lock the `end`
 * one (lib/constructs/change-snapshot.sh); the ssm adapter sends the command with the evidence bucket as its output,
 * so the agent uploads each snapshot there. A snapshot step always exits 0: it never fails the lock.
 */
export class OsAccountDocument extends Construct {
  public readonly documentName: string;

  constructor(scope: Construct, id: string, props: OsAccountDocumentProps = {}) {
    super(scope, id);
    const changeTracking = props.changeTracking ?? { enabled: true, directories: ['/etc'] };
    validate(this.node.path, changeTracking.directories);
    const script = readFileSync(OS_ACCOUNT_SCRIPT_PATH, 'utf8');
    const snapshotScript = readFileSync(CHANGE_SNAPSHOT_SCRIPT_PATH, 'utf8').trimEnd().split('\n');
    const snapshotStep = (phase: SnapshotPhase) => ({
      action: 'aws:runShellScript',
      name: SNAPSHOT_STEP_NAMES[phase],
      inputs: {
        timeoutSeconds: SNAPSHOT_STEP_TIMEOUT_SECONDS,
        runCommand: [
          "ACTION='{{ action }}'",
          `SNAPSHOT_PHASE=${phase}`,
          `SNAPSHOT_ON=${phase === 'start' ? 'unlock' : 'lock'}`,
          `SNAPSHOT_TIME_LIMIT_SECONDS=${SNAPSHOT_TIME_LIMIT_SECONDS[phase]}`,
          // Checked above against CHANGE_DIRECTORY_PATTERN: no quote or shell character can reach this line.
          `SNAPSHOT_DIRECTORIES=(${changeTracking.directories.map((d) => `'${d}'`).join(' ')})`,
          ...snapshotScript,
        ],
      },
    });
    const osAccountStep = {
      action: 'aws:runShellScript',
      name: OS_ACCOUNT_STEP_NAME,
      inputs: {
        timeoutSeconds: '120',
        runCommand: [
          "ACTION='{{ action }}'",
          "OS_USER='{{ osUser }}'",
          "BLOCK_IMDS='{{ blockImds }}'",
          ...script.trimEnd().split('\n'),
        ],
      },
    };
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
        mainSteps: changeTracking.enabled
          ? [snapshotStep('start'), osAccountStep, snapshotStep('end')]
          : [osAccountStep],
      },
    });
    this.documentName = document.ref;
  }
}

function validate(path: string, directories: readonly string[]): void {
  const bad = directories.filter((d) => !CHANGE_DIRECTORY_PATTERN.test(d) || `/${d}/`.includes('/../'));
  if (bad.length > 0) {
    throw new Error(
      `${path}: changeTracking.directories ${JSON.stringify(bad)}: each must be an absolute path of letters, digits and . _ @ + - without "..", such as "/etc"`,
    );
  }
  if (directories.length > MAX_CHANGE_DIRECTORIES) {
    throw new Error(
      `${path}: changeTracking.directories lists ${directories.length}: list at most ${MAX_CHANGE_DIRECTORIES}`,
    );
  }
}
