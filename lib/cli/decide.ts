import type { Command } from 'commander';
import type { ResponseOf } from '../../lambdas/handlers/api/contract';
import { requireReason } from './arguments';
import type { CliContext } from './context';

function describeDecision(result: ResponseOf<'approve'>): string {
  if (result.review) {
    return `${result.grantId}: break-glass review ${result.review} (${result.approvals.length} of ${result.needed} approvals: ${result.approvals.join(', ') || 'none'})`;
  }
  if (result.status === 'PENDING') {
    const missing = result.needed - result.approvals.length;
    return `${result.grantId}: ${result.approvals.length} of ${result.needed} approvals (${result.approvals.join(', ') || 'none'}); waiting for ${missing} more`;
  }
  return `${result.grantId}: ${result.status}${result.approvals.length > 0 ? ` (approved by ${result.approvals.join(', ')})` : ''}`;
}

/** `approve` and `deny`: the signed caller's vote. */
export function registerDecide(program: Command, context: () => CliContext): void {
  program
    .command('approve')
    .description('approve a pending grant (or review a break-glass grant); check its plan hash first with "show"')
    .argument('<grant-id>', 'the grant, e.g. g-3f9a1c2b7d4e')
    .option('--comment <text>', 'what you checked')
    .action(async (grantId: string, options: { comment?: string }) => {
      const ctx = context();
      const result = await (
        await ctx.api()
      ).call('approve', {
        params: { grantId },
        body: options.comment ? { comment: options.comment } : {},
      });
      ctx.say(describeDecision(result));
      if (ctx.options.json) ctx.json(result);
    });

  program
    .command('deny')
    .description('deny a pending grant (a denied break-glass grant is revoked at once)')
    .argument('<grant-id>', 'the grant')
    .requiredOption('--reason <text>', 'why you deny')
    .action(async (grantId: string, options: { reason?: string }) => {
      const ctx = context();
      const reason = requireReason(options.reason, 'say why you deny');
      const result = await (await ctx.api()).call('deny', { params: { grantId }, body: { reason } });
      ctx.say(describeDecision(result));
      if (ctx.options.json) ctx.json(result);
    });
}
