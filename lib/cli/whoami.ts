import type { Command } from 'commander';
import type { CliContext } from './context';

/** `whoami`: the person the API resolves your signed identity to. */
export function registerWhoami(program: Command, context: () => CliContext): void {
  program
    .command('whoami')
    .description('the person your credentials are, as the API sees them, and what you may do')
    .action(async () => {
      const ctx = context();
      const me = await (await ctx.api()).call('whoami');
      const roles = [
        ...(me.sponsorOf.length > 0 ? [`sponsor of ${me.sponsorOf.join(', ')}`] : []),
        ...(me.approver ? ['approver'] : []),
        ...(me.admin ? ['admin'] : []),
        ...(me.breakGlass ? ['break-glass'] : []),
        ...(me.auditor ? ['auditor'] : []),
      ];
      ctx.say(`${me.person} (${me.arn}): ${roles.join(', ') || 'may read, nothing more'}`);
      if (ctx.options.json) ctx.json(me);
    });
}
