import { badInput } from './errors';
import type { PortRequest } from '../../lambdas/domain/types';

/** A problem with one option, named as the user typed it. */
export interface ArgumentProblem {
  readonly field: string;
  readonly message: string;
}

/** Collects every problem of a command line, so that one run reports them all (one line each). */
export class ArgumentCheck {
  readonly problems: ArgumentProblem[] = [];

  /** Runs `parse` on the value of `field`; a thrown message becomes a problem and the result undefined. */
  take<T>(field: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      this.problems.push({ field, message: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m?)?$/;

/** `90`, `90m`, `2h`, `1h30m`, `1d` → minutes. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '' || !match.slice(1).some(Boolean)) {
    throw new Error(`"${text}" is not a duration: use minutes (90), or 2h, 1h30m, 45m`);
  }
  const [, days, hours, minutes] = match;
  return Number(days ?? 0) * 1440 + Number(hours ?? 0) * 60 + Number(minutes ?? 0);
}

/** `5432,udp:514,tcp:8000-8010` → port ranges (tcp unless a protocol is given). */
export function parsePorts(text: string): PortRequest[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^(?:(tcp|udp):)?(\d{1,5})(?:-(\d{1,5}))?$/i.exec(part);
      if (!match) {
        throw new Error(`"${part}" is not a port or range: use 5432, udp:514 or tcp:8000-8010`);
      }
      const fromPort = Number(match[2]);
      const toPort = Number(match[3] ?? match[2]);
      return { protocol: (match[1]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp', fromPort, toPort };
    });
}

/** `i-0123…,group:billing-db` → targets as a request takes them. */
export function parseTargets(text: string): string[] {
  const targets = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (targets.length === 0) throw new Error('name at least one instance id or group:<name>');
  return targets;
}

/** An ISO date-time with a zone, or `+30m` / `+2h` from now. */
export function parseStart(text: string, now: Date): string {
  if (text.startsWith('+')) return new Date(now.getTime() + parseDuration(text.slice(1)) * 60_000).toISOString();
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new Error(`"${text}" is not a start: use an ISO date-time with a zone (2030-03-01T09:00:00Z) or +30m`);
  }
  return new Date(text).toISOString();
}

export function requireText(text: string | undefined, what: string): string {
  if (text === undefined || text.trim() === '') throw new Error(`is required: ${what}`);
  return text;
}

/** The `--reason` of a command that changes something, or bad input (exit 2) saying what it should say. */
export function requireReason(text: string | undefined, what: string): string {
  const check = new ArgumentCheck();
  const reason = check.take('--reason', () => requireText(text, what));
  if (reason === undefined) throw badInput(check.problems);
  return reason;
}
