import { createInterface } from "node:readline/promises";
import { type CliIo, UsageError } from "../io";
import type { ParsedArgs } from "./option-values";

export const yesOption = { flags: "--yes", description: "do it without asking (needed without a terminal)" };

/**
 * Whether a command that destroys something may go ahead: --yes, or "y" typed at a terminal. Without a
 * terminal (a script, CI) and without --yes it is refused (exit 2), rather than waiting on input nobody gives.
 */
export async function confirmed(parsed: ParsedArgs, question: string, io: CliIo): Promise<boolean> {
  if (parsed.flags.has("yes")) return true;
  if (!process.stdin.isTTY) {
    throw new UsageError(`${question} Add --yes to confirm (there is no terminal to ask at).`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    if (/^y(es)?$/i.test(answer.trim())) return true;
    io.stderr.write("Nothing was changed.\n");
    return false;
  } finally {
    prompt.close();
  }
}
