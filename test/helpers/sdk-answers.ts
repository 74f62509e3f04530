/** A command class of an AWS SDK v3 client (CreateRoleCommand, SendCommandCommand, …). */
export type CommandClass = abstract new (...args: never[]) => object;
/** A client's `send`, called with the client as `this`. */
export type Send<C> = (this: C, command: object) => Promise<unknown>;
/** What one command answers instead (or how it fails). */
export type Answer<C> = readonly [command: CommandClass, answer: Send<C>];

/**
 * The client's commands as the fakes answer them, but each answer rewrites what its command answers: an answer AWS
 * may give that the fakes never do (a list left out, a non-Error rejection). Answers every command sent, in order.
 * Restore with `jest.restoreAllMocks()`.
 */
export function rewriteAnswers<C>(client: { readonly prototype: C }, ...answers: readonly Answer<C>[]): object[] {
  const sent: object[] = [];
  const prototype = client.prototype as { send: Send<C> };
  const send = prototype.send;
  const rewritten: Send<C> = async function (this: C, command) {
    sent.push(command);
    const answer = answers.find(([type]) => command instanceof type)?.[1];
    return answer ? answer.call(this, command) : send.call(this, command);
  };
  jest.spyOn(prototype, 'send').mockImplementation(rewritten as never);
  return sent;
}

/** The inputs of the commands of one class among those sent. */
export const inputsOf = <T>(sent: readonly object[], type: abstract new (...args: never[]) => { input: T }): T[] =>
  sent.filter((c): c is { input: T } => c instanceof type).map((c) => c.input);

/** What the promise rejected with, whatever it is (rejectionOf takes only an Error). */
export const rejectionValueOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'resolved',
    (reason: unknown) => reason,
  );
