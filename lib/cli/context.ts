import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { OUTPUTS } from '../stack-outputs';
import { ApiClient } from './api-client';
import { CliError, EXIT } from './errors';

/** Options every command takes. */
export interface GlobalOptions {
  readonly profile?: string;
  readonly region?: string;
  readonly apiUrl?: string;
  readonly stackName: string;
  readonly json?: boolean;
}

/** Where a command writes, and how it reaches the network and the clock (tests give their own). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
  now(): Date;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => new Date(),
};

const REGION_IN_API_URL = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/;

/** What a command needs: the options, the output, and (on first use) a signed client of the stack's API. */
export class CliContext {
  private client?: Promise<ApiClient>;

  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions,
  ) {}

  /** A line to stdout, or nothing under --json (where the one JSON document is the output). */
  say(line = ''): void {
    if (!this.options.json) this.io.out(`${line}\n`);
  }

  /** Progress on a long step: stderr, so stdout stays one JSON document under --json. */
  progress(line: string): void {
    this.io.err(`${line}\n`);
  }

  json(value: unknown): void {
    this.io.out(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A named profile (static keys, assumed role, SSO, credential_process), or else the default credential chain. */
  credentials(): AwsCredentialIdentityProvider {
    // The files are read afresh: one process may meet a profile that was written after its first call.
    return this.options.profile
      ? fromIni({ profile: this.options.profile, ignoreCache: true })
      : fromNodeProviderChain({ ignoreCache: true });
  }

  api(): Promise<ApiClient> {
    this.client ??= this.connect();
    return this.client;
  }

  private async connect(): Promise<ApiClient> {
    const url = this.options.apiUrl ?? process.env.JIT_ACCESS_API_URL ?? (await this.apiUrlFromStack());
    const region =
      this.options.region ??
      REGION_IN_API_URL.exec(url)?.[1] ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION;
    if (!region) {
      throw new CliError(EXIT.badInput, ['--region: is required to sign requests to this API URL'], {
        code: 'BAD_INPUT',
        field: '--region',
        message: 'is required to sign requests to this API URL',
      });
    }
    return new ApiClient(url, region, this.credentials(), this.io.fetch);
  }

  /** The API URL from the stack's outputs (CloudFormation DescribeStacks with the caller's own credentials). */
  private async apiUrlFromStack(): Promise<string> {
    const { stackName, profile, region } = this.options;
    try {
      const client = new CloudFormationClient({ ...(profile ? { profile } : {}), ...(region ? { region } : {}) });
      const result = await client.send(new DescribeStacksCommand({ StackName: stackName }));
      const url = result.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === OUTPUTS.apiUrl)?.OutputValue;
      if (url) return url;
      throw new Error(`stack ${stackName} has no ${OUTPUTS.apiUrl} output`);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new CliError(
        EXIT.refused,
        [
          `--api-url: not given, and the API URL could not be read from stack ${stackName} (${why})`,
          `  pass --api-url <ApiUrl output>, set JIT_ACCESS_API_URL, or --stack-name/--profile/--region for DescribeStacks`,
        ],
        { code: 'NO_API_URL', field: '--api-url', message: why },
      );
    }
  }
}
