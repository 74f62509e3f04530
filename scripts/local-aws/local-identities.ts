import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Identity } from '../../lib/config/people';
import { roleNameOf } from '../../lambdas/domain/arn';
import type { JitAccessConfig } from '../../lib/config/schema';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-aws';

export interface LocalIdentity {
  readonly profile: string;
  /** The ARN a real call from this identity would carry in the API's request context. */
  readonly arn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The ARN AWS would sign a person's call with, for their first configured identity. */
export function arnOfIdentity(identity: Identity): string {
  if ('iamUser' in identity) return identity.iamUser;
  if ('identityCenterUser' in identity) {
    // Identity Center's role in the account: AWSReservedSSO_<permission set>_<16 hex>, session = user name.
    return `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/AWSReservedSSO_JitAccessUsers_0123456789abcdef/${identity.identityCenterUser}`;
  }
  const { role, sessionName } = identity.roleSession;
  const account = role.split(':')[4];
  return `arn:aws:sts::${account}:assumed-role/${roleNameOf(role)}/${sessionName}`;
}

/**
 * Local stand-ins for people's AWS credentials: one profile per identity (`local-alice`), with keys that only the
 * local API server knows, written to an AWS credentials and config file. The CLI signs with them through the default
 * credential chain exactly as it signs with real ones, and the local server checks each signature.
 */
export class LocalIdentities {
  private readonly byProfile = new Map<string, LocalIdentity>();
  private readonly byKey = new Map<string, LocalIdentity>();
  readonly credentialsFile: string;
  readonly configFile: string;

  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true });
    this.credentialsFile = path.join(directory, 'credentials');
    this.configFile = path.join(directory, 'config');
  }

  /** A profile for `arn` (created on first use); people's profiles are `local-<name>`. */
  profile(name: string, arn: string): LocalIdentity {
    const existing = this.byProfile.get(name);
    if (existing?.arn === arn) return existing;
    const digest = createHash('sha256').update(`${name}|${arn}`).digest('hex').toUpperCase();
    const identity: LocalIdentity = {
      profile: name,
      arn,
      accessKeyId: `AKIALOCAL${digest.slice(0, 11)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
    };
    if (existing) this.byKey.delete(existing.accessKeyId);
    this.byProfile.set(name, identity);
    this.byKey.set(identity.accessKeyId, identity);
    this.write();
    return identity;
  }

  /** One `local-<person>` profile per configured person, signing as their first identity. */
  people(config: JitAccessConfig): Record<string, LocalIdentity> {
    return Object.fromEntries(
      Object.entries(config.people).map(([person, identities]) => {
        const [first] = identities;
        if (!first) throw new Error(`person ${person} has no identity`);
        return [person, this.profile(`local-${person}`, arnOfIdentity(first))];
      }),
    );
  }

  lookup(accessKeyId: string): LocalIdentity | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** What the CLI (and the AWS CLI) need in their environment to find these profiles. */
  env(): Record<string, string> {
    return { AWS_SHARED_CREDENTIALS_FILE: this.credentialsFile, AWS_CONFIG_FILE: this.configFile };
  }

  private write(): void {
    const profiles = [...this.byProfile.values()];
    writeFileSync(
      this.credentialsFile,
      profiles
        .map(
          (p) => `[${p.profile}]\naws_access_key_id = ${p.accessKeyId}\naws_secret_access_key = ${p.secretAccessKey}\n`,
        )
        .join('\n'),
      { mode: 0o600 },
    );
    writeFileSync(
      this.configFile,
      profiles.map((p) => `[profile ${p.profile}]\nregion = ${LOCAL_REGION}\n`).join('\n'),
    );
  }
}

let shared: LocalIdentities | undefined;

/**
 * The process's local identities, in a temporary directory: tests and the demo share them across local worlds. The
 * directory goes when the process exits; jest's sandbox never emits `exit`, so a test file removes it itself with
 * `removeProcessLocalIdentities` (test/helpers/local-lifecycle does, after the file's tests).
 */
export function processLocalIdentities(): LocalIdentities {
  if (!shared) {
    shared = new LocalIdentities(mkdtempSync(path.join(tmpdir(), 'jit-access-identities-')));
    process.once('exit', removeProcessLocalIdentities);
  }
  return shared;
}

/** Removes the process's local identities and their directory, if made; the next `processLocalIdentities` makes new. */
export function removeProcessLocalIdentities(): void {
  if (!shared) return;
  process.off('exit', removeProcessLocalIdentities);
  rmSync(shared.directory, { recursive: true, force: true });
  shared = undefined;
}
