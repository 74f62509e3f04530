import type { Command } from 'commander';
import { requireReason } from './arguments';
import type { CliContext } from './context';
import { table } from './format';

const ACTIONS = {
  disable: {
    route: 'disableVendor',
    description: 'disable a vendor: every live grant is revoked now, no new one is made',
  },
  enable: { route: 'enableVendor', description: 'enable a vendor an admin disabled' },
  unlock: {
    route: 'unlockVendor',
    description: 'unlock a vendor the lockout locked after denied attempts (attempts are counted afresh)',
  },
} as const;

/** `vendor list|disable|enable|unlock`: offboarding, lockout, and their undo. */
export function registerVendor(program: Command, context: () => CliContext): void {
  const vendor = program.command('vendor').description('list vendors; disable, enable or unlock one (admins)');

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

  for (const [action, { route, description }] of Object.entries(ACTIONS)) {
    vendor
      .command(action)
      .description(description)
      .argument('<vendor>', 'the vendor id')
      .requiredOption('--reason <text>', 'why (recorded in the ledger with your signed identity)')
      .action(async (vendorId: string, options: { reason?: string }) => {
        const ctx = context();
        const reason = requireReason(options.reason, 'say why');
        if (action === 'disable') ctx.progress(`[vendor] disabling ${vendorId} and revoking its live grants`);
        const result = await (await ctx.api()).call(route, { params: { vendorId }, body: { reason } });
        ctx.say(
          `${vendorId}: ${result.enabled ? 'enabled' : 'disabled'}${result.revokedGrants.length > 0 ? `; revoked ${result.revokedGrants.join(', ')}` : ''}`,
        );
        if (ctx.options.json) ctx.json(result);
      });
  }
}
