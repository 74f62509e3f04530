/** Exit codes of every command: 0 done, 1 refused or failed, 2 bad input. */
export const EXIT = { ok: 0, refused: 1, badInput: 2 } as const;

/** A command that cannot go on: the lines to print (one per problem) and the exit code. */
export class CliError extends Error {
  constructor(
    public readonly exitCode: number,
    public readonly lines: readonly string[],
    /** For --json: the error as the API gave it, or as the CLI found it (every problem, when there are several). */
    public readonly detail: {
      readonly code: string;
      readonly field?: string;
      readonly message: string;
      readonly problems?: readonly { readonly field: string; readonly message: string }[];
    },
  ) {
    super(lines.join('\n'));
    this.name = 'CliError';
  }
}

/** Bad input found by the CLI itself, before anything was sent: one problem per line, each naming the option. */
export function badInput(problems: readonly { readonly field: string; readonly message: string }[]): CliError {
  const [first] = problems;
  return new CliError(
    EXIT.badInput,
    problems.map((p) => `${p.field}: ${p.message}`),
    {
      code: 'BAD_INPUT',
      field: first?.field ?? 'input',
      message: first?.message ?? 'is invalid',
      ...(problems.length > 1 ? { problems } : {}),
    },
  );
}
