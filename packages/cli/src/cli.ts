import { commands } from "./commands/index";
import { type CliIo, type Command, UsageError } from "./io";

function helpText(): string {
  const lines = commands.map((c) => `  aurora-restore ${c.path.join(" ")}  ${c.summary}`);
  return ["Usage: aurora-restore <command> [options]", "", "Commands:", ...lines, ""].join("\n");
}

/** Picks the command whose words are the longest prefix of argv. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const sorted = [...commands].sort((a, b) => b.path.length - a.path.length);
  for (const command of sorted) {
    if (command.path.every((word, i) => argv[i] === word)) {
      return { command, rest: argv.slice(command.path.length) };
    }
  }
  return undefined;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.stdout.write(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.stderr.write(`aurora-restore: unknown command '${argv.join(" ")}'.\n\n${helpText()}`);
    return 2;
  }
  if (found.rest.includes("--help") || found.rest.includes("-h")) {
    io.stdout.write(`${found.command.usage}\n`);
    return 0;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`aurora-restore ${found.command.path.join(" ")}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
