import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { pathOf, ROUTES, type ResponseOf, type RouteName } from '../../lambdas/handlers/api/contract';
import { CliError, EXIT } from './errors';
import { signRequest } from './signing';

export interface CallInput {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
}

/** A client of the stack's API: every request SigV4-signed with the caller's credentials, errors as CliErrors. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly region: string,
    private readonly credentials: AwsCredentialIdentityProvider,
    private readonly fetchImpl: typeof fetch,
  ) {}

  async call<N extends RouteName>(name: N, input: CallInput = {}): Promise<ResponseOf<N>> {
    const spec = ROUTES[name];
    const url = new URL(this.baseUrl.replace(/\/+$/, '') + pathOf(name, input.params));
    for (const [key, value] of Object.entries(input.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const body = 'body' in spec ? JSON.stringify(input.body ?? {}) : undefined;
    const headers = await this.sign(url, spec.method, body);
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method: spec.method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      const why = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
      throw new CliError(EXIT.refused, [`could not reach ${url.origin}: ${why}`], {
        code: 'UNREACHABLE',
        message: why,
      });
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) throw apiError(response.status, parsed, text);
    return parsed as ResponseOf<N>;
  }

  private async sign(url: URL, method: string, body: string | undefined): Promise<Record<string, string>> {
    let credentials;
    try {
      credentials = await this.credentials();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new CliError(
        EXIT.refused,
        [`no AWS credentials to sign with: ${why}`, '  use --profile <name> (or aws sso login / aws configure first)'],
        { code: 'NO_CREDENTIALS', message: why },
      );
    }
    const headers = await signRequest(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: {
          host: url.host,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
      },
      credentials,
      this.region,
    );
    // fetch sets Host itself, to the same value that was signed.
    const { host: _host, ...rest } = headers;
    return rest;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** An API refusal: 400 is bad input (exit 2), anything else refused (exit 1); the line names the field or rule. */
function apiError(status: number, parsed: unknown, text: string): CliError {
  const error = (parsed as { error?: { code?: string; field?: string; message?: string } } | undefined)?.error;
  // API Gateway's own refusals (IAM, resource policy, throttling) answer {"message": "..."}.
  const gatewayMessage = (parsed as { message?: string } | undefined)?.message;
  const code = error?.code ?? (status === 403 ? 'FORBIDDEN' : status === 429 ? 'THROTTLED' : `HTTP_${status}`);
  const message = error?.message ?? gatewayMessage ?? (text.slice(0, 300) || `HTTP ${status}`);
  const line = error?.field ? `${error.field}: ${message}` : `${code}: ${message}`;
  return new CliError(status === 400 ? EXIT.badInput : EXIT.refused, [line], {
    code,
    ...(error?.field ? { field: error.field } : {}),
    message,
  });
}
