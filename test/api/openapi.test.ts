import { z } from 'zod';
import { ROUTE_NAMES, ROUTES } from '../../lambdas/handlers/api/contract';
import { RESPONSES } from '../../lambdas/handlers/api/responses';
import { openApiDocument } from '../../lib/openapi';

interface Operation {
  readonly operationId: string;
  readonly security: unknown;
  readonly parameters: { name: string; in: string; required: boolean }[];
  readonly requestBody?: { content: { 'application/json': { schema: unknown } } };
  readonly responses: Record<string, { content: { 'application/json': { schema: unknown } } }>;
}

const document = openApiDocument('1.2.3') as {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
};

function operation(name: (typeof ROUTE_NAMES)[number]): Operation {
  const route = ROUTES[name];
  const found = document.paths[route.path]?.[route.method.toLowerCase()];
  if (!found) throw new Error(`no operation for ${route.method} ${route.path}`);
  return found;
}

describe('the OpenAPI document', () => {
  test('has exactly one operation per route, named after it', () => {
    // Act
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));

    // Assess
    expect(operations.map((o) => o.operationId).sort()).toEqual([...ROUTE_NAMES].sort());
    expect(document.openapi).toBe('3.0.3');
    expect(document.info.version).toBe('1.2.3');
  });

  test.each(ROUTE_NAMES.map((name) => [name]))('%s requires SigV4', (name) => {
    // Assess
    expect(operation(name).security).toEqual([{ sigv4: [] }]);
  });

  test.each(ROUTE_NAMES.filter((name) => 'body' in ROUTES[name]).map((name) => [name]))(
    "%s's request body is its zod schema, as a client sends it",
    (name) => {
      // Prepare
      const route = ROUTES[name] as { body: z.core.$ZodType };

      // Assess
      expect(operation(name).requestBody?.content['application/json'].schema).toEqual(
        z.toJSONSchema(route.body, { target: 'openapi-3.0', io: 'input' }),
      );
    },
  );

  test.each(ROUTE_NAMES.map((name) => [name]))("%s's success response is its zod schema", (name) => {
    // Prepare
    const route = ROUTES[name];

    // Assess
    expect(operation(name).responses[String(route.status)]?.content['application/json'].schema).toEqual(
      z.toJSONSchema(RESPONSES[name], { target: 'openapi-3.0', io: 'output' }),
    );
  });

  test('declares each path parameter and the query parameters of the routes that take them', () => {
    // Assess
    expect(operation('approve').parameters).toEqual([
      { name: 'grantId', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(operation('listGrants').parameters.map((p) => `${p.in}:${p.name}`)).toEqual([
      'query:status',
      'query:vendor',
      'query:mine',
      'query:limit',
    ]);
  });

  test('never lets a request body name the requester', () => {
    // Prepare
    const body = operation('createRequest').requestBody?.content['application/json'].schema as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };

    // Assess
    expect(Object.keys(body.properties)).not.toContain('requester');
    expect(body.additionalProperties).toBe(false);
  });
});
