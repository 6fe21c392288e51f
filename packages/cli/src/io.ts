/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** A command's failure that the user can fix: printed without a stack, with its exit code. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export interface Command {
  /** Words that select the command, e.g. ["events", "test-pattern"]. */
  path: string[];
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
