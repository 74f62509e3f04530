import type { Command } from 'commander';
import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import type { CliContext } from './context';
import { describePlan, planView } from './plan-view';

type Shown = ResponseOf<'showGrant'>;

/** Everything a person needs to know about a grant, in reading order. */
export function describeGrant({ grant, votes }: Shown): string[] {
  const { request } = grant;
  const lines = [
    `grant:     ${grant.grantId}  ${grant.status}${grant.revokeReason ? ` (${grant.revokeReason})` : ''}`,
    `vendor:    ${request.vendorId}`,
    `requester: ${request.requester.person} (${request.requester.arn})`,
    `ticket:    ${JSON.stringify(request.ticket)}`,
    `reason:    ${JSON.stringify(request.reason)}`,
    `targets:   ${request.targets.join(', ')}${request.ports?.length ? `  ports: ${request.ports.map((p) => `${p.protocol}:${p.fromPort}-${p.toPort}`).join(', ')}` : ''}`,
  ];
  if (request.extends) lines.push(`extends:   ${request.extends}`);
  if (grant.breakGlass)
    lines.push(`BREAK-GLASS: review ${grant.breakGlass.review}, due by ${grant.breakGlass.reviewBy}`);
  lines.push(`approved plan hash: ${grant.planHash}`);
  // The plan as recorded; once granted, its window is the one fixed at grant time.
  lines.push(...describePlan(planView(grant.plan, grant.planHash)).slice(1));
  lines.push('votes:');
  if (votes.length === 0) lines.push('  none yet');
  for (const vote of votes) {
    const forThisPlan = vote.planHash === grant.planHash ? '' : '  (for ANOTHER plan: does not count)';
    lines.push(
      `  ${vote.at}  ${vote.person}  ${vote.decision}${vote.comment ? `  ${JSON.stringify(vote.comment)}` : ''}${forThisPlan}`,
    );
  }
  const created = grant.created;
  if (created.roleArn || created.securityGroupRuleIds?.length || created.scheduleArn) {
    lines.push('created:');
    if (created.roleArn) lines.push(`  role:     ${created.roleArn}`);
    if (created.securityGroupRuleIds?.length) lines.push(`  rules:    ${created.securityGroupRuleIds.join(', ')}`);
    if (created.scheduleArn) lines.push(`  schedule: ${created.scheduleArn}`);
  }
  const osAccount = Object.entries(grant.osAccount ?? {});
  if (osAccount.length > 0) {
    lines.push(`OS user ${grant.plan.role.tags.SSMSessionRunAs ?? '?'}:`);
    for (const [instanceId, entry] of osAccount) {
      lines.push(`  ${instanceId}: ${entry.action} ${entry.status} at ${entry.at} (command ${entry.commandId})`);
    }
  }
  if (grant.residueCheck) {
    const left = Object.entries(grant.residueCheck.residue).flatMap(([kind, items]) =>
      items.map((i) => `${kind}: ${i}`),
    );
    lines.push(
      `residue check (${grant.residueCheck.checkedAt}): ${left.length === 0 ? 'nothing remains' : left.join('; ')}`,
    );
  }
  lines.push('history:');
  for (const entry of grant.history) {
    lines.push(`  ${entry.at}  ${entry.actor.padEnd(16)}  ${entry.event}${entry.detail ? `  [${entry.detail}]` : ''}`);
  }
  return lines;
}

/** `show`: state, votes, plan and hash, created resources, times, history. */
export function registerShow(program: Command, context: () => CliContext): void {
  program
    .command('show')
    .description('a grant: state, votes, plan and its hash, created resources, history')
    .argument('<grant-id>', 'the grant')
    .action(async (grantId: string) => {
      const ctx = context();
      const shown = await (await ctx.api()).call('showGrant', { params: { grantId } });
      if (ctx.options.json) {
        ctx.json(shown);
        return;
      }
      for (const line of describeGrant(shown)) ctx.say(line);
    });
}
