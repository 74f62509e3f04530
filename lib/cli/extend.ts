import type { Command } from 'commander';
import { ArgumentCheck, parseDuration } from './arguments';
import type { CliContext } from './context';
import { badInput } from './errors';
import { waitForGrant } from './wait';

/** `extend`: a new request for the same access from the active grant's expiry, approved like any other. */
export function registerExtend(program: Command, context: () => CliContext): void {
  program
    .command('extend')
    .description('request more time on an active grant (a new grant from its expiry; approvers see the delta)')
    .argument('<grant-id>', 'the active grant')
    .requiredOption('--by <time>', 'how much longer: minutes (60), or 2h, 1h30m')
    .option('--reason <text>', 'why (default: the original reason)')
    .option('--ticket <id>', 'ticket (default: the original ticket)')
    .option('--wait', 'show progress until the extension is active, denied, expired or failed')
    .action(async (grantId: string, options: { by?: string; reason?: string; ticket?: string; wait?: boolean }) => {
      const ctx = context();
      const check = new ArgumentCheck();
      const byMinutes = check.take('--by', () => parseDuration(options.by ?? ''));
      if (check.problems.length > 0 || byMinutes === undefined) throw badInput(check.problems);
      const requested = await (
        await ctx.api()
      ).call('extend', {
        params: { grantId },
        body: {
          byMinutes,
          ...(options.reason ? { reason: options.reason } : {}),
          ...(options.ticket ? { ticket: options.ticket } : {}),
        },
      });
      ctx.say(
        `requested ${requested.grantId}: extends ${grantId} until ${requested.window.expiresAt} (needs approval)`,
      );
      if (!options.wait) {
        if (ctx.options.json) ctx.json(requested);
        return;
      }
      const shown = await waitForGrant(ctx, requested.grantId);
      ctx.say(`${requested.grantId}: ${shown.grant.status}`);
      if (ctx.options.json) ctx.json({ ...requested, final: shown.grant });
    });
}
