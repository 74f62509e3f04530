/**
 * Turns a sponsor's raw request into a validated one, or refuses it with a ValidationError naming the field, the rule
 * (`code`) and the fix. Pure: the caller looks up the instances and passes them in, so nothing here touches AWS.
 */
import * as z from 'zod/mini';
import type { JitAccessConfig, PortRange, TargetGroupConfig, VendorConfig } from '../../lib/config/schema';
import { ValidationError } from './errors';
import { isBreakGlassPerson, isSponsor, personOf } from './identity';
import { issueMessage } from './issue-messages';
import { GRANT_ID_PATTERN, type AccessRequest, type PortRequest, type RequestBody, type ResolvedTarget } from './types';

const MIN_DURATION_MINUTES = 15;
/** How far behind `now` a start may be: the request spends a little time in flight before it is validated. */
const START_CLOCK_SKEW_SECONDS = 60;
/** Longest wait before a grant starts; a later start is a different request, asked for nearer the time. */
const MAX_START_AHEAD_DAYS = 30;
const MAX_TARGETS = 20;
const GROUP_PREFIX = 'group:';
const INSTANCE_STATES_ALLOWED = ['running', 'stopped'];

const INSTANCE_TARGET = /^i-[0-9a-f]{8,17}$/;
/** A target group's name as the config allows it (3-32 characters), so no name of any other shape reaches a lookup. */
const GROUP_TARGET = /^group:[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
/**
 * Characters a reader cannot see, or that change how the text around them is shown: controls (NUL, escape, newline),
 * format characters (zero-width, bidi overrides), line and paragraph separators, lone surrogates.
 */
const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

const portNumber = z
  .number()
  .check(
    z.int('must be a whole port number'),
    z.minimum(1, 'ports run from 1 to 65535'),
    z.maximum(65535, 'ports run from 1 to 65535'),
  );

/**
 * Body fields that would name a person. Who acts is the request's signed identity, so a body that names anyone is
 * refused outright, whatever else it holds.
 */
export const IDENTITY_FIELDS = [
  'requester',
  'requestedBy',
  'approver',
  'approvedBy',
  'actor',
  'person',
  'user',
  'caller',
  'identity',
  'principal',
  'arn',
] as const;

export const ticketSchema = z
  .string()
  .check(
    z.minLength(1, 'name the change or incident ticket, e.g. "CHG-1234"'),
    z.maxLength(64, 'must be at most 64 characters: give the ticket id, not its text'),
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._:#/-]*$/,
      'must be a ticket id such as "CHG-1234": letters, digits and ._:#/- only, starting with a letter or digit',
    ),
  );

/**
 * Free text approvers read (reasons, comments) is one line of visible characters: a reason of zero-width spaces
 * passes a length check while saying nothing, and a bidi override or an escape sequence can make what an approver
 * reads differ from what was sent.
 */
export const plainText = z.superRefine((text: string, ctx) => {
  const match = HIDDEN_CHARACTER.exec(text);
  if (!match) return;
  const codePoint = (match[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  const position = [...text.slice(0, match.index)].length + 1;
  ctx.addIssue({
    code: 'custom',
    input: text,
    message: `must be plain text on one line: remove the invisible or control character U+${codePoint} at character ${position}`,
  });
});

export const reasonSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(10, 'must say in at least 10 characters why the vendor needs access'),
    z.maxLength(1000, 'must be at most 1000 characters: link the ticket for details'),
    plainText,
  );

const requestBodyShape = {
  vendorId: z
    .string()
    .check(
      z.minLength(1, 'name the vendor, e.g. "acme"'),
      z.maxLength(64, 'must be at most 64 characters: name a vendor id such as "acme" (see "jit-access vendor list")'),
    ),
  targets: z
    .array(
      z
        .string()
        .check(
          z.refine(
            (t) => INSTANCE_TARGET.test(t) || GROUP_TARGET.test(t),
            'must be an instance id such as "i-0123456789abcdef0" or a target group as "group:<name>"',
          ),
        ),
    )
    .check(
      z.minLength(1, 'name at least one instance id or "group:<name>"'),
      z.maxLength(MAX_TARGETS, `name at most ${MAX_TARGETS} targets: use "group:<name>" for a whole target group`),
      z.superRefine((targets, ctx) => {
        targets.forEach((target, index) => {
          if (targets.indexOf(target) !== index) {
            ctx.addIssue({ code: 'custom', path: [index], message: `"${target}" is listed twice: remove the repeat` });
          }
        });
      }),
    ),
  durationMinutes: z.number().check(z.int('must be a whole number of minutes')),
  startAt: z.optional(
    z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time with a zone, e.g. "2030-03-01T09:00:00Z"' }),
  ),
  ticket: ticketSchema,
  reason: reasonSchema,
  ports: z.optional(
    z
      .array(
        z
          .strictObject({
            protocol: z._default(z.enum(['tcp', 'udp']), 'tcp'),
            fromPort: portNumber,
            toPort: portNumber,
          })
          .check(
            z.refine((p) => p.fromPort <= p.toPort, { message: 'must not be smaller than fromPort', path: ['toPort'] }),
          ),
      )
      .check(z.maxLength(20, 'name at most 20 port ranges')),
  ),
  breakGlass: z.optional(z.boolean()),
};

/** What a sponsor sends to create a request (and what the published API schema says). */
export const requestBodySchema = z.strictObject(requestBodyShape);

const callerSchema = z.strictObject({
  person: z.string().check(z.minLength(1), z.maxLength(64)),
  arn: z.string().check(z.minLength(1), z.maxLength(2048)),
});

/** The workflow's input: the body with the signed requester the API attached, and the grant it extends. */
const accessRequestSchema = z.strictObject({
  ...requestBodyShape,
  requester: callerSchema,
  extends: z.optional(z.string().check(z.regex(GRANT_ID_PATTERN, 'must be a grant id'))),
});

const EXPECTED_TYPES: Readonly<Record<string, string>> = {
  int: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  array: 'a list',
  object: 'an object',
};

/** A key that reads unambiguously after a dot: anything else is written quoted, as `["a.b"]` or `[""]`. */
const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

/**
 * `targets[1]`, `ports[0].toPort`, `ports[0]["a.b"]`: the path as a sponsor would write it. Never empty for a
 * non-empty path, so a refusal always names its field, whatever key a body invents.
 */
function fieldName(path: readonly PropertyKey[]): string {
  return path
    .reduce<string>((acc, key) => {
      if (typeof key === 'number') return `${acc}[${key}]`;
      const name = String(key);
      return PLAIN_KEY.test(name) ? `${acc}.${name}` : `${acc}[${JSON.stringify(name)}]`;
    }, '')
    .replace(/^\./, '');
}

function toValidationError(issue: z.core.$ZodIssue): ValidationError {
  if (issue.code === 'unrecognized_keys') {
    const field = fieldName([...issue.path, issue.keys[0] ?? '']);
    return new ValidationError(field, 'UNKNOWN_FIELD', 'is not a request field: remove it or fix the spelling');
  }
  const field = fieldName(issue.path) || 'request';
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return new ValidationError(field, 'MISSING_FIELD', 'is required');
  }
  if (issue.code === 'invalid_type') {
    return new ValidationError(field, 'INVALID_FIELD', `must be ${EXPECTED_TYPES[issue.expected] ?? issue.expected}`);
  }
  return new ValidationError(field, 'INVALID_FIELD', issue.message);
}

/** Refuses a body that names a person: the field, and why identity never comes from a body. */
export function refuseIdentityFields(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const field = IDENTITY_FIELDS.find((name) => Object.prototype.hasOwnProperty.call(body, name));
  if (field) {
    throw new ValidationError(
      field,
      'IDENTITY_IN_BODY',
      'names a person: who you are comes from your signed request, never from the body; remove the field',
    );
  }
}

/** Parses what a sponsor sent; throws ValidationError naming the first bad field. */
export function parseRequestBody(body: unknown): RequestBody {
  refuseIdentityFields(body);
  return parseInput(requestBodySchema, body);
}

/** Parses the raw workflow input into an AccessRequest; throws ValidationError naming the first bad field. */
export function parseAccessRequest(input: unknown, grantId: string): AccessRequest {
  checkGrantId(grantId);
  return { grantId, ...parseInput(accessRequestSchema, input) };
}

export function checkGrantId(grantId: string, field = 'grantId'): void {
  if (!GRANT_ID_PATTERN.test(grantId)) {
    throw new ValidationError(
      field,
      'INVALID_GRANT_ID',
      `"${grantId}" is not a grant id: use 6-48 lower-case letters, digits and dashes, starting with a letter or digit`,
    );
  }
}

/** Parses `input` with `schema`; the first problem becomes a ValidationError naming the field and the fix. */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown): z.output<S> {
  // reportInput tells a missing field (input undefined) from one of the wrong type.
  const result = schema.safeParse(input, { reportInput: true, error: issueMessage });
  if (!result.success) throw toValidationError(result.error.issues[0] as z.core.$ZodIssue);
  return result.data;
}

/** EC2 says `windows` in `Platform`, or `Windows…` in `PlatformDetails`; Linux instances carry neither. */
function isWindows(instance: InstanceFacts): boolean {
  return /^windows/i.test(instance.platform ?? '');
}

function isGroupTarget(target: string): boolean {
  return target.startsWith(GROUP_PREFIX);
}

/** The target groups the request names whole, as `group:<name>`. */
export function requestedGroupNames(request: RequestBody): string[] {
  return request.targets.filter(isGroupTarget).map((target) => target.slice(GROUP_PREFIX.length));
}

/** The instance ids named in the request's targets (targets are "i-..." ids or "group:<target-group-name>"). */
export function requestedInstanceIds(request: RequestBody): string[] {
  return request.targets.filter((target) => !isGroupTarget(target));
}

export interface InstanceFacts {
  readonly instanceId: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
  /** EC2's `Platform` (`windows`), else its `PlatformDetails` (`Windows with SQL Server ...`); absent for Linux. */
  readonly platform?: string;
}

export interface ValidatedRequest<R extends RequestBody = AccessRequest> {
  readonly request: R;
  readonly targets: ResolvedTarget[];
  readonly startAt: string;
}

export interface ValidationContext {
  readonly config: JitAccessConfig;
  readonly now: Date;
  readonly instances: readonly InstanceFacts[];
  /** The account the stack runs in: Identity Center sessions are trusted from it unless the config names others. */
  readonly stackAccountId: string;
  /** Vendors an admin disabled at run time (the ledger's vendor states); the config's own flag counts too. */
  readonly disabledVendors: ReadonlySet<string>;
  /**
   * The members of each target group the request names as `group:<name>`, by group name, as EC2 tags them now.
   * @default none: a group's members are not checked (the grant's OS-account unlock fails on a Windows one)
   */
  readonly groupInstances?: Readonly<Record<string, readonly InstanceFacts[]>>;
}

/** Applies every business rule; throws ValidationError (field, code, message with the fix) on the first broken rule. */
export function validateRequest(request: AccessRequest, context: ValidationContext): ValidatedRequest {
  const { config } = context;
  const vendor = findEnabledVendor(request.vendorId, config, context.disabledVendors);
  checkRequester(request, vendor, context);
  return validateRequestBody(request, vendor, context);
}

/**
 * Every rule about what is asked for, not who asks: targets, duration, start, ports. `plan` uses it alone to preview
 * a request offline; requests always go through validateRequest.
 */
export function validateRequestBody<R extends RequestBody>(
  request: R,
  vendor: VendorConfig,
  context: Pick<ValidationContext, 'config' | 'now' | 'instances'>,
): ValidatedRequest<R> {
  const targets = resolveTargets(request, vendor, context);
  checkDuration(request, vendor, context.config);
  const startAt = checkStart(request, context.now);
  (request.ports ?? []).forEach((port, index) => checkPort(port, `ports[${index}]`, vendor));
  return { request, targets, startAt };
}

/** The vendor, if it is configured and enabled both in the config and at run time. */
export function findEnabledVendor(
  vendorId: string,
  config: JitAccessConfig,
  disabledVendors: ReadonlySet<string>,
): VendorConfig {
  const vendor = config.vendors.find((v) => v.id === vendorId);
  if (!vendor) {
    throw new ValidationError(
      'vendorId',
      'UNKNOWN_VENDOR',
      `"${vendorId}" is not a known vendor: use one of ${config.vendors.map((v) => v.id).join(', ')}`,
    );
  }
  if (!vendor.enabled) {
    throw new ValidationError(
      'vendorId',
      'VENDOR_DISABLED',
      `vendor "${vendor.id}" is disabled in the config: ask the platform team to enable it and deploy before requesting access`,
    );
  }
  if (disabledVendors.has(vendor.id)) {
    throw new ValidationError(
      'vendorId',
      'VENDOR_DISABLED',
      `vendor "${vendor.id}" was disabled by an admin or locked out after denied attempts ("jit-access vendor list" says which): ask an admin to run "jit-access vendor enable ${vendor.id}" or "jit-access vendor unlock ${vendor.id}" first`,
    );
  }
  return vendor;
}

/**
 * The requester is a claim until its ARN resolves, under the current config, to the person it names; then that
 * person must sponsor the vendor (or, for break-glass, be a break-glass person).
 */
function checkRequester(request: AccessRequest, vendor: VendorConfig, context: ValidationContext): void {
  const { requester } = request;
  if (personOf(requester.arn, context.config, context.stackAccountId) !== requester.person) {
    throw new ValidationError(
      'requester',
      'IDENTITY_MISMATCH',
      `${requester.arn} is not ${requester.person} under the current config: request again through the API`,
    );
  }
  if (request.breakGlass) {
    if (!isBreakGlassPerson(requester.person, context.config)) {
      throw new ValidationError(
        'breakGlass',
        'NOT_BREAK_GLASS',
        `${requester.person} may not use break-glass: ask a break-glass person (${context.config.breakGlass.people.join(', ') || 'none configured'}), or request with approval`,
      );
    }
    return;
  }
  if (!isSponsor(requester.person, vendor)) {
    throw new ValidationError(
      'vendorId',
      'NOT_A_SPONSOR',
      `${requester.person} is not a sponsor of vendor "${vendor.id}": ask one of its sponsors (${vendor.sponsors.join(', ')}) to request access`,
    );
  }
}

/** Groups the targets by target group, in the order the request first names each group. */
function resolveTargets(
  request: RequestBody,
  vendor: VendorConfig,
  context: Pick<ValidationContext, 'config' | 'instances' | 'groupInstances'>,
): ResolvedTarget[] {
  const eligibleGroups = context.config.targetGroups.filter((g) => vendor.eligibleTargetGroups.includes(g.name));
  const eligibleNames = eligibleGroups.map((g) => g.name).join(', ');
  const byGroup = new Map<string, ResolvedTarget>();
  request.targets.forEach((target, index) => {
    const field = `targets[${index}]`;
    if (isGroupTarget(target)) {
      const group = findEligibleGroup(target.slice(GROUP_PREFIX.length), field, vendor, context.config, eligibleNames);
      const windows = (context.groupInstances?.[group.name] ?? []).filter(isWindows).map((i) => i.instanceId);
      if (windows.length > 0) {
        throw new ValidationError(
          field,
          'WINDOWS_NOT_SUPPORTED',
          `target group "${group.name}" holds Windows instances (${windows.join(', ')}): Session Manager's Run As does not apply there (sessions run as ssm-user, an administrator) and the OS-account lock is a Linux script; name its Linux instances one by one, or ask the platform team to move the Windows ones out of the group`,
        );
      }
      // A whole group already covers any instance of it named on its own.
      byGroup.set(group.name, {
        kind: 'group',
        targetGroup: group.name,
        tagKey: group.tagKey,
        tagValue: group.tagValue,
      });
      return;
    }
    const group = findInstanceGroup(target, field, vendor, context.instances, eligibleGroups, eligibleNames);
    const existing = byGroup.get(group.name);
    if (existing?.kind === 'group') return;
    const instanceIds = existing?.kind === 'instances' ? existing.instanceIds : [];
    if (!instanceIds.includes(target)) {
      byGroup.set(group.name, { kind: 'instances', targetGroup: group.name, instanceIds: [...instanceIds, target] });
    }
  });
  return [...byGroup.values()];
}

function findEligibleGroup(
  name: string,
  field: string,
  vendor: VendorConfig,
  config: JitAccessConfig,
  eligibleNames: string,
): TargetGroupConfig {
  const group = config.targetGroups.find((g) => g.name === name);
  if (!group) {
    throw new ValidationError(
      field,
      'UNKNOWN_TARGET_GROUP',
      `"${name}" is not a target group: use one of ${config.targetGroups.map((g) => g.name).join(', ')}`,
    );
  }
  if (!vendor.eligibleTargetGroups.includes(name)) {
    throw new ValidationError(
      field,
      'TARGET_NOT_ELIGIBLE',
      `vendor "${vendor.id}" is not eligible for target group "${name}": request one of ${eligibleNames}`,
    );
  }
  return group;
}

function findInstanceGroup(
  instanceId: string,
  field: string,
  vendor: VendorConfig,
  instances: readonly InstanceFacts[],
  eligibleGroups: readonly TargetGroupConfig[],
  eligibleNames: string,
): TargetGroupConfig {
  const instance = instances.find((i) => i.instanceId === instanceId);
  if (!instance) {
    throw new ValidationError(
      field,
      'UNKNOWN_INSTANCE',
      `instance ${instanceId} was not found in this account and region: check the id`,
    );
  }
  if (!INSTANCE_STATES_ALLOWED.includes(instance.state)) {
    throw new ValidationError(
      field,
      'INSTANCE_NOT_RUNNING',
      `instance ${instanceId} is ${instance.state}: only running or stopped instances can be granted, name a live instance`,
    );
  }
  if (isWindows(instance)) {
    throw new ValidationError(
      field,
      'WINDOWS_NOT_SUPPORTED',
      `instance ${instanceId} runs Windows: Session Manager's Run As does not apply there (sessions run as ssm-user, an administrator) and the OS-account lock is a Linux script; name a Linux instance`,
    );
  }
  // Config order decides when an instance carries the tags of two eligible groups, so the result never depends on tag order.
  const group = eligibleGroups.find((g) => instance.tags[g.tagKey] === g.tagValue);
  if (!group) {
    throw new ValidationError(
      field,
      'TARGET_NOT_ELIGIBLE',
      `instance ${instanceId} is in none of vendor "${vendor.id}"'s target groups: request an instance tagged for one of ${eligibleNames}`,
    );
  }
  return group;
}

function checkDuration(request: RequestBody, vendor: VendorConfig, config: JitAccessConfig): void {
  const { durationMinutes } = request;
  if (durationMinutes < MIN_DURATION_MINUTES) {
    throw new ValidationError(
      'durationMinutes',
      'DURATION_TOO_SHORT',
      `${durationMinutes} minutes is too short: request at least ${MIN_DURATION_MINUTES} minutes`,
    );
  }
  if (request.breakGlass && durationMinutes > config.breakGlass.maxMinutes) {
    throw new ValidationError(
      'durationMinutes',
      'DURATION_TOO_LONG',
      `${durationMinutes} minutes is longer than break-glass allows: request at most ${config.breakGlass.maxMinutes} minutes`,
    );
  }
  const maxMinutes = vendor.maxGrantHours * 60;
  if (durationMinutes > maxMinutes) {
    throw new ValidationError(
      'durationMinutes',
      'DURATION_TOO_LONG',
      `${durationMinutes} minutes is longer than vendor "${vendor.id}" allows: request at most ${maxMinutes} minutes (${vendor.maxGrantHours} h)`,
    );
  }
}

function checkStart(request: RequestBody, now: Date): string {
  const { startAt } = request;
  if (startAt === undefined) return now.toISOString();
  if (request.breakGlass) {
    throw new ValidationError(
      'startAt',
      'BREAK_GLASS_STARTS_NOW',
      'break-glass access starts at once: leave startAt out',
    );
  }
  const start = new Date(startAt);
  if (Number.isNaN(start.getTime())) {
    throw new ValidationError('startAt', 'INVALID_FIELD', 'must be an ISO-8601 date-time with a zone');
  }
  if (start.getTime() < now.getTime() - START_CLOCK_SKEW_SECONDS * 1000) {
    throw new ValidationError(
      'startAt',
      'START_IN_PAST',
      `${startAt} is in the past: give a future start, or leave startAt out to start as soon as approved`,
    );
  }
  if (start.getTime() > now.getTime() + MAX_START_AHEAD_DAYS * 24 * 60 * 60 * 1000) {
    throw new ValidationError(
      'startAt',
      'START_TOO_FAR',
      `${startAt} is more than ${MAX_START_AHEAD_DAYS} days ahead: request again closer to the start`,
    );
  }
  return start.toISOString();
}

function describeRange(range: PortRequest | PortRange): string {
  const ports = range.fromPort === range.toPort ? `${range.fromPort}` : `${range.fromPort}-${range.toPort}`;
  return `${range.protocol}/${ports}`;
}

function checkPort(port: PortRequest, field: string, vendor: VendorConfig): void {
  if (vendor.ports.length === 0) {
    throw new ValidationError(
      field,
      'PORT_NOT_ALLOWED',
      `vendor "${vendor.id}" has no network ports allowed: remove ports (a Session Manager shell needs no inbound port)`,
    );
  }
  const allowed = vendor.ports.some(
    (range) => range.protocol === port.protocol && range.fromPort <= port.fromPort && port.toPort <= range.toPort,
  );
  if (!allowed) {
    throw new ValidationError(
      field,
      'PORT_NOT_ALLOWED',
      `${describeRange(port)} is not allowed for vendor "${vendor.id}": request within ${vendor.ports.map(describeRange).join(', ')}`,
    );
  }
}
