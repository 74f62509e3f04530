import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AwsClientConfig } from '../shared/aws-client-config';
import { tracer } from '../shared/powertools';
import type { CreatedResources, GrantRecord, GrantStatus, HistoryEntry, IngressRule, Vote } from '../domain/types';

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

/** Extra fields written with a status change. */
export type GrantUpdate = Partial<
  Pick<
    GrantRecord,
    'expiresAt' | 'residueCheck' | 'revokeReason' | 'plan' | 'approvedPlan' | 'approvals' | 'breakGlass'
  >
>;

/** The grant ledger: the only place a grant's state, votes, task token and created resources are kept. */
export interface Ledger {
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
  /** Moves the grant to `to` only if it is in one of `from`; returns false when it was not (someone else moved it). */
  transition(
    grantId: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    entry: HistoryEntry,
    update?: GrantUpdate,
  ): Promise<boolean>;
  recordCreated(grantId: string, created: Partial<CreatedResources>): Promise<void>;
  appendHistory(grantId: string, entry: HistoryEntry, update?: GrantUpdate): Promise<void>;
  /** Grants in a status, optionally only those whose expiry is at or before `expiresBefore`. */
  grantsByStatus(status: GrantStatus, expiresBefore?: string): Promise<GrantRecord[]>;
  /** Adds the grant to the rule's holders and returns the holding as it is now. */
  acquireRule(rule: IngressRule, key: string, grantId: string): Promise<RuleHolding>;
  setRuleId(key: string, ruleId: string): Promise<void>;
  /** Removes the grant from the rule's holders and returns who still holds it. */
  releaseRule(key: string, grantId: string): Promise<RuleHolding | undefined>;
  /** Deletes the rule's record only if nobody holds it; returns false when someone acquired it meanwhile. */
  forgetRuleIfUnheld(key: string): Promise<boolean>;
  getRule(key: string): Promise<RuleHolding | undefined>;
  /** Every vendor state an admin set (one query). */
  vendorStates(): Promise<VendorState[]>;
  setVendorState(state: VendorState): Promise<void>;
  /** Notes a break-glass grant's review deadline, so the sweeper finds it without scanning. */
  addReviewDue(review: ReviewDue): Promise<void>;
  /** Break-glass reviews whose deadline is at or before `instant`. */
  reviewsDueBy(instant: string): Promise<ReviewDue[]>;
  removeReviewDue(review: ReviewDue): Promise<void>;
}

const grantKey = (grantId: string) => ({ pk: `GRANT#${grantId}`, sk: 'GRANT' });
const ruleKey = (key: string) => ({ pk: `RULE#${key}`, sk: 'RULE' });
const VENDORS_PK = 'VENDORS';
const REVIEWS_PK = 'BREAK_GLASS_REVIEWS';
const reviewKey = (review: ReviewDue) => ({ pk: REVIEWS_PK, sk: `${review.reviewBy}#${review.grantId}` });

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException'
  );
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
    values[`:u_${field}`] = value;
  }
  return { sets, names, values };
}

function toGrant(item: Record<string, unknown> | undefined): GrantRecord | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, taskToken: _token, ...grant } = item;
  return grant as unknown as GrantRecord;
}

function toHolding(item: Record<string, unknown>): RuleHolding {
  const holders = item.holders instanceof Set ? [...(item.holders as Set<string>)] : [];
  return { holders, ...(typeof item.ruleId === 'string' ? { ruleId: item.ruleId } : {}) };
}

export class DynamoLedger implements Ledger {
  private readonly client: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    config: AwsClientConfig,
  ) {
    this.client = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(config)), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: grantKey(grantId), ConsistentRead: true }),
    );
    return toGrant(result.Item);
  }

  async createGrant(record: GrantRecord, taskToken?: string): Promise<'created' | 'token-replaced' | 'unchanged'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...grantKey(record.grantId), ...record, ...(taskToken ? { taskToken } : {}) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'created';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    if (!taskToken) return 'unchanged';
    try {
      await this.client.send(
        new UpdateCommand({
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
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: grantKey(grantId),
        ProjectionExpression: 'taskToken',
        ConsistentRead: true,
      }),
    );
    return result.Item?.taskToken as string | undefined;
  }

  async forgetTaskToken(grantId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
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
    try {
      await this.client.send(
        new PutCommand({
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
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :vote)',
        ExpressionAttributeValues: { ':pk': `GRANT#${grantId}`, ':vote': 'VOTE#' },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map((item) => ({
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
    const extra = updateClauses(update);
    const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(grantId),
          UpdateExpression: [
            'SET #status = :to, updatedAt = :at, history = list_append(history, :entry)',
            ...extra.sets,
          ].join(', '),
          ConditionExpression: `attribute_exists(pk) AND #status IN (${Object.keys(fromValues).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status', ...extra.names },
          ExpressionAttributeValues: { ':to': to, ':at': entry.at, ':entry': [entry], ...fromValues, ...extra.values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordCreated(grantId: string, created: Partial<CreatedResources>): Promise<void> {
    const entries = Object.entries(created).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    await this.client.send(
      new UpdateCommand({
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
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: grantKey(grantId),
        UpdateExpression: ['SET updatedAt = :at, history = list_append(history, :entry)', ...extra.sets].join(', '),
        ConditionExpression: 'attribute_exists(pk)',
        ...(Object.keys(extra.names).length > 0 ? { ExpressionAttributeNames: extra.names } : {}),
        ExpressionAttributeValues: { ':at': entry.at, ':entry': [entry], ...extra.values },
      }),
    );
  }

  async grantsByStatus(status: GrantStatus, expiresBefore?: string): Promise<GrantRecord[]> {
    const grants: GrantRecord[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'byStatus',
          KeyConditionExpression: expiresBefore ? '#status = :status AND expiresAt <= :before' : '#status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ...(expiresBefore ? { ':before': expiresBefore } : {}) },
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of result.Items ?? []) grants.push(toGrant(item) as GrantRecord);
      cursor = result.LastEvaluatedKey;
    } while (cursor);
    return grants;
  }

  async acquireRule(rule: IngressRule, key: string, grantId: string): Promise<RuleHolding> {
    const result = await this.client.send(
      new UpdateCommand({
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
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ruleKey(key),
        UpdateExpression: 'SET ruleId = :id',
        ExpressionAttributeValues: { ':id': ruleId },
      }),
    );
  }

  async releaseRule(key: string, grantId: string): Promise<RuleHolding | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
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
    try {
      await this.client.send(
        new DeleteCommand({
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
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: ruleKey(key), ConsistentRead: true }),
    );
    return result.Item ? toHolding(result.Item) : undefined;
  }

  async vendorStates(): Promise<VendorState[]> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': VENDORS_PK },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map((item) => ({
      vendorId: item.sk as string,
      disabled: item.disabled === true,
      reason: item.reason as string,
      actor: item.actor as string,
      at: item.at as string,
    }));
  }

  async setVendorState(state: VendorState): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: VENDORS_PK, sk: state.vendorId, ...state } }),
    );
  }

  async addReviewDue(review: ReviewDue): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...reviewKey(review), ...review } }));
  }

  async reviewsDueBy(instant: string): Promise<ReviewDue[]> {
    const reviews: ReviewDue[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
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
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: reviewKey(review) }));
  }
}
