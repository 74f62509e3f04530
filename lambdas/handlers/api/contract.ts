/**
 * The operator API's contract: every route, who may call it, which function serves it, and the zod schemas of its
 * input (its output's are in `responses.ts`, which the functions do not bundle). The handlers parse with these schemas, the CDK construct creates one method per route, the
 * OpenAPI document is generated from them, and the CLI and the local server use the same table.
 */
import * as z from 'zod/mini';
import { GRANT_STATUSES, GRANT_ID_PATTERN } from '../../domain/types';
import { plainText, reasonSchema, requestBodySchema, ticketSchema } from '../../domain/request-validation';
import type { RESPONSES } from './responses';

/** The API's functions, grouped by the rights their routes need (see lib/constructs/operator-api.ts). */
export const API_FUNCTIONS = ['api-read', 'api-request', 'api-decide', 'api-audit'] as const;
export type ApiFunctionName = (typeof API_FUNCTIONS)[number];

export const grantIdParam = z
  .string()
  .check(z.regex(GRANT_ID_PATTERN, 'must be a grant id such as "g-3f9a1c2b7d4e" (see "jit-access list")'));
export const vendorIdParam = z
  .string()
  .check(
    z.regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, 'must be a vendor id such as "acme" (see "jit-access vendor list")'),
  );

const freeText = (what: string) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(3, `must say in a few words ${what}`),
      z.maxLength(1000, 'must be at most 1000 characters: link the ticket for details'),
      plainText,
    );

export const approveBodySchema = z.strictObject({ comment: z.optional(freeText('what you checked')) });
export const denyBodySchema = z.strictObject({ reason: freeText('why you deny') });
export const revokeBodySchema = z.strictObject({ reason: freeText('why access ends now') });
export const vendorChangeBodySchema = z.strictObject({ reason: freeText('why') });
export const extendBodySchema = z.strictObject({
  byMinutes: z
    .number()
    .check(z.int('must be a whole number of minutes'), z.minimum(15, 'extend by at least 15 minutes')),
  reason: z.optional(reasonSchema),
  ticket: z.optional(ticketSchema),
});

export const listQuerySchema = z.strictObject({
  status: z.optional(z.enum(GRANT_STATUSES)),
  vendor: z.optional(vendorIdParam),
  mine: z.optional(z.enum(['true', 'false'])),
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(500, 'must be 1-500'))),
});

/** A day (`2026-11-01`) or an instant (`2026-11-01T00:00:00Z`), as an ISO instant. */
const reviewInstant = (what: string) =>
  z.pipe(
    z
      .string()
      .check(
        z.refine(
          (v) =>
            /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v) &&
            !Number.isNaN(Date.parse(v)),
          `must be a date such as "2026-11-01" or an instant such as "2026-11-01T00:00:00Z" (${what})`,
        ),
      ),
    z.transform((v) => new Date(v).toISOString()),
  );

export const auditReviewQuerySchema = z
  .strictObject({
    vendor: z.optional(vendorIdParam),
    since: reviewInstant('the first day of the review, included'),
    until: reviewInstant('the day after the last, excluded'),
  })
  .check(
    z.refine((q) => q.since < q.until, { message: 'must be after since', path: ['until'] }),
    z.refine((q) => Date.parse(q.until) - Date.parse(q.since) <= 400 * 86_400_000, {
      message: 'must be at most 400 days after since: review a year at a time',
      path: ['until'],
    }),
  );

export const sessionLogQuerySchema = z.strictObject({
  /** Milliseconds since the epoch: only lines logged at or after it. */
  since: z.optional(z.coerce.number().check(z.int(), z.minimum(0))),
  nextToken: z.optional(z.string().check(z.maxLength(2048))),
});

const pathParams = {
  grantId: grantIdParam,
  vendorId: vendorIdParam,
} as const;
export type PathParamName = keyof typeof pathParams;
export const PATH_PARAMS: Readonly<Record<PathParamName, z.ZodMiniType<string>>> = pathParams;

/** One route of the API. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** API Gateway resource path; `{name}` is a path parameter. */
  readonly path: string;
  readonly function: ApiFunctionName;
  readonly summary: string;
  /** Who may call it, as the README and the OpenAPI document say. */
  readonly who: string;
  /** 200, or 202 when the route only starts work. */
  readonly status: 200 | 202;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
}

export const ROUTES = {
  whoami: {
    method: 'GET',
    path: '/me',
    function: 'api-read',
    summary: 'The person your signed request resolves to, and what they may do',
    who: 'any configured person',
    status: 200,
  },
  listGrants: {
    method: 'GET',
    path: '/grants',
    function: 'api-read',
    summary: 'Grants, newest first',
    who: 'any configured person',
    status: 200,
    query: listQuerySchema,
  },
  createRequest: {
    method: 'POST',
    path: '/grants',
    function: 'api-request',
    summary: 'Request access for a vendor; the approval workflow starts',
    who: "the vendor's sponsors; break-glass people with breakGlass: true",
    status: 202,
    body: requestBodySchema,
  },
  showGrant: {
    method: 'GET',
    path: '/grants/{grantId}',
    function: 'api-read',
    summary: 'A grant: state, votes, plan and its hash, created resources, history',
    who: 'any configured person',
    status: 200,
  },
  grantPlan: {
    method: 'GET',
    path: '/grants/{grantId}/plan',
    function: 'api-read',
    summary: 'Exactly what the grant creates (or created), with the hash approvers were sent',
    who: 'any configured person',
    status: 200,
  },
  approve: {
    method: 'POST',
    path: '/grants/{grantId}/approve',
    function: 'api-decide',
    summary: 'Approve a pending grant (or review a break-glass grant)',
    who: 'approvers, never on their own request',
    status: 200,
    body: approveBodySchema,
  },
  deny: {
    method: 'POST',
    path: '/grants/{grantId}/deny',
    function: 'api-decide',
    summary: 'Deny a pending grant; a denied break-glass grant is revoked at once',
    who: 'approvers, never on their own request',
    status: 200,
    body: denyBodySchema,
  },
  revoke: {
    method: 'POST',
    path: '/grants/{grantId}/revoke',
    function: 'api-decide',
    summary: 'The kill switch: live sessions end at once and everything the grant made is removed',
    who: 'the requester, approvers, admins',
    status: 200,
    body: revokeBodySchema,
  },
  extend: {
    method: 'POST',
    path: '/grants/{grantId}/extend',
    function: 'api-request',
    summary: 'Request an extension: a new grant from the expiry of an active one, approved like any request',
    who: "the vendor's sponsors",
    status: 202,
    body: extendBodySchema,
  },
  sessionLog: {
    method: 'GET',
    path: '/grants/{grantId}/session-log',
    function: 'api-read',
    summary: "What the grant's sessions logged, for watching live",
    who: 'the requester, approvers, admins',
    status: 200,
    query: sessionLogQuerySchema,
  },
  listVendors: {
    method: 'GET',
    path: '/vendors',
    function: 'api-read',
    summary: 'Vendors as configured, with their run-time state',
    who: 'any configured person',
    status: 200,
  },
  disableVendor: {
    method: 'POST',
    path: '/vendors/{vendorId}/disable',
    function: 'api-decide',
    summary: 'Disable a vendor: every live grant is revoked and no new one is made',
    who: 'admins',
    status: 200,
    body: vendorChangeBodySchema,
  },
  enableVendor: {
    method: 'POST',
    path: '/vendors/{vendorId}/enable',
    function: 'api-decide',
    summary: 'Enable a vendor an admin disabled',
    who: 'admins',
    status: 200,
    body: vendorChangeBodySchema,
  },
  unlockVendor: {
    method: 'POST',
    path: '/vendors/{vendorId}/unlock',
    function: 'api-decide',
    summary: 'Unlock a vendor the lockout locked after denied attempts; attempts are counted afresh',
    who: 'admins',
    status: 200,
    body: vendorChangeBodySchema,
  },
  auditGrant: {
    method: 'GET',
    path: '/grants/{grantId}/audit',
    function: 'api-audit',
    summary:
      "A grant's evidence: the report (Markdown, JSON, CSV), its CloudTrail events and transcripts, and a manifest of their SHA-256 digests signed with the stack's evidence key",
    who: 'auditors, admins',
    status: 200,
  },
  auditReview: {
    method: 'GET',
    path: '/audit',
    function: 'api-audit',
    summary: 'Every grant requested in a range, with its outcome, approvers and duration, for periodic access reviews',
    who: 'auditors, admins',
    status: 200,
    query: auditReviewQuerySchema,
  },
  auditSigningKey: {
    method: 'GET',
    path: '/audit/signing-key',
    function: 'api-audit',
    summary: "The public key of the stack's evidence key, to verify a bundle's signature",
    who: 'any configured person',
    status: 200,
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

/** The route API Gateway matched, from the event's resource path and method. */
export function routeOf(method: string, resourcePath: string): RouteName | undefined {
  return ROUTE_NAMES.find((name) => ROUTES[name].method === method && ROUTES[name].path === resourcePath);
}

/** `/grants/{grantId}/approve` with its parameters filled in. */
export function pathOf(name: RouteName, params: Readonly<Record<string, string>> = {}): string {
  return ROUTES[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name} needs the path parameter ${key}`);
    return encodeURIComponent(value);
  });
}

/** A response as the handlers build it: domain values are readonly all the way down. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type ResponseOf<N extends RouteName> = DeepReadonly<z.output<(typeof RESPONSES)[N]>>;
export type BodyOf<N extends RouteName> = (typeof ROUTES)[N] extends { body: z.ZodMiniType }
  ? z.input<(typeof ROUTES)[N]['body']>
  : never;
