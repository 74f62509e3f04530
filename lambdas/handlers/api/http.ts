import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod/mini';
import { AccessDeniedError, ApprovalError, NotFoundError, TransitionError, ValidationError } from '../../domain/errors';
import { resolveCaller, type Caller } from '../../domain/identity';
import { issueMessage } from '../../domain/issue-messages';
import { parseInput, refuseIdentityFields } from '../../domain/request-validation';
import type { Dependencies } from '../../shared/dependencies';
import { flushMetrics, logger } from '../../shared/powertools';
import {
  PATH_PARAMS,
  ROUTES,
  routeOf,
  type ApiFunctionName,
  type PathParamName,
  type ResponseOf,
  type RouteName,
} from './contract';

type Spec<N extends RouteName> = (typeof ROUTES)[N];
type BodyOut<N extends RouteName> = Spec<N> extends { body: infer S extends z.ZodMiniType } ? z.output<S> : undefined;
type QueryOut<N extends RouteName> = Spec<N> extends { query: infer S extends z.ZodMiniType } ? z.output<S> : undefined;

/** One call of a route: the signed caller, and the path, query and body as the route's schemas parsed them. */
export interface ApiCall<N extends RouteName> {
  readonly caller: Caller;
  readonly params: Readonly<Partial<Record<PathParamName, string>>>;
  readonly query: QueryOut<N>;
  readonly body: BodyOut<N>;
}

export type RouteImplementation<N extends RouteName> = (deps: Dependencies, call: ApiCall<N>) => Promise<ResponseOf<N>>;
export type RouteImplementations = { readonly [N in RouteName]?: RouteImplementation<N> };

/** HTTP status per error code where it is not 400: who you are (403), what state things are in (409). */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  NOT_A_SPONSOR: 403,
  NOT_BREAK_GLASS: 403,
  IDENTITY_MISMATCH: 403,
  NOT_AN_APPROVER: 403,
  SELF_APPROVAL: 403,
  UNKNOWN_GRANT: 404,
  DUPLICATE_VOTE: 409,
  NOT_PENDING: 409,
  NOT_ACTIVE: 409,
  VENDOR_DISABLED: 409,
  DISABLED_IN_CONFIG: 409,
  LOCKED_OUT: 409,
  NOT_LOCKED_OUT: 409,
  DUPLICATE_GRANT: 409,
  SECURITY_GROUP_FULL: 409,
};

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function failure(statusCode: number, code: string, message: string, field?: string): APIGatewayProxyResult {
  return json(statusCode, { error: { code, ...(field ? { field } : {}), message } });
}

/** Every refusal is a 4xx with a code, the field or rule, and the fix; anything else is a 500 with the request id. */
export function errorResponse(error: unknown, requestId: string | undefined): APIGatewayProxyResult {
  if (error instanceof ValidationError) {
    const fix = error.message.slice(error.field.length + 2);
    return failure(STATUS_OF_CODE[error.code] ?? 400, error.code, fix, error.field);
  }
  if (error instanceof ApprovalError) return failure(STATUS_OF_CODE[error.code] ?? 409, error.code, error.message);
  if (error instanceof AccessDeniedError) return failure(403, error.code, error.message);
  if (error instanceof NotFoundError) return failure(404, 'NOT_FOUND', error.message, error.field);
  if (error instanceof TransitionError) return failure(409, 'WRONG_STATE', error.message);
  logger.error('request failed', { error: error as Error });
  return failure(
    500,
    'INTERNAL',
    `the request failed inside jit-access: nothing you sent was wrong; try again, or give the operators request id ${requestId ?? 'unknown'}`,
  );
}

function parseBody(event: APIGatewayProxyEvent): unknown {
  if (!event.body) return {};
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('body', 'INVALID_JSON', 'is not JSON: send a JSON object');
  }
}

function pathParams(name: RouteName, event: APIGatewayProxyEvent): Partial<Record<PathParamName, string>> {
  const params: Partial<Record<PathParamName, string>> = {};
  for (const match of ROUTES[name].path.matchAll(/\{(\w+)\}/g)) {
    const key = match[1] as PathParamName;
    const schema = PATH_PARAMS[key];
    const raw = event.pathParameters?.[key];
    const parsed = schema.safeParse(raw, { error: issueMessage });
    if (!parsed.success) {
      throw new ValidationError(key, 'INVALID_FIELD', parsed.error.issues[0]?.message ?? 'is invalid');
    }
    params[key] = parsed.data;
  }
  return params;
}

/**
 * The Lambda handler of one API function: finds the route API Gateway matched, takes the caller from the request
 * context's signed identity (never from the body, which is refused if it names anyone), parses path, query and body
 * with the route's schemas, runs the route, and answers JSON.
 */
export function createApiFunction(
  functionName: ApiFunctionName,
  implementations: RouteImplementations,
  deps: () => Dependencies,
) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId;
    try {
      const name = routeOf(event.httpMethod, event.resource);
      const implementation = name ? (implementations[name] as RouteImplementation<RouteName> | undefined) : undefined;
      if (!name || !implementation || ROUTES[name].function !== functionName) {
        throw new NotFoundError('path', `${event.httpMethod} ${event.path} is not a route of the jit-access API`);
      }
      const spec: Spec<RouteName> = ROUTES[name];
      const d = deps();
      const caller = resolveCaller(
        event.requestContext?.identity?.userArn ?? undefined,
        d.settings.config,
        d.settings.env.accountId,
      );
      logger.appendKeys({ route: name, person: caller.person });
      const params = pathParams(name, event);
      if (params.grantId) logger.appendKeys({ grantId: params.grantId });
      const query = 'query' in spec ? parseInput(spec.query, event.queryStringParameters ?? {}) : undefined;
      let body: unknown;
      if ('body' in spec) {
        const raw = parseBody(event);
        refuseIdentityFields(raw);
        body = parseInput(spec.body, raw);
      }
      const result = await implementation(d, { caller, params, query, body } as ApiCall<RouteName>);
      return json(spec.status, result);
    } catch (error) {
      return errorResponse(error, requestId);
    } finally {
      flushMetrics();
      logger.removeKeys(['route', 'person', 'grantId']);
    }
  };
}

/** The path parameter a route's path names; the route table guarantees it is there. */
export function param(
  call: { readonly params: Readonly<Partial<Record<PathParamName, string>>> },
  key: PathParamName,
): string {
  const value = call.params[key];
  if (value === undefined) throw new Error(`the route has no path parameter ${key}`);
  return value;
}
