import { randomUUID } from 'node:crypto';
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { lazyClient } from './lazy-client';
import { assertTransitions } from '../domain/grant-state';
import type { DeniedAttempt } from '../domain/lockout';
import type { OsUserHold, OsUserHolders } from '../domain/os-accounts';
import type {
  CreatedResources,
  GrantLockout,
  GrantRecord,
  GrantStatus,
  HistoryEntry,
  IngressRule,
  OsAccountEntry,
  Vote,
} from '../domain/types';
import type { AdapterMaker } from '../shared/dependencies';

/** A vendor an admin disabled (or enabled again) at run time, on top of the config's own `enabled`. */
export interface VendorState {
  readonly vendorId: string;
  readonly disabled: boolean;
  readonly reason: string;
  readonly actor: string;
  readonly at: string;
}

/** A break-glass grant waiting for its after-the-fact approval. */
export interface ReviewDue {
  readonly grantId: string;
  readonly reviewBy: string;
}

/** A temporary ingress rule shared by the grants that hold it (reference counting). */
export interface RuleHolding {
  readonly ruleId?: string;
  readonly holders: readonly string[];
}

/** A rule a release left open, and the grants that hold it now. */
export interface KeptRule {
  readonly key: string;
  readonly holders: readonly string[];
}

export interface ReleasedRules {
  /** Rules no grant holds any more: close them (a missing `ruleId` means the id was never recorded). */
  readonly released: readonly { readonly key: string; readonly ruleId?: string }[];
  /** Rules other grants still hold, with those grants: left open. */
  readonly kept: readonly KeptRule[];
}

/** A lock that did not hold: the grant reopens for the sweeper, with the instance as residue. */
export interface LockFailure {
  /** The status the grant was read in: the write happens only if it is still there. */
  readonly from: GrantStatus;
  readonly to: GrantStatus;
  /** The residue line of the instance (`<instance>: lock <status> (command <id>)`). */
  readonly residue: string;
  readonly entry: HistoryEntry;
}

/** Extra fields written with a status change. */
export type GrantUpdate = Partial<
  Pick<
    GrantRecord,
    | 'expiresAt'
    | 'residueCheck'
    | 'revokeReason'
    | 'plan'
    | 'approvedPlan'
    | 'approvals'
    | 'breakGlass'
    | 'created'
    | 'lockout'
    | 'osAccount'
    | 'lockCommandIds'
  >
>;

/** The grant ledger: the only place a grant's state, votes, task token and created resources are kept. */
export interface Ledger {
  /** The grant with its whole history, oldest entry first. */
  getGrant(grantId: string): Promise<GrantRecord | undefined>;
  /**
   * Writes a new grant, a PENDING one with its task token. A retried approval step gets a new token from Step
   * Functions: for a grant still PENDING a different token replaces the old one ('token-replaced'); the same token
   * again, or a grant no longer pending, changes nothing ('unchanged'). A break-glass grant is written without one.
   */
  createGrant(record: GrantRecord, taskToken?: string): Promise<'created' | 'token-replaced' | 'unchanged'>;
  getTaskToken(grantId: string): Promise<string | undefined>;
  /** Removes the task token once the approval step has ended: nobody can answer it afterwards. */
  forgetTaskToken(grantId: string): Promise<void>;
  /** Records one vote per person; returns false when this person has already voted. */
  recordVote(grantId: string, vote: Vote): Promise<boolean>;
  listVotes(grantId: string): Promise<Vote[]>;
  /**
   * Moves the grant to `to` only if it is in one of `from`; returns false when it was not (someone else moved it).
   * Every change from `from` to `to` must be one the transition table (domain/grant-state.ts) holds: otherwise it
   * throws a TransitionError and writes nothing.
   */
  transition(
    grantId: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    entry: HistoryEntry,
    update?: GrantUpdate,
  ): Promise<boolean>;
  recordCreated(grantId: string, created: Partial<CreatedResources>): Promise<void>;
  appendHistory(grantId: string, entry: HistoryEntry, update?: GrantUpdate): Promise<void>;
  /**
   * Grants in a status, optionally only those whose expiry is at or before `expiresBefore`. Their `history` is empty:
   * a grant's history is kept as items of its own, read with `getGrant`, so listing many grants stays one query.
   */
  grantsByStatus(status: GrantStatus, expiresBefore?: string): Promise<GrantRecord[]>;
  /** Adds the grant to the rule's holders and returns the holding as it is now. */
  acquireRule(rule: IngressRule, key: string, grantId: string): Promise<RuleHolding>;
  /**
   * Adds the grant to the holders of every rule and, given its `hold`, of its OS user (one transaction) and returns
   * each rule's holding as it is now (one consistent batch read): a rule with a `ruleId` is already open, shared with
   * its other holders.
   */
  acquireRules(
    rules: readonly { readonly key: string; readonly rule: IngressRule }[],
    grantId: string,
    hold?: OsUserHold,
  ): Promise<Map<string, RuleHolding>>;
  /**
   * Starts a revoke in one transaction: moves the grant from one of `from` to `to` (with `entry` and `update`, as
   * `transition` does) and, as their only holder, forgets each of its rules (`ruleIds`: the ids it recorded, by rule
   * key) and its hold on its OS user. False, with nothing written, when any of that does not hold (the grant moved on,
   * another grant shares a rule or the OS user, a hold already let go): the caller then does each part on its own.
   */
  startRevoke(
    grantId: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    entry: HistoryEntry,
    update: GrantUpdate,
    release: { readonly ruleIds: ReadonlyMap<string, string>; readonly hold?: OsUserHold },
  ): Promise<boolean>;
  /**
   * Records how one of the grant's lock commands ended on one instance, only if the grant sent it (`entry.commandId`
   * is in its `lockCommandIds`). With `failed`, also moves the grant as `failed` says and adds the residue line and
   * the history entry. False, with nothing written, when a condition did not hold.
   */
  recordLockOutcome(grantId: string, instanceId: string, entry: OsAccountEntry, failed?: LockFailure): Promise<boolean>;
  /** Lets go of the grant's hold on its OS user and answers who holds that user now. */
  releaseOsUser(hold: OsUserHold, grantId: string): Promise<OsUserHolders>;
  /** Who holds each of these OS users (consistent batch reads); a user nobody holds has no entry. */
  osUserHolders(osUsers: readonly string[]): Promise<Map<string, OsUserHolders>>;
  /** Records the ids of rules just opened (one transaction). */
  setRuleIds(ruleIds: ReadonlyMap<string, string>): Promise<void>;
  /** The holdings of these rules, by key (consistent batch reads); a rule nobody holds has no entry. */
  getRules(keys: readonly string[]): Promise<Map<string, RuleHolding>>;
  /**
   * Lets go of the grant's holdings of these rules in one transaction: a rule only this grant held is forgotten and
   * returned as `released` (with its id, for closing); one that others hold stays theirs (`kept`). A holding that
   * changes under it (another grant acquiring a rule) cancels the transaction, which is tried again on a fresh read;
   * after three tries it throws and the caller falls back to one rule at a time. With `ruleIds` for every key (the
   * ids the grant recorded), it first tries without reading: one transaction that forgets each rule on condition that
   * this grant is its only holder.
   */
  releaseRules(keys: readonly string[], grantId: string, ruleIds?: ReadonlyMap<string, string>): Promise<ReleasedRules>;
  setRuleId(key: string, ruleId: string): Promise<void>;
  /** Removes the grant from the rule's holders and returns who still holds it. */
  releaseRule(key: string, grantId: string): Promise<RuleHolding | undefined>;
  /** Deletes the rule's record only if nobody holds it; returns false when someone acquired it meanwhile. */
  forgetRuleIfUnheld(key: string): Promise<boolean>;
  getRule(key: string): Promise<RuleHolding | undefined>;
  /** Every vendor state an admin set (one query). */
  vendorStates(): Promise<VendorState[]>;
  /** Sets the vendor's run-time state and appends it to the vendor's history. */
  setVendorState(state: VendorState): Promise<void>;
  /** Every state the vendor was given at run time, oldest first: who disabled or enabled it, when, and why. */
  vendorHistory(vendorId: string): Promise<VendorState[]>;
  /** Records a denied attempt once per CloudTrail event id; false when that event was recorded before. */
  recordAttempt(attempt: DeniedAttempt): Promise<boolean>;
  /** The vendor's recorded attempts made from `from` to `to` (both included), oldest first. */
  attemptsBetween(vendorId: string, from: string, to: string): Promise<DeniedAttempt[]>;
  /**
   * Marks the grant locked out and appends `entry` to its history, only if it was not locked out already: false when
   * it was (another run crossed the threshold first), or when there is no such grant.
   */
  markLockout(grantId: string, lockout: GrantLockout, entry: HistoryEntry): Promise<boolean>;
  /** Notes a break-glass grant's review deadline, so the sweeper finds it without scanning. */
  addReviewDue(review: ReviewDue): Promise<void>;
  /** Break-glass reviews whose deadline is at or before `instant`. */
  reviewsDueBy(instant: string): Promise<ReviewDue[]>;
  removeReviewDue(review: ReviewDue): Promise<void>;
}

const grantKey = (grantId: string) => ({ pk: `GRANT#${grantId}`, sk: 'GRANT' });
const GRANT_SK = 'GRANT';
const HISTORY_PREFIX = 'HIST#';
/** Counts the entries this process writes, so that entries written in the same millisecond keep their order. */
let historySequence = 0;

/**
 * One history entry's own item, `HIST#<at>#<sequence>#<random>`: history entries sort by time, then by the order
 * this process wrote them (entries from two processes in the same millisecond may interleave either way). A grant's
 * history is not a list in the grant item: DynamoDB items stop at 400 KB, and a grant may collect thousands of
 * entries (votes, extensions, sweeper notes).
 */
function historyItem(grantId: string, entry: HistoryEntry): Record<string, unknown> {
  historySequence += 1;
  const sequence = String(historySequence).padStart(12, '0');
  return { pk: `GRANT#${grantId}`, sk: `${HISTORY_PREFIX}${entry.at}#${sequence}#${randomUUID().slice(0, 8)}`, entry };
}
const ruleKey = (key: string) => ({ pk: `RULE#${key}`, sk: 'RULE' });
/** One item per OS user: `holders` (grant ids) and `reach` (`<grantId>|<reach entry>`), both string sets. */
const osUserKey = (osUser: string) => ({ pk: `OSUSER#${osUser}`, sk: 'OSUSER' });
const reachOf = (hold: OsUserHold, grantId: string) => new Set(hold.reach.map((entry) => `${grantId}|${entry}`));
const VENDORS_PK = 'VENDORS';
/** A vendor's denied attempts, sorted by time (then event id) within the vendor's partition. */
const attemptsPk = (vendorId: string) => `ATTEMPTS#${vendorId}`;
/** One item per CloudTrail event counted: a record delivered again is the same attempt. */
const attemptEventKey = (eventId: string) => ({ pk: `ATTEMPT_EVENT#${eventId}`, sk: 'ATTEMPT_EVENT' });
const REVIEWS_PK = 'BREAK_GLASS_REVIEWS';
const reviewKey = (review: ReviewDue) => ({ pk: REVIEWS_PK, sk: `${review.reviewBy}#${review.grantId}` });

function isConditionFailure(error: unknown): boolean {
  return (error as Error)?.name === 'ConditionalCheckFailedException';
}

/** A transaction cancelled because one of its conditions did not hold (not throttling or a conflict). */
function isTransactionConditionFailure(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] })?.CancellationReasons ?? [];
  return (
    (error as Error)?.name === 'TransactionCanceledException' &&
    reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

/** Another transaction was writing the same item: the whole transaction may be tried again. */
function isTransactionConflict(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] })?.CancellationReasons ?? [];
  return (
    (error as Error)?.name === 'TransactionCanceledException' &&
    reasons.some((reason) => reason.Code === 'TransactionConflict') &&
    !reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

/** A status change and its history entry are one transaction; a conflict with another writer is retried. */
const CONFLICT_ATTEMPTS = 3;

/** DynamoDB takes at most 100 items per transaction and per batch read. */
const BATCH_LIMIT = 100;
const RELEASE_ATTEMPTS = 3;

function chunks<T>(items: readonly T[], size = BATCH_LIMIT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Plans are stored as their JSON text, not as nested maps: a plan is a document (the policies IAM receives as text,
 * the rules, the window) that is written whole and read whole, never updated in part. As text it is one attribute
 * instead of hundreds, which keeps each grant item cheap to read, copy and page through (the sweeper reads every
 * live grant on each run), and the stored text is exactly what was hashed and approved.
 */
const PLAN_FIELDS = ['plan', 'approvedPlan'] as const;

function planAsText(field: string, value: unknown): unknown {
  return (PLAN_FIELDS as readonly string[]).includes(field) && value !== undefined ? JSON.stringify(value) : value;
}

function planFromText(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

/** The grant item: every field but the history, whose entries are items of their own. */
function toItem(record: GrantRecord): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record)
      .filter(([field]) => field !== 'history')
      .map(([field, value]) => [field, planAsText(field, value)]),
  );
}

/**
 * A grant's items as the ledger stores them: the grant item (without a task token), then one item per history entry.
 * For loading grants in bulk (BatchWriteItem), e.g. to seed a benchmark; the ledger itself writes them in transactions.
 */
export function grantItems(record: GrantRecord): Record<string, unknown>[] {
  return [
    { ...grantKey(record.grantId), ...toItem(record) },
    ...record.history.map((entry) => historyItem(record.grantId, entry)),
  ];
}

function updateClauses(update: GrantUpdate): {
  sets: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const sets: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(update)) {
    if (value === undefined) continue;
    sets.push(`#u_${field} = :u_${field}`);
    names[`#u_${field}`] = field;
    values[`:u_${field}`] = planAsText(field, value);
  }
  return { sets, names, values };
}

/**
 * The grant from its item and its history items. A grant written before history had items of its own keeps its
 * older entries in the item's `history` list: they come first.
 */
function toGrant(
  item: Record<string, unknown> | undefined,
  historyItems: readonly Record<string, unknown>[] = [],
): GrantRecord | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, taskToken: _token, plan, approvedPlan, history, ...grant } = item;
  const inline = Array.isArray(history) ? (history as HistoryEntry[]) : [];
  return {
    ...grant,
    plan: planFromText(plan),
    ...(approvedPlan === undefined ? {} : { approvedPlan: planFromText(approvedPlan) }),
    history: [...inline, ...historyItems.map((h) => h.entry as HistoryEntry)],
  } as unknown as GrantRecord;
}

function toOsUserHolders(item: Record<string, unknown>): OsUserHolders {
  const holders: Record<string, string[]> = {};
  for (const grantId of item.holders instanceof Set ? (item.holders as Set<string>) : []) holders[grantId] = [];
  for (const entry of item.reach instanceof Set ? (item.reach as Set<string>) : []) {
    const at = entry.indexOf('|');
    holders[entry.slice(0, at)]?.push(entry.slice(at + 1));
  }
  return holders;
}

/** The conditional update that moves a grant from one of `from` to `to` (its history entry is an item of its own). */
function transitionUpdate(
  tableName: string,
  grantId: string,
  from: readonly GrantStatus[],
  to: GrantStatus,
  entry: HistoryEntry,
  update: GrantUpdate,
) {
  const extra = updateClauses(update);
  const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
  return {
    TableName: tableName,
    Key: grantKey(grantId),
    UpdateExpression: ['SET #status = :to, updatedAt = :at', ...extra.sets].join(', '),
    ConditionExpression: `attribute_exists(pk) AND #status IN (${Object.keys(fromValues).join(', ')})`,
    ExpressionAttributeNames: { '#status': 'status', ...extra.names },
    ExpressionAttributeValues: { ':to': to, ':at': entry.at, ...fromValues, ...extra.values },
  };
}

function toVendorState(item: Record<string, unknown>): VendorState {
  return {
    vendorId: item.vendorId as string,
    disabled: item.disabled === true,
    reason: item.reason as string,
    actor: item.actor as string,
    at: item.at as string,
  };
}

function toAttempt(item: Record<string, unknown>): DeniedAttempt {
  return {
    eventId: item.eventId as string,
    at: item.at as string,
    grantId: item.grantId as string,
    vendorId: item.vendorId as string,
    action: item.action as string,
    errorCode: item.errorCode as string,
    caller: item.caller as string,
    ...(typeof item.sourceIp === 'string' ? { sourceIp: item.sourceIp } : {}),
  };
}

function toHolding(item: Record<string, unknown>): RuleHolding {
  const holders = item.holders instanceof Set ? [...(item.holders as Set<string>)] : [];
  return { holders, ...(typeof item.ruleId === 'string' ? { ruleId: item.ruleId } : {}) };
}

export interface DynamoLedgerOptions {
  /**
   * Items per page when a grant and its history are read (tests make it small to force many pages).
   * @default undefined (DynamoDB's own 1 MB pages)
   */
  readonly pageSize?: number;
}

export class DynamoLedger implements Ledger {
  private readonly aws;

  constructor(
    private readonly tableName: string,
    config: AwsClientConfig,
    private readonly options: DynamoLedgerOptions = {},
  ) {
    // The document client marshals plain values; both SDK modules load on first use.
    this.aws = lazyClient(
      async () => ({ dynamodb: await import('@aws-sdk/client-dynamodb'), doc: await import('@aws-sdk/lib-dynamodb') }),
      ({ dynamodb, doc }) =>
        doc.DynamoDBDocumentClient.from(new dynamodb.DynamoDBClient(config), {
          marshallOptions: { removeUndefinedValues: true },
        }),
    );
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const { sdk, client } = await this.aws();
    let grant: Record<string, unknown> | undefined;
    const history: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      // 'GRANT' sorts before 'HIST#…', and '$' after '#': one query reads the grant item and its history, in order.
      const result = await client.send(
        new sdk.doc.QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :grant AND :historyEnd',
          ExpressionAttributeValues: {
            ':pk': grantKey(grantId).pk,
            ':grant': GRANT_SK,
            ':historyEnd': `${HISTORY_PREFIX.slice(0, -1)}$`,
          },
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
          ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
        }),
      );
      for (const item of result.Items ?? []) {
        if (item.sk === GRANT_SK) grant = item;
        else if (String(item.sk).startsWith(HISTORY_PREFIX)) history.push(item);
      }
      cursor = result.LastEvaluatedKey;
    } while (cursor);
    return toGrant(grant, history);
  }

  /** Every item a consistent query of the table finds, page after page (DynamoDB answers at most 1 MB a page). */
  private async queryAll(
    query: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'>,
  ): Promise<Record<string, unknown>[]> {
    const { sdk, client } = await this.aws();
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const result = await client.send(
        new sdk.doc.QueryCommand({
          TableName: this.tableName,
          ...query,
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
          ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
        }),
      );
      items.push(...(result.Items ?? []));
      cursor = result.LastEvaluatedKey;
    } while (cursor);
    return items;
  }

  /** Writes `writes` in one transaction, again when another transaction conflicted with it. */
  private async transact(writes: readonly Record<string, unknown>[]): Promise<void> {
    const { sdk, client } = await this.aws();
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new sdk.doc.TransactWriteCommand({ TransactItems: [...writes] }));
        return;
      } catch (error) {
        if (!isTransactionConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  private historyPut(grantId: string, entry: HistoryEntry): Record<string, unknown> {
    return { Put: { TableName: this.tableName, Item: historyItem(grantId, entry) } };
  }

  async createGrant(record: GrantRecord, taskToken?: string): Promise<'created' | 'token-replaced' | 'unchanged'> {
    const { sdk, client } = await this.aws();
    const [first = [], ...rest] = chunks(record.history, BATCH_LIMIT - 1);
    try {
      await this.transact([
        {
          Put: {
            TableName: this.tableName,
            Item: { ...grantKey(record.grantId), ...toItem(record), ...(taskToken ? { taskToken } : {}) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...first.map((entry) => this.historyPut(record.grantId, entry)),
      ]);
      for (const chunk of rest) await this.transact(chunk.map((entry) => this.historyPut(record.grantId, entry)));
      return 'created';
    } catch (error) {
      if (!isTransactionConditionFailure(error)) throw error;
    }
    if (!taskToken) return 'unchanged';
    try {
      await client.send(
        new sdk.doc.UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(record.grantId),
          UpdateExpression: 'SET taskToken = :token',
          ConditionExpression: '#status = :pending AND taskToken <> :token',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': taskToken, ':pending': 'PENDING' },
        }),
      );
      return 'token-replaced';
    } catch (error) {
      if (isConditionFailure(error)) return 'unchanged';
      throw error;
    }
  }

  async getTaskToken(grantId: string): Promise<string | undefined> {
    const { sdk, client } = await this.aws();
    const result = await client.send(
      new sdk.doc.GetCommand({
        TableName: this.tableName,
        Key: grantKey(grantId),
        ProjectionExpression: 'taskToken',
        ConsistentRead: true,
      }),
    );
    return result.Item?.taskToken as string | undefined;
  }

  async forgetTaskToken(grantId: string): Promise<void> {
    const { sdk, client } = await this.aws();
    try {
      await client.send(
        new sdk.doc.UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(grantId),
          UpdateExpression: 'REMOVE taskToken',
          // Without the condition an update of a missing grant would create an empty item.
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async recordVote(grantId: string, vote: Vote): Promise<boolean> {
    const { sdk, client } = await this.aws();
    try {
      await client.send(
        new sdk.doc.PutCommand({
          TableName: this.tableName,
          Item: { pk: `GRANT#${grantId}`, sk: `VOTE#${vote.person}`, ...vote },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listVotes(grantId: string): Promise<Vote[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :vote)',
      ExpressionAttributeValues: { ':pk': `GRANT#${grantId}`, ':vote': 'VOTE#' },
    });
    return items.map((item) => ({
      person: item.person as string,
      arn: item.arn as string,
      decision: item.decision as Vote['decision'],
      at: item.at as string,
      planHash: item.planHash as string,
      ...(typeof item.comment === 'string' ? { comment: item.comment } : {}),
    }));
  }

  async transition(
    grantId: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    entry: HistoryEntry,
    update: GrantUpdate = {},
  ): Promise<boolean> {
    assertTransitions(from, to);
    try {
      await this.transact([
        { Update: transitionUpdate(this.tableName, grantId, from, to, entry, update) },
        this.historyPut(grantId, entry),
      ]);
      return true;
    } catch (error) {
      if (isTransactionConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordCreated(grantId: string, created: Partial<CreatedResources>): Promise<void> {
    const { sdk, client } = await this.aws();
    const entries = Object.entries(created).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    await client.send(
      new sdk.doc.UpdateCommand({
        TableName: this.tableName,
        Key: grantKey(grantId),
        UpdateExpression: `SET ${entries.map(([field]) => `created.#c_${field} = :c_${field}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([field]) => [`#c_${field}`, field])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([field, value]) => [`:c_${field}`, value])),
      }),
    );
  }

  async appendHistory(grantId: string, entry: HistoryEntry, update: GrantUpdate = {}): Promise<void> {
    const extra = updateClauses(update);
    try {
      await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: grantKey(grantId),
            UpdateExpression: ['SET updatedAt = :at', ...extra.sets].join(', '),
            ConditionExpression: 'attribute_exists(pk)',
            ...(Object.keys(extra.names).length > 0 ? { ExpressionAttributeNames: extra.names } : {}),
            ExpressionAttributeValues: { ':at': entry.at, ...extra.values },
          },
        },
        this.historyPut(grantId, entry),
      ]);
    } catch (error) {
      // As an update of a missing grant did before history had items of its own.
      if (isTransactionConditionFailure(error)) {
        throw Object.assign(new Error(`The conditional request failed: no grant ${grantId}`), {
          name: 'ConditionalCheckFailedException',
        });
      }
      throw error;
    }
  }

  async grantsByStatus(status: GrantStatus, expiresBefore?: string): Promise<GrantRecord[]> {
    const { sdk, client } = await this.aws();
    const grants: GrantRecord[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const result = await client.send(
        new sdk.doc.QueryCommand({
          TableName: this.tableName,
          IndexName: 'byStatus',
          KeyConditionExpression: expiresBefore ? '#status = :status AND expiresAt <= :before' : '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ...(expiresBefore ? { ':before': expiresBefore } : {}) },
          ExclusiveStartKey: cursor,
        }),
      );
      // The history stays out of listings (see the interface); a grant from before history items had its own
      // is listed the same way.
      for (const item of result.Items ?? []) grants.push({ ...(toGrant(item) as GrantRecord), history: [] });
      cursor = result.LastEvaluatedKey;
    } while (cursor);
    return grants;
  }

  async acquireRule(rule: IngressRule, key: string, grantId: string): Promise<RuleHolding> {
    const { sdk, client } = await this.aws();
    const result = await client.send(
      new sdk.doc.UpdateCommand({
        TableName: this.tableName,
        Key: ruleKey(key),
        UpdateExpression: 'ADD holders :grant SET #rule = if_not_exists(#rule, :rule)',
        ExpressionAttributeNames: { '#rule': 'rule' },
        ExpressionAttributeValues: { ':grant': new Set([grantId]), ':rule': rule },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toHolding(result.Attributes ?? {});
  }

  async setRuleId(key: string, ruleId: string): Promise<void> {
    const { sdk, client } = await this.aws();
    await client.send(
      new sdk.doc.UpdateCommand({
        TableName: this.tableName,
        Key: ruleKey(key),
        UpdateExpression: 'SET ruleId = :id',
        ExpressionAttributeValues: { ':id': ruleId },
      }),
    );
  }

  async releaseRule(key: string, grantId: string): Promise<RuleHolding | undefined> {
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(
        new sdk.doc.UpdateCommand({
          TableName: this.tableName,
          Key: ruleKey(key),
          UpdateExpression: 'DELETE holders :grant',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':grant': new Set([grantId]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toHolding(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async forgetRuleIfUnheld(key: string): Promise<boolean> {
    const { sdk, client } = await this.aws();
    try {
      await client.send(
        new sdk.doc.DeleteCommand({
          TableName: this.tableName,
          Key: ruleKey(key),
          ConditionExpression: 'attribute_not_exists(holders)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getRule(key: string): Promise<RuleHolding | undefined> {
    const { sdk, client } = await this.aws();
    const result = await client.send(
      new sdk.doc.GetCommand({ TableName: this.tableName, Key: ruleKey(key), ConsistentRead: true }),
    );
    return result.Item ? toHolding(result.Item) : undefined;
  }

  async acquireRules(
    rules: readonly { readonly key: string; readonly rule: IngressRule }[],
    grantId: string,
    hold?: OsUserHold,
  ): Promise<Map<string, RuleHolding>> {
    if (rules.length === 0 && !hold) return new Map();
    const { sdk, client } = await this.aws();
    const ruleWrites = rules.map(({ key, rule }) => ({
      Update: {
        TableName: this.tableName,
        Key: ruleKey(key),
        UpdateExpression: 'ADD holders :grant SET #rule = if_not_exists(#rule, :rule)',
        ExpressionAttributeNames: { '#rule': 'rule' },
        ExpressionAttributeValues: { ':grant': new Set([grantId]), ':rule': rule },
      },
    }));
    // The OS user's hold rides the first transaction: a grant with rules pays no call for it.
    const holdWrites = hold
      ? [
          {
            Update: {
              TableName: this.tableName,
              Key: osUserKey(hold.osUser),
              UpdateExpression: 'ADD holders :grant, reach :reach',
              ExpressionAttributeValues: { ':grant': new Set([grantId]), ':reach': reachOf(hold, grantId) },
            },
          },
        ]
      : [];
    for (const chunk of chunks<Record<string, unknown>>([...holdWrites, ...ruleWrites])) {
      await client.send(new sdk.doc.TransactWriteCommand({ TransactItems: chunk }));
    }
    return this.getRules(rules.map((r) => r.key));
  }

  async startRevoke(
    grantId: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    entry: HistoryEntry,
    update: GrantUpdate,
    release: { readonly ruleIds: ReadonlyMap<string, string>; readonly hold?: OsUserHold },
  ): Promise<boolean> {
    const soleHolder = { ConditionExpression: 'size(holders) = :one AND contains(holders, :me)' };
    const soleHolderValues = { ExpressionAttributeValues: { ':one': 1, ':me': grantId } };
    assertTransitions(from, to);
    const items: Record<string, unknown>[] = [
      { Update: transitionUpdate(this.tableName, grantId, from, to, entry, update) },
      this.historyPut(grantId, entry),
      ...[...release.ruleIds.keys()].map((key) => ({
        Delete: { TableName: this.tableName, Key: ruleKey(key), ...soleHolder, ...soleHolderValues },
      })),
      ...(release.hold
        ? [
            {
              Delete: {
                TableName: this.tableName,
                Key: osUserKey(release.hold.osUser),
                ...soleHolder,
                ...soleHolderValues,
              },
            },
          ]
        : []),
    ];
    if (items.length > BATCH_LIMIT) return false;
    const { sdk, client } = await this.aws();
    try {
      await client.send(new sdk.doc.TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      if (isTransactionConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordLockOutcome(
    grantId: string,
    instanceId: string,
    entry: OsAccountEntry,
    failed?: LockFailure,
  ): Promise<boolean> {
    const { sdk, client } = await this.aws();
    const sets = ['osAccount.#instance = :outcome'];
    const conditions = ['contains(lockCommandIds, :command)', 'attribute_exists(osAccount)'];
    const names: Record<string, string> = { '#instance': instanceId };
    const values: Record<string, unknown> = { ':outcome': entry, ':command': entry.commandId };
    if (failed) {
      sets.push(
        '#status = :to',
        'updatedAt = :at',
        'residueCheck.residue.osAccounts = list_append(residueCheck.residue.osAccounts, :residue)',
      );
      conditions.push('#status = :from', 'attribute_exists(residueCheck)');
      names['#status'] = 'status';
      Object.assign(values, {
        ':to': failed.to,
        ':from': failed.from,
        ':at': failed.entry.at,
        ':residue': [failed.residue],
      });
    }
    const update = {
      TableName: this.tableName,
      Key: grantKey(grantId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    try {
      if (failed) {
        // A status change and its history entry are one transaction, as every transition.
        if (failed.from !== failed.to) assertTransitions([failed.from], failed.to);
        await this.transact([{ Update: update }, this.historyPut(grantId, failed.entry)]);
      } else {
        await client.send(new sdk.doc.UpdateCommand(update));
      }
      return true;
    } catch (error) {
      if (isConditionFailure(error) || isTransactionConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseOsUser(hold: OsUserHold, grantId: string): Promise<OsUserHolders> {
    const { sdk, client } = await this.aws();
    try {
      const result = await client.send(
        new sdk.doc.UpdateCommand({
          TableName: this.tableName,
          Key: osUserKey(hold.osUser),
          UpdateExpression: 'DELETE holders :grant, reach :reach',
          // Without the condition a release of a user nobody holds would create an empty item.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':grant': new Set([grantId]), ':reach': reachOf(hold, grantId) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toOsUserHolders(result.Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) return {};
      throw error;
    }
  }

  async osUserHolders(osUsers: readonly string[]): Promise<Map<string, OsUserHolders>> {
    return this.batchGetByKey(osUsers, osUserKey, 'OSUSER#', toOsUserHolders);
  }

  async setRuleIds(ruleIds: ReadonlyMap<string, string>): Promise<void> {
    const { sdk, client } = await this.aws();
    for (const chunk of chunks([...ruleIds])) {
      await client.send(
        new sdk.doc.TransactWriteCommand({
          TransactItems: chunk.map(([key, ruleId]) => ({
            Update: {
              TableName: this.tableName,
              Key: ruleKey(key),
              UpdateExpression: 'SET ruleId = :id',
              ExpressionAttributeValues: { ':id': ruleId },
            },
          })),
        }),
      );
    }
  }

  async getRules(keys: readonly string[]): Promise<Map<string, RuleHolding>> {
    return this.batchGetByKey(keys, ruleKey, 'RULE#', toHolding);
  }

  /**
   * The items of `names` (each keyed by `keyOf`), read consistently 100 at a time, by name (the partition key without
   * its `prefix`); a name with no item is absent. Keys DynamoDB returns unprocessed (throttled) are read again.
   */
  private async batchGetByKey<T>(
    names: readonly string[],
    keyOf: (name: string) => Record<string, unknown>,
    prefix: string,
    toValue: (item: Record<string, unknown>) => T,
  ): Promise<Map<string, T>> {
    const values = new Map<string, T>();
    if (names.length === 0) return values;
    const { sdk, client } = await this.aws();
    for (const chunk of chunks([...new Set(names)])) {
      let pending: Record<string, unknown>[] | undefined = chunk.map(keyOf);
      while (pending && pending.length > 0) {
        const result = await client.send(
          new sdk.doc.BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          values.set(String(item.pk).slice(prefix.length), toValue(item));
        }
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return values;
  }

  async releaseRules(
    keys: readonly string[],
    grantId: string,
    ruleIds?: ReadonlyMap<string, string>,
  ): Promise<ReleasedRules> {
    if (keys.length === 0) return { released: [], kept: [] };
    const { sdk, client } = await this.aws();
    if (ruleIds && keys.length <= BATCH_LIMIT && keys.every((key) => ruleIds.has(key))) {
      try {
        // The usual case, a grant that shared none of its rules: one write, no read.
        await client.send(
          new sdk.doc.TransactWriteCommand({
            TransactItems: keys.map((key) => ({
              Delete: {
                TableName: this.tableName,
                Key: ruleKey(key),
                ConditionExpression: 'size(holders) = :one AND contains(holders, :me)',
                ExpressionAttributeValues: { ':one': 1, ':me': grantId },
              },
            })),
          }),
        );
        return { released: keys.map((key) => ({ key, ruleId: ruleIds.get(key) as string })), kept: [] };
      } catch (error) {
        if (!isTransactionConditionFailure(error)) throw error;
      }
    }
    for (let attempt = 1; ; attempt++) {
      const holdings = await this.getRules(keys);
      const released: { key: string; ruleId?: string }[] = [];
      const kept: KeptRule[] = [];
      const writes: Record<string, unknown>[] = [];
      for (const key of keys) {
        const holding = holdings.get(key);
        // No record: nobody holds it (a second run, or an id never recorded): close whatever is found open.
        if (!holding) {
          released.push({ key });
          continue;
        }
        const others = holding.holders.filter((holder) => holder !== grantId);
        const ruleId = holding.ruleId ? { ruleId: holding.ruleId } : {};
        if (others.length > 0) {
          kept.push({ key, holders: others });
          if (holding.holders.includes(grantId)) {
            writes.push({
              Update: {
                TableName: this.tableName,
                Key: ruleKey(key),
                UpdateExpression: 'DELETE holders :grant',
                ConditionExpression: 'contains(holders, :me) AND size(holders) = :size',
                ExpressionAttributeValues: {
                  ':grant': new Set([grantId]),
                  ':me': grantId,
                  ':size': holding.holders.length,
                },
              },
            });
          }
          continue;
        }
        released.push({ key, ...ruleId });
        // Held by this grant alone (or by nobody): forgotten, unless someone acquired it since the read.
        writes.push({
          Delete: {
            TableName: this.tableName,
            Key: ruleKey(key),
            ConditionExpression:
              holding.holders.length === 0
                ? 'attribute_not_exists(holders)'
                : 'size(holders) = :one AND contains(holders, :me)',
            ...(holding.holders.length === 0 ? {} : { ExpressionAttributeValues: { ':one': 1, ':me': grantId } }),
          },
        });
      }
      try {
        for (const chunk of chunks(writes)) {
          await client.send(new sdk.doc.TransactWriteCommand({ TransactItems: chunk }));
        }
        return { released, kept };
      } catch (error) {
        if (!isTransactionConditionFailure(error) || attempt >= RELEASE_ATTEMPTS) throw error;
      }
    }
  }

  async vendorStates(): Promise<VendorState[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': VENDORS_PK },
    });
    return items.map((item) => toVendorState({ ...item, vendorId: item.sk }));
  }

  async setVendorState(state: VendorState): Promise<void> {
    const { sdk, client } = await this.aws();
    const entry: VendorState = {
      vendorId: state.vendorId,
      disabled: state.disabled,
      reason: state.reason,
      actor: state.actor,
      at: state.at,
    };
    await client.send(
      new sdk.doc.UpdateCommand({
        TableName: this.tableName,
        Key: { pk: VENDORS_PK, sk: state.vendorId },
        UpdateExpression:
          'SET #vendorId = :vendorId, #disabled = :disabled, #reason = :reason, #actor = :actor, #at = :at, ' +
          '#history = list_append(if_not_exists(#history, :none), :entry)',
        ExpressionAttributeNames: {
          '#vendorId': 'vendorId',
          '#disabled': 'disabled',
          '#reason': 'reason',
          '#actor': 'actor',
          '#at': 'at',
          '#history': 'history',
        },
        ExpressionAttributeValues: {
          ':vendorId': entry.vendorId,
          ':disabled': entry.disabled,
          ':reason': entry.reason,
          ':actor': entry.actor,
          ':at': entry.at,
          ':none': [],
          ':entry': [entry],
        },
      }),
    );
  }

  async vendorHistory(vendorId: string): Promise<VendorState[]> {
    const { sdk, client } = await this.aws();
    const result = await client.send(
      new sdk.doc.GetCommand({
        TableName: this.tableName,
        Key: { pk: VENDORS_PK, sk: vendorId },
        ConsistentRead: true,
      }),
    );
    const history = Array.isArray(result.Item?.history) ? (result.Item.history as Record<string, unknown>[]) : [];
    return history.map(toVendorState);
  }

  async recordAttempt(attempt: DeniedAttempt): Promise<boolean> {
    const { sdk, client } = await this.aws();
    try {
      // The attempt is kept by time for the window's query; the event id's own item makes the count once per
      // CloudTrail event, whatever time a record of it claims.
      await client.send(
        new sdk.doc.TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...attemptEventKey(attempt.eventId), grantId: attempt.grantId, at: attempt.at },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { pk: attemptsPk(attempt.vendorId), sk: `${attempt.at}#${attempt.eventId}`, ...attempt },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isTransactionConditionFailure(error)) return false;
      throw error;
    }
  }

  async attemptsBetween(vendorId: string, from: string, to: string): Promise<DeniedAttempt[]> {
    const { sdk, client } = await this.aws();
    const attempts: DeniedAttempt[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const result = await client.send(
        new sdk.doc.QueryCommand({
          TableName: this.tableName,
          // '$' sorts after '#': every attempt made at `to` itself is included.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': attemptsPk(vendorId), ':from': from, ':to': `${to}$` },
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of result.Items ?? []) attempts.push(toAttempt(item));
      cursor = result.LastEvaluatedKey;
    } while (cursor);
    return attempts;
  }

  async markLockout(grantId: string, lockout: GrantLockout, entry: HistoryEntry): Promise<boolean> {
    try {
      await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: grantKey(grantId),
            UpdateExpression: 'SET lockout = :lockout, updatedAt = :at',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(lockout)',
            ExpressionAttributeValues: { ':lockout': lockout, ':at': entry.at },
          },
        },
        this.historyPut(grantId, entry),
      ]);
      return true;
    } catch (error) {
      if (isTransactionConditionFailure(error)) return false;
      throw error;
    }
  }

  async addReviewDue(review: ReviewDue): Promise<void> {
    const { sdk, client } = await this.aws();
    await client.send(new sdk.doc.PutCommand({ TableName: this.tableName, Item: { ...reviewKey(review), ...review } }));
  }

  async reviewsDueBy(instant: string): Promise<ReviewDue[]> {
    const { sdk, client } = await this.aws();
    const reviews: ReviewDue[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const result = await client.send(
        new sdk.doc.QueryCommand({
          TableName: this.tableName,
          // '$' sorts after '#': every review due at `instant` itself is included.
          KeyConditionExpression: 'pk = :pk AND sk <= :due',
          ExpressionAttributeValues: { ':pk': REVIEWS_PK, ':due': `${instant}$` },
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of result.Items ?? []) {
        reviews.push({ grantId: item.grantId as string, reviewBy: item.reviewBy as string });
      }
      cursor = result.LastEvaluatedKey;
    } while (cursor);
    return reviews;
  }

  async removeReviewDue(review: ReviewDue): Promise<void> {
    const { sdk, client } = await this.aws();
    await client.send(new sdk.doc.DeleteCommand({ TableName: this.tableName, Key: reviewKey(review) }));
  }
}

/** The ledger table of the stack. */
export const makeLedger: AdapterMaker<'ledger'> = (settings, config) =>
  new DynamoLedger(settings.ledgerTableName, config);
