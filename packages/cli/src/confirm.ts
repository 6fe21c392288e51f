import { createInterface } from "node:readline/promises";

/** A yes/no question on stderr, answered on stdin: only "y" or "yes" is yes; Ctrl-C or end of input is no. */
export async function askAtTerminal(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  // A pending question never settles when the input closes (Ctrl-C, end of input): that is a no.
  const closed = new Promise<string>((resolve) => prompt.once("close", () => resolve("")));
  try {
    const answer = await Promise.race([prompt.question(`${question} [y/N] `), closed]);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}
