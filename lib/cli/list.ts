import type { Command } from 'commander';
import { GRANT_STATUSES } from '../../lambdas/domain/types';
import { ArgumentCheck } from './arguments';
import type { CliContext } from './context';
import { badInput } from './errors';
import { shortTime, table } from './format';

/** `list`: grants, newest first. */
export function registerList(program: Command, context: () => CliContext): void {
  program
    .command('list')
    .description('list grants, newest first')
    .option('--status <status>', `only this status (${GRANT_STATUSES.join(', ')})`)
    .option('--vendor <id>', 'only this vendor')
    .option('--mine', 'only grants you requested')
    .option('--limit <n>', 'at most this many (default 50)')
    .action(async (options: { status?: string; vendor?: string; mine?: boolean; limit?: string }) => {
      const ctx = context();
      const check = new ArgumentCheck();
      const status = options.status?.toUpperCase();
      if (status && !(GRANT_STATUSES as readonly string[]).includes(status)) {
        check.problems.push({
          field: '--status',
          message: `"${options.status}" is not a status: use one of ${GRANT_STATUSES.join(', ')}`,
        });
      }
      if (options.limit !== undefined && !/^\d+$/.test(options.limit)) {
        check.problems.push({ field: '--limit', message: `"${options.limit}" is not a whole number` });
      }
      if (check.problems.length > 0) throw badInput(check.problems);
      const result = await (
        await ctx.api()
      ).call('listGrants', {
        query: { status, vendor: options.vendor, mine: options.mine ? 'true' : undefined, limit: options.limit },
      });
      if (ctx.options.json) {
        ctx.json(result);
        return;
      }
      if (result.grants.length === 0) {
        ctx.say('no grants match');
        return;
      }
      ctx.say(
        table(
          ['GRANT', 'STATUS', 'VENDOR', 'REQUESTER', 'TICKET', 'START', 'EXPIRES', 'APPROVALS'],
          result.grants.map((g) => [
            g.grantId,
            g.breakGlassReview ? `${g.status} (break-glass: ${g.breakGlassReview})` : g.status,
            g.vendorId,
            g.requester,
            g.ticket,
            shortTime(g.startAt),
            shortTime(g.expiresAt),
            g.approvals.join(',') || '-',
          ]),
        ),
      );
      if (result.truncated) ctx.say(`(more grants match: use --limit, --status or --vendor)`);
    });
}
