import type { ParsedArgs } from "./commands/option-values";

/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  /**
   * The real stderr when it is a terminal (the binary sets it): progress is drawn live there. Without it
   * progress is one plain line per event, without colour.
   */
  terminal?: NodeJS.WriteStream;
  /**
   * Asks a yes/no question at the terminal (the binary sets it when stdin and stderr are terminals).
   * Without it the CLI is not interactive: a command that would ask refuses instead.
   */
  confirm?(question: string): Promise<boolean>;
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

export interface CommandOption {
  /** commander's syntax: `--json`, `--rows <n>`. */
  flags: string;
  description: string;
  /** Refuse the option given twice (rather than the last one winning). */
  once?: true;
}

export interface Command {
  /** Words that select the command, e.g. ["events", "test-pattern"]. */
  path: string[];
  summary: string;
  /** Its operands in commander's syntax: `<operationId>`, `[messageId...]`. */
  operands?: string;
  options: CommandOption[];
  /** Paragraphs printed in --help after the options. */
  details?: string;
  /** Command lines printed in --help; at least one. */
  examples: [string, ...string[]];
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

const hex = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * User-controlled text (arguments, file names, plan keys, ids) made safe to print: every C0 control
 * character (newline and tab included), DEL and every C1 control character becomes a JSON-style escape
 * (`\u001b`), so typed or stored text can neither drive the terminal nor fake extra lines.
 */
export function escapeControl(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, hex);
}

/**
 * What every write of the CLI goes through (see safeIo): the same escapes, except for the line feeds and
 * tabs the CLI writes itself. JSON-style escapes keep `--json` output valid: JSON.stringify already escapes
 * C0 characters inside strings, and a C1 character can only appear inside a string, where `\u0085` is the
 * same character to a JSON parser.
 */
export function escapeForTerminal(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, hex);
}

/** The CLI's streams with every chunk passed through escapeForTerminal. */
export function safeIo(io: CliIo): CliIo {
  return {
    ...(io.terminal ? { terminal: io.terminal } : {}),
    ...(io.confirm ? { confirm: (question: string) => io.confirm!(escapeForTerminal(question)) } : {}),
    stdout: { write: (chunk: string) => io.stdout.write(escapeForTerminal(String(chunk))) },
    stderr: { write: (chunk: string) => io.stderr.write(escapeForTerminal(String(chunk))) },
  };
}
