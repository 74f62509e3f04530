import type { Command } from 'commander';
import { requireReason } from './arguments';
import type { CliContext } from './context';

/** `revoke`: the kill switch. */
export function registerRevoke(program: Command, context: () => CliContext): void {
  program
    .command('revoke')
    .description('the kill switch: end live sessions at once and remove everything the grant made')
    .argument('<grant-id>', 'the grant')
    .requiredOption('--reason <text>', 'why access ends now')
    .action(async (grantId: string, options: { reason?: string }) => {
      const ctx = context();
      const reason = requireReason(options.reason, 'say why access ends now');
      ctx.progress(`[revoke] ${grantId}: denying the role, ending sessions, removing rules, schedule and role`);
      const result = await (await ctx.api()).call('revoke', { params: { grantId }, body: { reason } });
      const left = Object.entries(result.residue).flatMap(([kind, items]) => items.map((i) => `${kind}: ${i}`));
      ctx.say(`${grantId}: ${result.status}${result.changed ? '' : ' (already ended: nothing to do)'}`);
      if (result.sharedRulesKept.length > 0) {
        ctx.say(`  kept for other live grants: ${result.sharedRulesKept.join(', ')}`);
      }
      ctx.say(
        left.length === 0 ? '  residue: none' : `  LEFT FOR THE SWEEPER:\n${left.map((l) => `    ${l}`).join('\n')}`,
      );
      if (ctx.options.json) ctx.json(result);
    });
}
