import type { Command } from 'commander';
import type { GrantStatus } from '../../lambdas/domain/types';
import { ArgumentCheck, parseDuration } from './arguments';
import type { CliContext } from './context';
import { badInput } from './errors';

/** Once a grant is here, its sessions are over: watching ends after the last lines are read. */
const ENDED: readonly GrantStatus[] = ['REVOKED', 'FAILED', 'EXPIRED', 'DENIED'];

/** `watch`: follows what the grant's sessions log, live (shadowing). */
export function registerWatch(program: Command, context: () => CliContext): void {
  program
    .command('watch')
    .description("follow the grant's session logs live (shadowing); ends when the grant ends")
    .argument('<grant-id>', 'the grant')
    .option('--interval <time>', 'how often to look for new lines, e.g. 5s or 1m', '5s')
    .option('--once', 'print what was logged so far and stop')
    .action(async (grantId: string, options: { interval: string; once?: boolean }) => {
      const ctx = context();
      const check = new ArgumentCheck();
      const intervalMs = check.take('--interval', () => parseInterval(options.interval)) ?? 0;
      if (check.problems.length > 0) throw badInput(check.problems);
      const api = await ctx.api();
      const seen = new Set<string>();
      let since: number | undefined;
      ctx.progress(`[watch] ${grantId}: following its session logs${options.once ? '' : ' (Ctrl-C to stop)'}`);
      for (;;) {
        let nextToken: string | undefined;
        do {
          const page = await api.call('sessionLog', {
            params: { grantId },
            query: { since: since === undefined ? undefined : String(since), nextToken },
          });
          for (const event of page.events) {
            const key = `${event.sessionId}|${event.at}|${event.message}`;
            if (seen.has(key)) continue;
            seen.add(key);
            since = Math.max(since ?? 0, Date.parse(event.at));
            if (ctx.options.json) ctx.io.out(`${JSON.stringify(event)}\n`);
            else ctx.say(`${event.at}  ${event.sessionId}  ${event.message}`);
          }
          nextToken = page.nextToken;
        } while (nextToken);
        if (options.once) return;
        const { grant } = await api.call('showGrant', { params: { grantId } });
        if (ENDED.includes(grant.status)) {
          ctx.progress(`[watch] ${grantId} is ${grant.status}: its sessions have ended`);
          return;
        }
        await ctx.io.sleep(intervalMs);
      }
    });
}

/** `5s`, `30s`, `1m`, or minutes as `parseDuration` reads them. */
function parseInterval(text: string): number {
  const seconds = /^(\d+)s$/.exec(text.trim());
  const ms = seconds ? Number(seconds[1]) * 1000 : parseDuration(text) * 60_000;
  if (ms < 1000) throw new Error('must be at least 1s');
  return ms;
}
