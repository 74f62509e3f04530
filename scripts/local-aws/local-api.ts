import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ROUTE_NAMES, ROUTES, type ApiFunctionName, type RouteName } from '../../lambdas/handlers/api/contract';
import { EXECUTE_API, signRequest } from '../../lib/cli/signing';
import type { LocalIdentities, LocalIdentity } from './local-identities';

/** The stage every URL of the API starts with, as in the deployed stack. */
export const STAGE = 'v1';
/** How far a signature's date may be from now, as AWS allows. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const HOST = '127.0.0.1';
/** API Gateway's answer to any request whose signature does not hold: secret, body, path or headers changed. */
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

/** Runs one API function's handler, as API Gateway's Lambda proxy integration would. */
export type ApiInvoker = (
  fn: ApiFunctionName,
  event: APIGatewayProxyEvent,
  caller: LocalIdentity,
  route: RouteName,
) => Promise<APIGatewayProxyResult>;

export interface IncomingApiRequest {
  readonly method: string;
  readonly host: string;
  /** Path and query, as the request line carried them. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type SignatureCheck =
  { readonly ok: true; readonly identity: LocalIdentity } | { readonly ok: false; readonly message: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** `20261130T203000Z` → the instant. */
function amzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/**
 * Checks a request's SigV4 signature the way API Gateway does for AWS_IAM methods: the access key must be known, the
 * signature recomputed over the same method, path, query, signed headers and body with that key's secret must
 * match, and the signing time must be within five minutes of now.
 */
export async function verifySignature(
  request: IncomingApiRequest,
  identities: Pick<LocalIdentities, 'lookup'>,
  now: Date = new Date(),
): Promise<SignatureCheck> {
  const authorization = request.headers.authorization;
  if (!authorization) return { ok: false, message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(authorization);
  if (!match) return { ok: false, message: `Authorization header requires SigV4 (AWS4-HMAC-SHA256)` };
  const [, accessKeyId = '', , region = '', service, signedHeaderList = '', signature = ''] = match;
  if (service !== EXECUTE_API) return { ok: false, message: `Credential should be scoped to service '${EXECUTE_API}'` };
  const identity = identities.lookup(accessKeyId);
  if (!identity) return { ok: false, message: 'The security token included in the request is invalid.' };
  const signedAt = amzDate(request.headers['x-amz-date']);
  if (!signedAt || Math.abs(now.getTime() - signedAt.getTime()) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, message: 'Signature expired: the request was signed more than 5 minutes from now' };
  }
  const url = new URL(request.url, `http://${request.host}`);
  // The payload hash is always the received body's own: a client's x-amz-content-sha256 is a claim like any other.
  const bodyHash = createHash('sha256').update(request.body, 'utf8').digest('hex');
  const claimedHash = request.headers['x-amz-content-sha256'];
  if (claimedHash !== undefined && claimedHash !== bodyHash) return { ok: false, message: SIGNATURE_MISMATCH };
  const signedHeaders = Object.fromEntries(
    signedHeaderList.split(';').map((name) => [name, name === 'host' ? request.host : (request.headers[name] ?? '')]),
  );
  const expected = await signRequest(
    {
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: signedHeaders,
      ...(request.body !== '' ? { body: request.body } : {}),
    },
    { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    region,
    signedAt,
  );
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(expected.authorization ?? '')?.[1] ?? '';
  const same =
    expectedSignature.length === signature.length &&
    timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature));
  if (!same) return { ok: false, message: SIGNATURE_MISMATCH };
  return { ok: true, identity };
}

/** The route whose path template matches, with its path parameters. */
export function matchRoute(
  method: string,
  path: string,
): { readonly name: RouteName; readonly params: Record<string, string> } | undefined {
  for (const name of ROUTE_NAMES) {
    const route = ROUTES[name];
    if (route.method !== method) continue;
    const keys: string[] = [];
    const pattern = route.path.replace(/\{(\w+)\}/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (match) {
      const params = Object.fromEntries(keys.map((key, i) => [key, decodeURIComponent(match[i + 1] ?? '')]));
      return { name, params };
    }
  }
  return undefined;
}

/**
 * API Gateway, locally: a loopback HTTP server that admits only SigV4-signed requests from known local identities of
 * the stack's account (the resource policy), and hands each to its API function as a Lambda proxy event whose
 * request context carries the verified identity, as in AWS.
 */
export class LocalApiServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(identities: LocalIdentities, accountId: string, invoke: ApiInvoker): Promise<LocalApiServer> {
    const server = createServer((req, res) => {
      void handle(req, res, identities, accountId, invoke);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: HOST, port: 0 }, resolve);
    });
    const { port } = server.address() as AddressInfo;
    return new LocalApiServer(server, `http://${HOST}:${port}/${STAGE}/`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  identities: LocalIdentities,
  accountId: string,
  invoke: ApiInvoker,
): Promise<void> {
  const send = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(statusCode, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const request: IncomingApiRequest = {
      method: req.method ?? 'GET',
      host: headers.host ?? HOST,
      url: req.url ?? '/',
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    const url = new URL(request.url, `http://${request.host}`);
    const prefix = `/${STAGE}`;
    const route = url.pathname.startsWith(prefix)
      ? matchRoute(request.method, url.pathname.slice(prefix.length))
      : undefined;
    // API Gateway answers an unknown path like a missing signature, whoever asks.
    if (!route) return send(403, { message: 'Missing Authentication Token' });
    const check = await verifySignature(request, identities);
    if (!check.ok) return send(403, { message: check.message });
    const caller = check.identity;
    const callerAccount = caller.arn.split(':')[4];
    if (callerAccount !== accountId) {
      return send(403, {
        message: `User: ${caller.arn} is not authorized to perform: execute-api:Invoke on resource: ${request.method} ${url.pathname} with an explicit deny`,
      });
    }
    const event = {
      resource: ROUTES[route.name].path,
      path: url.pathname.slice(prefix.length),
      httpMethod: request.method,
      headers,
      multiValueHeaders: {},
      queryStringParameters: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(route.params).length > 0 ? route.params : null,
      stageVariables: null,
      body: request.body === '' ? null : request.body,
      isBase64Encoded: false,
      requestContext: {
        requestId: randomUUID(),
        stage: STAGE,
        resourcePath: ROUTES[route.name].path,
        httpMethod: request.method,
        identity: {
          userArn: caller.arn,
          accountId: callerAccount,
          caller: caller.accessKeyId,
          user: caller.accessKeyId,
          accessKey: caller.accessKeyId,
          sourceIp: req.socket.remoteAddress ?? HOST,
        },
      },
    } as unknown as APIGatewayProxyEvent;
    const result = await invoke(ROUTES[route.name].function, event, caller, route.name);
    send(result.statusCode, result.body, (result.headers ?? {}) as Record<string, string>);
  } catch (error) {
    send(502, { message: `Internal server error: ${error instanceof Error ? error.message : String(error)}` });
  }
}
