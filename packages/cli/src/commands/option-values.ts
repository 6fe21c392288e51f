import { escapeControl, UsageError } from "../io";

/**
 * A command's arguments as commander parsed them: its operands, and its options by their long name
 * (`state-dir`), a string for an option that takes a value, true for a flag. The checks below are the
 * commands' own (commander has already refused unknown options and missing values).
 */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === "string" ? value : undefined;
}

export function requiredFlag(parsed: ParsedArgs, name: string, what: string): string {
  const value = stringFlag(parsed, name);
  if (value === undefined) throw new UsageError(`--${name} is required (${what})`);
  return value;
}

export function integerFlag(
  parsed: ParsedArgs,
  name: string,
  fallback: number,
  range: [number, number],
): number {
  const text = stringFlag(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
    throw new UsageError(
      `--${name} must be a whole number from ${range[0]} to ${range[1]} (got '${escapeControl(text)}')`,
    );
  }
  return value;
}
