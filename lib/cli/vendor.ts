import type { Command } from 'commander';
import { requireReason } from './arguments';
import type { CliContext } from './context';
import { table } from './format';

/** `vendor list|disable|enable`: offboarding and its undo. */
export function registerVendor(program: Command, context: () => CliContext): void {
  const vendor = program.command('vendor').description('list vendors; disable or enable one (admins)');

  vendor
    .command('list')
    .description('vendors as configured, with their run-time state')
    .action(async () => {
      const ctx = context();
      const result = await (await ctx.api()).call('listVendors');
      if (ctx.options.json) {
        ctx.json(result);
        return;
      }
      ctx.say(
        table(
          ['VENDOR', 'ENABLED', 'MAX', 'GROUPS', 'PORTS', 'SPONSORS'],
          result.vendors.map((v) => [
            v.vendorId,
            v.enabled ? 'yes' : `no (${v.disabledReason ?? 'disabled'})`,
            `${v.maxGrantHours} h`,
            v.eligibleTargetGroups.join(','),
            v.ports.map((p) => `${p.protocol}:${p.fromPort}-${p.toPort}`).join(',') || '-',
            v.sponsors.join(','),
          ]),
        ),
      );
    });

  for (const action of ['disable', 'enable'] as const) {
    vendor
      .command(action)
      .description(
        action === 'disable'
          ? 'disable a vendor: every live grant is revoked now, no new one is made'
          : 'enable a vendor an admin disabled',
      )
      .argument('<vendor>', 'the vendor id')
      .requiredOption('--reason <text>', 'why')
      .action(async (vendorId: string, options: { reason?: string }) => {
        const ctx = context();
        const reason = requireReason(options.reason, 'say why');
        if (action === 'disable') ctx.progress(`[vendor] disabling ${vendorId} and revoking its live grants`);
        const result = await (
          await ctx.api()
        ).call(action === 'disable' ? 'disableVendor' : 'enableVendor', {
          params: { vendorId },
          body: { reason },
        });
        ctx.say(
          `${vendorId}: ${result.enabled ? 'enabled' : 'disabled'}${result.revokedGrants.length > 0 ? `; revoked ${result.revokedGrants.join(', ')}` : ''}`,
        );
        if (ctx.options.json) ctx.json(result);
      });
  }
}
