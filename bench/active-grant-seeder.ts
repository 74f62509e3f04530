import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLedger, grantItems } from '../lambdas/adapters/ledger';
import { IamGrantRoles } from '../lambdas/adapters/iam';
import { SchedulerExpirySchedules } from '../lambdas/adapters/scheduler';
import { planHash } from '../lambdas/domain/plan-hash';
import { ingressRuleKey, planGrant } from '../lambdas/domain/planner';
import type { GrantRecord } from '../lambdas/domain/types';
import { planContext } from '../lambdas/shared/dependencies';
import type { LocalJitAccess } from '../scripts/local-aws/local-jit-access';
import { localClientConfig } from '../scripts/local-aws/local-world';
import { acmeRequest, newGrantId, PEOPLE, requestAccess } from '../scripts/local-aws/scenarios';

/** moto answers one request per thread; a few at a time keeps it busy without queueing hundreds of sockets. */
const PARALLEL_REQUESTS = 8;

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Fills a local world with ACTIVE grants, as the grant function leaves them, without running the workflow for each:
 * one real grant goes through the workflow (request, two approvals, grant) and every other is a copy of its ledger
 * record, re-planned by the real planner for its own id, with its own role `jit-<id>` (session policy included) and
 * expiry schedule made by the real adapters, holding the same shared ingress rules. Seeding is not part of what the sweeper benchmark times.
 */
export class ActiveGrantSeeder {
  private readonly grantIds: string[] = [];
  private template?: GrantRecord;
  private readonly ledger: DynamoLedger;
  private readonly documents: DynamoDBDocumentClient;
  private readonly roles: IamGrantRoles;
  private readonly schedules: SchedulerExpirySchedules;

  constructor(
    private readonly local: LocalJitAccess,
    endpoint: string,
  ) {
    // Clients of their own, outside the harness's call counter: seeding calls are not the sweeper's.
    const config = { ...localClientConfig(endpoint), maxAttempts: 3 };
    this.ledger = new DynamoLedger(local.world.settings.ledgerTableName, config);
    this.documents = DynamoDBDocumentClient.from(new DynamoDBClient(config));
    this.roles = new IamGrantRoles(config);
    this.schedules = new SchedulerExpirySchedules(config);
  }

  get count(): number {
    return this.grantIds.length;
  }

  /** Adds grants until the world holds `count` ACTIVE ones. */
  async growTo(count: number): Promise<void> {
    const template = (this.template ??= await this.grantThroughWorkflow());
    const ids = Array.from({ length: Math.max(0, count - this.grantIds.length) }, () => newGrantId('bench'));
    await inParallel(ids, PARALLEL_REQUESTS, (grantId) => this.copyGrant(template, grantId));
    // Every copy holds the same rule records, so these updates go one at a time. One update per rule, not the
    // grant's transaction: moto copies every table for each transaction, which would make seeding quadratic.
    for (const grantId of ids) {
      for (const rule of template.plan.ingressRules) await this.ledger.acquireRule(rule, ingressRuleKey(rule), grantId);
    }
    this.grantIds.push(...ids);
  }

  private async grantThroughWorkflow(): Promise<GrantRecord> {
    const { grantId, done } = await requestAccess(this.local, acmeRequest(this.local));
    await this.local.decide(grantId, PEOPLE.approvers[0], 'approve');
    await this.local.decide(grantId, PEOPLE.approvers[1], 'approve');
    const outcome = await done;
    const grant = await this.ledger.getGrant(grantId);
    if (outcome.status !== 'SUCCEEDED' || grant?.status !== 'ACTIVE') {
      throw new Error(`the template grant ${grantId} did not become ACTIVE (${outcome.status} ${outcome.error ?? ''})`);
    }
    this.grantIds.push(grantId);
    return grant;
  }

  private async copyGrant(template: GrantRecord, grantId: string): Promise<void> {
    const { settings } = this.local.world;
    const vendor = settings.config.vendors.find((v) => v.id === template.request.vendorId);
    if (!vendor) throw new Error(`vendor ${template.request.vendorId} is not configured`);
    const request = { ...template.request, grantId };
    const context = planContext(settings);
    const plan = planGrant(request, template.targets, vendor, template.plan.window, context);
    const approvedPlan = planGrant(request, template.targets, vendor, (template.approvedPlan ?? plan).window, context);
    const roleArn = await this.roles.createRole(plan.role);
    await this.roles.putInlinePolicy(plan.role.name, plan.role.inlinePolicyName, plan.role.inlinePolicy);
    const scheduleArn = await this.schedules.create({
      name: plan.schedule.name,
      groupName: plan.schedule.groupName,
      expression: plan.schedule.expression,
      targetArn: settings.revokeFunctionArn,
      roleArn: settings.schedulerRoleArn,
      deadLetterArn: settings.schedulerDlqArn,
      input: { grantId, reason: 'expiry' },
    });
    // The grant's items written as the ledger stores them, in one batch: the ledger's own transaction would make moto
    // copy the whole table for each grant, which makes seeding quadratic (and moto fails under it).
    const record: GrantRecord = {
      ...template,
      grantId,
      request,
      plan,
      approvedPlan,
      planHash: planHash(approvedPlan),
      created: { ...template.created, roleArn, scheduleArn },
    };
    const table = settings.ledgerTableName;
    const all = grantItems(record);
    for (let i = 0; i < all.length; i += 25) {
      const items = all.slice(i, i + 25);
      const answer = await this.documents.send(
        new BatchWriteCommand({ RequestItems: { [table]: items.map((Item) => ({ PutRequest: { Item } })) } }),
      );
      if (Object.keys(answer.UnprocessedItems ?? {}).length > 0)
        throw new Error(`seeding ${grantId}: items left unwritten`);
    }
  }
}
