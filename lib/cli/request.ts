import type { Command } from 'commander';
import type { RequestBody } from '../../lambdas/domain/types';
import { ArgumentCheck, parseDuration, parsePorts, parseStart, parseTargets, requireText } from './arguments';
import type { CliContext } from './context';
import { badInput } from './errors';
import { waitForGrant } from './wait';

interface RequestOptions {
  readonly vendor?: string;
  readonly targets?: string;
  readonly duration?: string;
  readonly ticket?: string;
  readonly reason?: string;
  readonly ports?: string;
  readonly start?: string;
  readonly breakGlass?: boolean;
  readonly wait?: boolean;
  readonly waitTimeout?: string;
}

export function registerRequest(program: Command, context: () => CliContext): void {
  program
    .command('request')
    .description('request access for a vendor (you are the requester: your signed identity)')
    .requiredOption('--vendor <id>', 'vendor id, e.g. acme')
    .requiredOption('--targets <list>', 'instance ids and/or group:<name>, comma-separated')
    .requiredOption('--duration <time>', 'how long: minutes (90), or 2h, 1h30m')
    .requiredOption('--ticket <id>', 'change or incident ticket, e.g. CHG-1234')
    .requiredOption('--reason <text>', 'why the vendor needs access (10-1000 characters)')
    .option('--ports <list>', 'ports to open from the vendor CIDRs: 5432,udp:514,tcp:8000-8010')
    .option('--start <when>', 'ISO date-time with a zone, or +30m (default: as soon as approved)')
    .option('--break-glass', 'no approval wait (break-glass people only; reviewed afterwards)')
    .option('--wait', 'show progress until the grant is active, denied, expired or failed')
    .option('--wait-timeout <time>', 'give up waiting after this long (e.g. 30m)')
    .action(async (options: RequestOptions) => {
      const ctx = context();
      const check = new ArgumentCheck();
      const body: RequestBody = {
        vendorId: check.take('--vendor', () => requireText(options.vendor, 'the vendor id')) ?? '',
        targets: check.take('--targets', () => parseTargets(options.targets ?? '')) ?? [],
        durationMinutes: check.take('--duration', () => parseDuration(options.duration ?? '')) ?? 0,
        ticket: check.take('--ticket', () => requireText(options.ticket, 'the ticket id')) ?? '',
        reason: check.take('--reason', () => requireText(options.reason, 'why the vendor needs access')) ?? '',
        ...(options.ports ? { ports: check.take('--ports', () => parsePorts(options.ports ?? '')) ?? [] } : {}),
        ...(options.start
          ? { startAt: check.take('--start', () => parseStart(options.start ?? '', ctx.io.now())) }
          : {}),
        ...(options.breakGlass ? { breakGlass: true } : {}),
      };
      const waitTimeout = options.waitTimeout
        ? check.take('--wait-timeout', () => parseDuration(options.waitTimeout ?? ''))
        : undefined;
      if (check.problems.length > 0) throw badInput(check.problems);

      const api = await ctx.api();
      const requested = await api.call('createRequest', { body });
      ctx.say(
        `requested ${requested.grantId} for ${requested.vendorId}${requested.breakGlass ? ' (BREAK-GLASS: no approval wait; approvers review it afterwards)' : ''}`,
      );
      ctx.say(`  window: ${requested.window.startAt} until ${requested.window.expiresAt} (fixed when granted)`);
      if (!options.wait) {
        ctx.say(
          `  next: approvers run "jit-access approve ${requested.grantId}"; follow it with "jit-access show ${requested.grantId}"`,
        );
        if (ctx.options.json) ctx.json(requested);
        return;
      }
      const shown = await waitForGrant(
        ctx,
        requested.grantId,
        waitTimeout === undefined ? undefined : waitTimeout * 60_000,
      );
      ctx.say(`${requested.grantId}: ${shown.grant.status}`);
      if (ctx.options.json) ctx.json({ ...requested, final: shown.grant });
    });
}
