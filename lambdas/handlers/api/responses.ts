/**
 * What each route of the operator API answers, as zod schemas: for the OpenAPI document, the CLI's types and the
 * tests that check every answer. The functions build their answers as typed values and never parse them, so these
 * schemas stay out of their bundles.
 */
import * as z from 'zod/mini';
import { BREAK_GLASS_REVIEWS, GRANT_STATUSES } from '../../domain/types';
import { requestBodySchema } from '../../domain/request-validation';
import type { RouteName } from './contract';

const callerSchema = z.object({ person: z.string(), arn: z.string() });
const stringOrList = z.union([z.string(), z.array(z.string())]);
const policyDocumentSchema = z.object({
  Version: z.literal('2012-10-17'),
  Statement: z.array(
    z.object({
      Sid: z.string(),
      Effect: z.enum(['Allow', 'Deny']),
      Principal: z.optional(z.object({ AWS: z.array(z.string()) })),
      Action: stringOrList,
      Resource: z.optional(stringOrList),
      Condition: z.optional(z.record(z.string(), z.record(z.string(), stringOrList))),
    }),
  ),
});
const targetSchema = z.union([
  z.object({ kind: z.literal('instances'), targetGroup: z.string(), instanceIds: z.array(z.string()) }),
  z.object({ kind: z.literal('group'), targetGroup: z.string(), tagKey: z.string(), tagValue: z.string() }),
]);
const windowSchema = z.object({ startAt: z.string(), expiresAt: z.string() });

export const planSchema = z.object({
  grantId: z.string(),
  vendorId: z.string(),
  window: windowSchema,
  role: z.object({
    name: z.string(),
    path: z.string(),
    maxSessionDurationSeconds: z.number(),
    permissionsBoundaryArn: z.string(),
    tags: z.record(z.string(), z.string()),
    trustPolicy: policyDocumentSchema,
    inlinePolicyName: z.string(),
    inlinePolicy: policyDocumentSchema,
  }),
  ingressRules: z.array(
    z.object({
      securityGroupId: z.string(),
      protocol: z.enum(['tcp', 'udp']),
      fromPort: z.number(),
      toPort: z.number(),
      cidr: z.string(),
    }),
  ),
  schedule: z.object({ name: z.string(), groupName: z.string(), expression: z.string() }),
});

const historyEntrySchema = z.object({
  at: z.string(),
  actor: z.string(),
  actorArn: z.optional(z.string()),
  event: z.string(),
  detail: z.optional(z.string()),
});

const residueSchema = z.object({
  roles: z.array(z.string()),
  policies: z.array(z.string()),
  securityGroupRules: z.array(z.string()),
  schedules: z.array(z.string()),
  sessions: z.array(z.string()),
  // Absent from residue checks recorded before the OS-account lock existed.
  osAccounts: z.optional(z.array(z.string())),
});

export const grantSchema = z.object({
  grantId: z.string(),
  status: z.enum(GRANT_STATUSES),
  request: z.extend(requestBodySchema, {
    grantId: z.string(),
    requester: callerSchema,
    extends: z.optional(z.string()),
  }),
  targets: z.array(targetSchema),
  plan: planSchema,
  approvedPlan: z.optional(planSchema),
  planHash: z.string(),
  approvals: z.array(z.string()),
  breakGlass: z.optional(z.object({ reviewBy: z.string(), review: z.enum(BREAK_GLASS_REVIEWS) })),
  created: z.object({
    roleArn: z.optional(z.string()),
    inlinePolicyName: z.optional(z.string()),
    securityGroupRuleIds: z.optional(z.array(z.string())),
    scheduleArn: z.optional(z.string()),
  }),
  history: z.array(historyEntrySchema),
  expiresAt: z.optional(z.string()),
  residueCheck: z.optional(z.object({ checkedAt: z.string(), residue: residueSchema })),
  osAccount: z.optional(
    z.record(
      z.string(),
      z.object({
        action: z.enum(['unlock', 'lock']),
        status: z.enum(['succeeded', 'failed', 'pending', 'unreachable', 'gone']),
        at: z.string(),
        commandId: z.string(),
      }),
    ),
  ),
  revokeReason: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const voteSchema = z.object({
  person: z.string(),
  arn: z.string(),
  decision: z.enum(['approve', 'deny']),
  at: z.string(),
  planHash: z.string(),
  comment: z.optional(z.string()),
});

export const grantSummarySchema = z.object({
  grantId: z.string(),
  status: z.enum(GRANT_STATUSES),
  vendorId: z.string(),
  requester: z.string(),
  ticket: z.string(),
  createdAt: z.string(),
  startAt: z.string(),
  expiresAt: z.optional(z.string()),
  approvals: z.array(z.string()),
  breakGlassReview: z.optional(z.enum(BREAK_GLASS_REVIEWS)),
  extends: z.optional(z.string()),
});

export const requestedSchema = z.object({
  grantId: z.string(),
  status: z.literal('REQUESTED'),
  vendorId: z.string(),
  breakGlass: z.boolean(),
  extends: z.optional(z.string()),
  window: windowSchema,
  executionArn: z.string(),
});

export const decisionSchema = z.object({
  grantId: z.string(),
  status: z.enum(GRANT_STATUSES),
  approvals: z.array(z.string()),
  needed: z.number(),
  review: z.optional(z.enum(BREAK_GLASS_REVIEWS)),
});

export const revokedSchema = z.object({
  grantId: z.string(),
  status: z.string(),
  changed: z.boolean(),
  residue: residueSchema,
  sharedRulesKept: z.array(z.string()),
});

export const vendorSchema = z.object({
  vendorId: z.string(),
  displayName: z.string(),
  enabled: z.boolean(),
  disabledReason: z.optional(z.string()),
  maxGrantHours: z.number(),
  eligibleTargetGroups: z.array(z.string()),
  ports: z.array(z.object({ protocol: z.enum(['tcp', 'udp']), fromPort: z.number(), toPort: z.number() })),
  requireMfa: z.boolean(),
  sponsors: z.array(z.string()),
});

export const vendorChangeSchema = z.object({
  vendorId: z.string(),
  enabled: z.boolean(),
  revokedGrants: z.array(z.string()),
});

export const errorSchema = z.object({
  error: z.object({ code: z.string(), field: z.optional(z.string()), message: z.string() }),
});

export const evidenceBundleSchema = z.object({
  /** Path in the bundle → its text, exactly as the manifest's digests were computed. */
  files: z.record(z.string(), z.string()),
  manifest: z.string(),
  signature: z.string(),
  signingKeyArn: z.string(),
  signingAlgorithm: z.literal('ECDSA_SHA_256'),
});

const reviewRowSchema = z.object({
  grantId: z.string(),
  vendorId: z.string(),
  requester: z.string(),
  ticket: z.string(),
  status: z.enum(GRANT_STATUSES),
  outcome: z.string(),
  breakGlass: z.boolean(),
  approvers: z.array(z.string()),
  deniedBy: z.array(z.string()),
  requestedAt: z.string(),
  startAt: z.string(),
  endedAt: z.optional(z.string()),
  accessMinutes: z.number(),
  revokeReason: z.optional(z.string()),
  residue: z.string(),
});

export const RESPONSES = {
  whoami: z.object({
    person: z.string(),
    arn: z.string(),
    approver: z.boolean(),
    admin: z.boolean(),
    breakGlass: z.boolean(),
    auditor: z.boolean(),
    sponsorOf: z.array(z.string()),
  }),
  listGrants: z.object({ grants: z.array(grantSummarySchema), truncated: z.boolean() }),
  createRequest: requestedSchema,
  showGrant: z.object({ grant: grantSchema, votes: z.array(voteSchema) }),
  grantPlan: z.object({ grantId: z.string(), planHash: z.string(), plan: planSchema, delta: z.optional(z.string()) }),
  approve: decisionSchema,
  deny: decisionSchema,
  revoke: revokedSchema,
  extend: requestedSchema,
  sessionLog: z.object({
    grantId: z.string(),
    sessions: z.array(z.object({ sessionId: z.string(), target: z.string(), owner: z.string() })),
    events: z.array(z.object({ sessionId: z.string(), at: z.string(), message: z.string() })),
    nextToken: z.optional(z.string()),
  }),
  listVendors: z.object({ vendors: z.array(vendorSchema) }),
  disableVendor: vendorChangeSchema,
  enableVendor: vendorChangeSchema,
  unlockVendor: vendorChangeSchema,
  auditGrant: evidenceBundleSchema,
  auditReview: z.object({
    since: z.string(),
    until: z.string(),
    vendor: z.optional(z.string()),
    rows: z.array(reviewRowSchema),
  }),
  auditSigningKey: z.object({
    signingKeyArn: z.string(),
    signingAlgorithm: z.literal('ECDSA_SHA_256'),
    publicKeyPem: z.string(),
  }),
} as const satisfies Record<RouteName, z.ZodMiniType>;
