import { z } from 'zod';
import { ROUTE_NAMES, ROUTES } from '../lambdas/handlers/api/contract';
import { errorSchema, RESPONSES } from '../lambdas/handlers/api/responses';

type JsonSchema = Record<string, unknown>;

/** A zod schema as OpenAPI 3.0 sees it: what a client sends (`input`) or what the API answers (`output`). */
function schemaOf(schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io }) as JsonSchema;
}

/** Query parameters from a route's query schema (an object of optional strings on the wire). */
function queryParameters(schema: z.core.$ZodType): JsonSchema[] {
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

const ERRORS: Readonly<Record<string, string>> = {
  '400': 'bad input: the field and the fix',
  '403': 'not signed, not a configured person, or not allowed this action (the rule and the fix)',
  '404': 'no such grant or vendor',
  '409': 'the grant or vendor is not in a state that allows it',
  '500': 'failed inside jit-access; the message carries the request id',
};

/**
 * The OpenAPI document of the operator API, generated from the zod schemas the handlers parse with: what the CLI
 * sends and what the API answers are exactly what this says. Written beside the template at synth.
 */
export function openApiDocument(version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const name of ROUTE_NAMES) {
    const route = ROUTES[name];
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, JsonSchema>)[route.method.toLowerCase()] = {
      operationId: name,
      summary: route.summary,
      description: `Who may call it: ${route.who}.`,
      security: [{ sigv4: [] }],
      parameters: [...pathParameters, ...('query' in route ? queryParameters(route.query) : [])],
      ...('body' in route
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [String(route.status)]: {
          description: route.status === 202 ? 'accepted: the workflow runs on' : 'done',
          content: { 'application/json': { schema: schemaOf(RESPONSES[name], 'output') } },
        },
        ...Object.fromEntries(
          Object.entries(ERRORS).map(([status, description]) => [
            status,
            { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'jit-access operator API',
      version,
      description:
        'Request, approve, revoke and inspect just-in-time vendor access. Every call is SigV4-signed (API Gateway AWS_IAM): the caller is the signed identity, never a field in the body.',
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1',
        variables: { apiId: { default: 'api' }, region: { default: 'eu-west-1' } },
      },
    ],
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
      schemas: { Error: schemaOf(errorSchema, 'output') },
    },
    paths,
  };
}
