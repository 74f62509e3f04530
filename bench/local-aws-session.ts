import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startMoto, type MotoServer } from '../scripts/local-aws/local-aws';
import { LocalJitAccess } from '../scripts/local-aws/local-jit-access';
import { createLocalWorld } from '../scripts/local-aws/local-world';
import { synthesizeStack, type SynthesizedStack } from '../scripts/local-aws/synthesized-stack';
import { progress } from './timing';

/**
 * One moto server and one synthesized stack for every in-process measurement; each measurement gets a world of its
 * own (its own table, groups, IAM path and schedule group), so none sees another's grants.
 */
export interface LocalAwsSession {
  readonly endpoint: string;
  readonly stack: SynthesizedStack;
  /** A fresh world with the real handlers wired to it, its clock at `startAt`. */
  newLocal(startAt: Date): Promise<LocalJitAccess>;
  stop(): Promise<void>;
}

export async function startLocalAwsSession(): Promise<LocalAwsSession> {
  // The template goes to a scratch directory: a benchmark leaves the working tree as it found it.
  const outdir = mkdtempSync(path.join(tmpdir(), 'jit-access-bench-'));
  let moto: MotoServer | undefined;
  const locals: LocalJitAccess[] = [];
  try {
    progress('synthesizing the stack for the in-process runs');
    const stack = synthesizeStack(outdir);
    progress('starting local AWS (moto)');
    moto = await startMoto({ log: (line) => progress(`  ${line}`) });
    const { endpoint } = moto;
    const server = moto;
    return {
      endpoint,
      stack,
      newLocal: async (startAt) => {
        const local = new LocalJitAccess(await createLocalWorld(endpoint, stack), endpoint, startAt);
        locals.push(local);
        return local;
      },
      stop: async () => {
        for (const local of locals) await local.dispose();
        await server.stop();
        rmSync(outdir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await moto?.stop();
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Yesterday at 08:00 UTC, as the demo starts: the session transcript's times stay within CloudWatch's 14 days, and an
 * eight-hour grant is over before now.
 */
export function yesterdayMorning(): Date {
  const start = new Date(Date.now() - 24 * 3_600_000);
  start.setUTCHours(8, 0, 0, 0);
  return start;
}
