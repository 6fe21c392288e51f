import { escapeControl, UsageError } from "../io";

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/**
 * `--name value`, `--name=value` and boolean `--name` (for the names in `booleans`). Unknown options are
 * refused with the list of known ones, so a typo never silently changes what a command does.
 */
export function parseArgs(
  args: readonly string[],
  spec: { values?: readonly string[]; booleans?: readonly string[] },
): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const shown = escapeControl(name);
    if (booleans.has(name)) {
      if (eq !== -1) throw new UsageError(`--${shown} takes no value`);
      flags.set(name, true);
    } else if (values.has(name)) {
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith("--"))) {
        throw new UsageError(`--${shown} needs a value`);
      }
      flags.set(name, value);
    } else {
      const known = [...values, ...booleans].map((n) => `--${n}`).join(", ");
      throw new UsageError(`unknown option --${shown}${known ? ` (known: ${known})` : ""}`);
    }
  }
  return { positionals, flags };
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
