import type {
  GrantUpdate,
  KeptRule,
  Ledger,
  LockFailure,
  ReleasedRules,
  ReviewDue,
  RuleHolding,
  VendorState,
} from '../../lambdas/adapters/ledger';
import { assertTransitions } from '../../lambdas/domain/grant-state';
import type { DeniedAttempt } from '../../lambdas/domain/lockout';
import type { OsUserHold, OsUserHolders } from '../../lambdas/domain/os-accounts';
import type {
  CreatedResources,
  GrantLockout,
  GrantRecord,
  GrantStatus,
  HistoryEntry,
  IngressRule,
  OsAccountEntry,
  Vote,
} from '../../lambdas/domain/types';

interface StoredGrant {
  record: GrantRecord;
  taskToken?: string;
}

interface StoredRule {
  readonly rule?: IngressRule;
  ruleId?: string;
  /** A DynamoDB string set: empty means the attribute is absent. */
  readonly holders: Set<string>;
}

/** The write methods of the Ledger, as recorded in `writes`. */
export type LedgerWrite =
  | 'createGrant'
  | 'forgetTaskToken'
  | 'recordVote'
  | 'transition'
  | 'recordCreated'
  | 'appendHistory'
  | 'acquireRule'
  | 'acquireRules'
  | 'setRuleId'
  | 'setRuleIds'
  | 'releaseRule'
  | 'releaseRules'
  | 'startRevoke'
  | 'releaseOsUser'
  | 'recordLockOutcome'
  | 'forgetRuleIfUnheld'
  | 'setVendorState'
  | 'recordAttempt'
  | 'markLockout'
  | 'addReviewDue'
  | 'removeReviewDue';

/** What DynamoDB raises for a failed condition the real ledger does not turn into `false`. */
function conditionFailed(what: string): Error {
  return Object.assign(new Error(`The conditional request failed: ${what}`), {
    name: 'ConditionalCheckFailedException',
  });
}

/** Lets concurrent callers interleave between ledger calls, as they do over the network. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The Ledger with DynamoLedger's semantics, in memory: conditional create, one vote per approver, conditional
 * transitions that answer false, rule holders as a string set, and the byStatus index as DynamoDB keeps it (sparse:
 * only grants with an `expiresAt` are in it, ordered by it). Every value crosses the boundary as a copy.
 */
export class InMemoryLedger implements Ledger {
  private readonly grants = new Map<string, StoredGrant>();
  private readonly votes = new Map<string, Map<string, Vote>>();
  private readonly rules = new Map<string, StoredRule>();
  /** Per OS user, its holders and their reach entries (`<grantId>|<entry>`), as DynamoLedger's two string sets. */
  private readonly osUsers = new Map<string, { readonly holders: Set<string>; readonly reach: Set<string> }>();
  private readonly vendors = new Map<string, VendorState>();
  private readonly vendorHistories = new Map<string, VendorState[]>();
  /** Per vendor, by sort key `<at>#<eventId>`, as DynamoLedger keys them. */
  private readonly attempts = new Map<string, Map<string, DeniedAttempt>>();
  private readonly attemptEvents = new Set<string>();
  private readonly reviews = new Map<string, ReviewDue>();
  /** Every write call, in order, whether or not its condition held. */
  readonly writes: LedgerWrite[] = [];
  private failingTransitionTo: GrantStatus | undefined;
  private beforeTransition: (() => Promise<unknown>) | undefined;
  private beforeRelease: (() => Promise<unknown>) | undefined;

  /** The next transition to `status` throws, as a DynamoDB outage would. */
  failNextTransitionTo(status: GrantStatus): void {
    this.failingTransitionTo = status;
  }

  /** Runs `competitor` just before the next transition is applied: a deterministic way to lose a race. */
  runBeforeNextTransition(competitor: () => Promise<unknown>): void {
    this.beforeTransition = competitor;
  }

  /**
   * Puts the grant in `status` directly, as no transition may (the table refuses it): for a state only a crash leaves
   * behind, such as a grant whose resources all exist while it still says GRANTING.
   */
  overwriteStatus(grantId: string, status: GrantStatus): void {
    const stored = this.grants.get(grantId);
    if (!stored) throw new Error(`no grant ${grantId} in the in-memory ledger`);
    stored.record = { ...stored.record, status };
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    await tick();
    const stored = this.grants.get(grantId);
    if (!stored) return undefined;
    const record = structuredClone(stored.record);
    // DynamoLedger's history items sort by time, then by the order they were written (a stable sort keeps it).
    return { ...record, history: [...record.history].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)) };
  }

  async createGrant(record: GrantRecord, taskToken?: string): Promise<'created' | 'token-replaced' | 'unchanged'> {
    this.writes.push('createGrant');
    await tick();
    const existing = this.grants.get(record.grantId);
    if (!existing) {
      this.grants.set(record.grantId, { record: structuredClone(record), ...(taskToken ? { taskToken } : {}) });
      return 'created';
    }
    if (!taskToken || existing.record.status !== 'PENDING' || existing.taskToken === taskToken) return 'unchanged';
    existing.taskToken = taskToken;
    return 'token-replaced';
  }

  async getTaskToken(grantId: string): Promise<string | undefined> {
    await tick();
    return this.grants.get(grantId)?.taskToken;
  }

  async forgetTaskToken(grantId: string): Promise<void> {
    this.writes.push('forgetTaskToken');
    await tick();
    const stored = this.grants.get(grantId);
    if (stored) delete stored.taskToken;
  }

  async recordVote(grantId: string, vote: Vote): Promise<boolean> {
    this.writes.push('recordVote');
    await tick();
    const votes = this.votes.get(grantId) ?? new Map<string, Vote>();
    this.votes.set(grantId, votes);
    if (votes.has(vote.person)) return false;
    votes.set(vote.person, { ...vote });
    return true;
  }

  async listVotes(grantId: string): Promise<Vote[]> {
    await tick();
    // A query returns the vote items in sort-key order (VOTE#<person>).
    return [...(this.votes.get(grantId)?.values() ?? [])]
      .sort((a, b) => (a.person < b.person ? -1 : 1))
      .map((vote) => ({ ...vote }));
  }

  async transition(
    grantId: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    entry: HistoryEntry,
    update: GrantUpdate = {},
  ): Promise<boolean> {
    this.writes.push('transition');
    assertTransitions(from, to);
    await tick();
    const competitor = this.beforeTransition;
    this.beforeTransition = undefined;
    await competitor?.();
    if (this.failingTransitionTo === to) {
      this.failingTransitionTo = undefined;
      throw Object.assign(new Error(`injected ledger failure on the transition to ${to}`), {
        name: 'InternalServerError',
      });
    }
    const stored = this.grants.get(grantId);
    if (!stored || !from.includes(stored.record.status)) return false;
    stored.record = {
      ...stored.record,
      ...definedFields(update),
      status: to,
      updatedAt: entry.at,
      history: [...stored.record.history, { ...entry }],
    };
    return true;
  }

  async recordCreated(grantId: string, created: Partial<CreatedResources>): Promise<void> {
    this.writes.push('recordCreated');
    await tick();
    const stored = this.grants.get(grantId);
    if (!stored) throw conditionFailed(`no grant ${grantId}`);
    stored.record = { ...stored.record, created: { ...stored.record.created, ...definedFields(created) } };
  }

  async appendHistory(grantId: string, entry: HistoryEntry, update: GrantUpdate = {}): Promise<void> {
    this.writes.push('appendHistory');
    await tick();
    const stored = this.grants.get(grantId);
    if (!stored) throw conditionFailed(`no grant ${grantId}`);
    stored.record = {
      ...stored.record,
      ...definedFields(update),
      updatedAt: entry.at,
      history: [...stored.record.history, { ...entry }],
    };
  }

  async grantsByStatus(status: GrantStatus, expiresBefore?: string): Promise<GrantRecord[]> {
    await tick();
    return (
      [...this.grants.values()]
        .map((stored) => stored.record)
        .filter((grant): grant is GrantRecord & { expiresAt: string } => grant.expiresAt !== undefined)
        .filter((grant) => grant.status === status && (expiresBefore === undefined || grant.expiresAt <= expiresBefore))
        .sort((a, b) => (a.expiresAt < b.expiresAt ? -1 : a.expiresAt > b.expiresAt ? 1 : 0))
        // History entries are items of their own in DynamoDB, outside the status index: listings carry none.
        .map((grant) => ({ ...structuredClone(grant), history: [] }))
    );
  }

  async acquireRule(rule: IngressRule, key: string, grantId: string): Promise<RuleHolding> {
    this.writes.push('acquireRule');
    await tick();
    const stored = this.rules.get(key) ?? { holders: new Set<string>() };
    this.rules.set(key, { ...stored, rule: stored.rule ?? { ...rule }, holders: stored.holders.add(grantId) });
    return holdingOf(this.rules.get(key));
  }

  async setRuleId(key: string, ruleId: string): Promise<void> {
    this.writes.push('setRuleId');
    await tick();
    // An unconditional update: it creates the item when it is missing, as DynamoDB does.
    const stored = this.rules.get(key) ?? { holders: new Set<string>() };
    this.rules.set(key, { ...stored, ruleId });
  }

  async releaseRule(key: string, grantId: string): Promise<RuleHolding | undefined> {
    this.writes.push('releaseRule');
    await tick();
    const stored = this.rules.get(key);
    if (!stored) return undefined;
    stored.holders.delete(grantId);
    return holdingOf(stored);
  }

  async forgetRuleIfUnheld(key: string): Promise<boolean> {
    this.writes.push('forgetRuleIfUnheld');
    await tick();
    const stored = this.rules.get(key);
    if (stored && stored.holders.size > 0) return false;
    this.rules.delete(key);
    return true;
  }

  async getRule(key: string): Promise<RuleHolding | undefined> {
    await tick();
    const stored = this.rules.get(key);
    return stored ? holdingOf(stored) : undefined;
  }

  async acquireRules(
    rules: readonly { readonly key: string; readonly rule: IngressRule }[],
    grantId: string,
    hold?: OsUserHold,
  ): Promise<Map<string, RuleHolding>> {
    this.writes.push('acquireRules');
    await tick();
    for (const { key, rule } of rules) {
      const stored = this.rules.get(key) ?? { holders: new Set<string>() };
      this.rules.set(key, { ...stored, rule: stored.rule ?? { ...rule }, holders: stored.holders.add(grantId) });
    }
    if (hold) {
      const stored = this.osUsers.get(hold.osUser) ?? { holders: new Set<string>(), reach: new Set<string>() };
      stored.holders.add(grantId);
      for (const entry of hold.reach) stored.reach.add(`${grantId}|${entry}`);
      this.osUsers.set(hold.osUser, stored);
    }
    return this.getRules(rules.map((r) => r.key));
  }

  /** As DynamoLedger's transaction: the grant moved and each item forgotten as this grant's alone, or nothing. */
  async startRevoke(
    grantId: string,
    from: readonly GrantStatus[],
    to: GrantStatus,
    entry: HistoryEntry,
    update: GrantUpdate,
    release: { readonly ruleIds: ReadonlyMap<string, string>; readonly hold?: OsUserHold },
  ): Promise<boolean> {
    this.writes.push('startRevoke');
    await tick();
    if (this.failingTransitionTo === to) {
      this.failingTransitionTo = undefined;
      throw Object.assign(new Error(`injected ledger failure on the transition to ${to}`), {
        name: 'InternalServerError',
      });
    }
    const soleHolder = (holders: ReadonlySet<string> | undefined) => holders?.size === 1 && holders.has(grantId);
    const stored = this.grants.get(grantId);
    const holds =
      stored !== undefined &&
      from.includes(stored.record.status) &&
      [...release.ruleIds.keys()].every((key) => soleHolder(this.rules.get(key)?.holders)) &&
      (!release.hold || soleHolder(this.osUsers.get(release.hold.osUser)?.holders));
    if (!holds) return false;
    for (const key of release.ruleIds.keys()) this.rules.delete(key);
    if (release.hold) this.osUsers.delete(release.hold.osUser);
    stored.record = {
      ...stored.record,
      ...definedFields(update),
      status: to,
      updatedAt: entry.at,
      history: [...stored.record.history, { ...entry }],
    };
    return true;
  }

  async recordLockOutcome(
    grantId: string,
    instanceId: string,
    entry: OsAccountEntry,
    failed?: LockFailure,
  ): Promise<boolean> {
    this.writes.push('recordLockOutcome');
    await tick();
    const stored = this.grants.get(grantId);
    const record = stored?.record;
    if (!stored || !record?.osAccount || !(record.lockCommandIds ?? []).includes(entry.commandId)) return false;
    if (failed && (record.status !== failed.from || !record.residueCheck)) return false;
    const osAccount = { ...record.osAccount, [instanceId]: { ...entry } };
    stored.record = failed
      ? {
          ...record,
          osAccount,
          status: failed.to,
          updatedAt: failed.entry.at,
          history: [...record.history, { ...failed.entry }],
          residueCheck: {
            ...(record.residueCheck as NonNullable<GrantRecord['residueCheck']>),
            residue: {
              ...(record.residueCheck as NonNullable<GrantRecord['residueCheck']>).residue,
              osAccounts: [...(record.residueCheck?.residue.osAccounts ?? []), failed.residue],
            },
          },
        }
      : { ...record, osAccount };
    return true;
  }

  async releaseOsUser(hold: OsUserHold, grantId: string): Promise<OsUserHolders> {
    this.writes.push('releaseOsUser');
    await tick();
    const stored = this.osUsers.get(hold.osUser);
    if (!stored) return {};
    stored.holders.delete(grantId);
    for (const entry of hold.reach) stored.reach.delete(`${grantId}|${entry}`);
    return holdersOf(stored);
  }

  async osUserHolders(osUsers: readonly string[]): Promise<Map<string, OsUserHolders>> {
    await tick();
    return new Map(
      osUsers.flatMap((osUser) => {
        const stored = this.osUsers.get(osUser);
        return stored ? [[osUser, holdersOf(stored)] as const] : [];
      }),
    );
  }

  async setRuleIds(ruleIds: ReadonlyMap<string, string>): Promise<void> {
    this.writes.push('setRuleIds');
    await tick();
    for (const [key, ruleId] of ruleIds) {
      const stored = this.rules.get(key) ?? { holders: new Set<string>() };
      this.rules.set(key, { ...stored, ruleId });
    }
  }

  async getRules(keys: readonly string[]): Promise<Map<string, RuleHolding>> {
    await tick();
    return new Map(
      keys.filter((key) => this.rules.has(key)).map((key) => [key, holdingOf(this.rules.get(key))] as const),
    );
  }

  /** As DynamoLedger: read, then one all-or-nothing transaction whose conditions are the holdings read. */
  async releaseRules(
    keys: readonly string[],
    grantId: string,
    ruleIds?: ReadonlyMap<string, string>,
  ): Promise<ReleasedRules> {
    this.writes.push('releaseRules');
    if (ruleIds && keys.every((key) => ruleIds.has(key))) {
      await tick();
      // As DynamoDB's transaction: every rule held by this grant alone, or nothing is written.
      const soleHolder = keys.every((key) => {
        const holders = this.rules.get(key)?.holders;
        return holders?.size === 1 && holders.has(grantId);
      });
      if (soleHolder) {
        for (const key of keys) this.rules.delete(key);
        return { released: keys.map((key) => ({ key, ruleId: ruleIds.get(key) as string })), kept: [] };
      }
    }
    for (let attempt = 1; ; attempt++) {
      const read = await this.getRules(keys);
      await tick();
      const competitor = this.beforeRelease;
      this.beforeRelease = undefined;
      await competitor?.();
      const changed = [...read].some(([key, seen]) => {
        const now = this.rules.get(key);
        return !now || now.holders.size !== seen.holders.length || seen.holders.some((h) => !now.holders.has(h));
      });
      if (changed) {
        if (attempt >= 3) throw conditionFailed('the rule holdings changed during three releases');
        continue;
      }
      const released: { key: string; ruleId?: string }[] = [];
      const kept: KeptRule[] = [];
      for (const key of keys) {
        const stored = this.rules.get(key);
        if (!stored) {
          released.push({ key });
          continue;
        }
        const others = [...stored.holders].filter((holder) => holder !== grantId);
        if (others.length > 0) {
          stored.holders.delete(grantId);
          kept.push({ key, holders: others });
          continue;
        }
        this.rules.delete(key);
        released.push({ key, ...(stored.ruleId !== undefined ? { ruleId: stored.ruleId } : {}) });
      }
      return { released, kept };
    }
  }

  /** Runs `competitor` between the next release's read and its transaction: a deterministic way to lose a race. */
  runBeforeNextRelease(competitor: () => Promise<unknown>): void {
    this.beforeRelease = competitor;
  }

  async vendorStates(): Promise<VendorState[]> {
    await tick();
    return [...this.vendors.values()].map((state) => ({ ...state }));
  }

  async setVendorState(state: VendorState): Promise<void> {
    this.writes.push('setVendorState');
    await tick();
    this.vendors.set(state.vendorId, { ...state });
    this.vendorHistories.set(state.vendorId, [...(this.vendorHistories.get(state.vendorId) ?? []), { ...state }]);
  }

  async vendorHistory(vendorId: string): Promise<VendorState[]> {
    await tick();
    return (this.vendorHistories.get(vendorId) ?? []).map((state) => ({ ...state }));
  }

  async recordAttempt(attempt: DeniedAttempt): Promise<boolean> {
    this.writes.push('recordAttempt');
    await tick();
    const byKey = this.attempts.get(attempt.vendorId) ?? new Map<string, DeniedAttempt>();
    this.attempts.set(attempt.vendorId, byKey);
    // As the ledger's transaction: one item per event id, whatever time the record claims.
    if (this.attemptEvents.has(attempt.eventId)) return false;
    this.attemptEvents.add(attempt.eventId);
    byKey.set(`${attempt.at}#${attempt.eventId}`, { ...attempt });
    return true;
  }

  async attemptsBetween(vendorId: string, from: string, to: string): Promise<DeniedAttempt[]> {
    await tick();
    // As the query's `sk BETWEEN from AND to$` on keys `<at>#<eventId>`.
    return [...(this.attempts.get(vendorId) ?? new Map<string, DeniedAttempt>())]
      .filter(([key]) => key >= from && key <= `${to}$`)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, attempt]) => ({ ...attempt }));
  }

  async markLockout(grantId: string, lockout: GrantLockout, entry: HistoryEntry): Promise<boolean> {
    this.writes.push('markLockout');
    await tick();
    const stored = this.grants.get(grantId);
    if (!stored || stored.record.lockout !== undefined) return false;
    stored.record = {
      ...stored.record,
      lockout: { ...lockout },
      updatedAt: entry.at,
      history: [...stored.record.history, { ...entry }],
    };
    return true;
  }

  async addReviewDue(review: ReviewDue): Promise<void> {
    this.writes.push('addReviewDue');
    await tick();
    this.reviews.set(`${review.reviewBy}#${review.grantId}`, { ...review });
  }

  async reviewsDueBy(instant: string): Promise<ReviewDue[]> {
    await tick();
    return [...this.reviews.values()]
      .filter((review) => review.reviewBy <= instant)
      .sort((a, b) => (a.reviewBy < b.reviewBy ? -1 : 1))
      .map((review) => ({ ...review }));
  }

  async removeReviewDue(review: ReviewDue): Promise<void> {
    this.writes.push('removeReviewDue');
    await tick();
    this.reviews.delete(`${review.reviewBy}#${review.grantId}`);
  }
}

function holdersOf(stored: { readonly holders: Set<string>; readonly reach: Set<string> }): OsUserHolders {
  const holders: Record<string, string[]> = Object.fromEntries([...stored.holders].map((id) => [id, []]));
  for (const entry of stored.reach) {
    const at = entry.indexOf('|');
    holders[entry.slice(0, at)]?.push(entry.slice(at + 1));
  }
  return holders;
}

function holdingOf(stored: StoredRule | undefined): RuleHolding {
  return {
    holders: [...(stored?.holders ?? [])],
    ...(stored?.ruleId !== undefined ? { ruleId: stored.ruleId } : {}),
  };
}

/** DynamoLedger skips undefined fields instead of writing them. */
function definedFields<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(structuredClone(fields)).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
