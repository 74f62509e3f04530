import type { Caller } from './identity';
import type { HistoryEntry } from './types';

/** Who acted: a person (with the ARN they signed with) or a part of the system ("workflow", "sweeper", ...). */
export type Actor = Caller | string;

export function actorName(actor: Actor): string {
  return typeof actor === 'string' ? actor : actor.person;
}

/** A history entry; a person's entry keeps the ARN their request was signed with. */
export function historyEntry(at: string, actor: Actor, event: string, detail?: string): HistoryEntry {
  return {
    at,
    ...(typeof actor === 'string' ? { actor } : { actor: actor.person, actorArn: actor.arn }),
    event,
    ...(detail ? { detail } : {}),
  };
}
