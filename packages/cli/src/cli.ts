import { StateFolderBusyError } from "@aurora-restore/local/state-lock";
import { commands } from "./commands/index";
import { type CliIo, type Command, escapeControl, safeIo, UsageError } from "./io";

function helpText(): string {
  const lines = commands.map((c) => `  aurora-restore ${c.path.join(" ")}  ${c.summary}`);
  return [
    "Usage: aurora-restore <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Exit status: 0 done; 1 failed, or the state folder is in use by another process (its pid and command",
    "are named); 2 wrong usage (unknown option, invalid plan, missing --state-dir folder...); 128 + n when",
    "stopped by signal n (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), after stopping the local servers.",
    "",
  ].join("\n");
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

/**
 * The one line a process gets when another holds its state folder: who (pid, command, since when) and what
 * to do. Exit 1: nothing is wrong with the command; the folder is busy.
 */
export function busyMessage(error: StateFolderBusyError): string {
  const { holder } = error;
  return (
    `aurora-restore: the state folder ${escapeControl(error.stateDir)} is in use by process ${holder.pid} ` +
    `(${escapeControl(holder.command)}, since ${escapeControl(holder.since)}): wait for it to finish, ` +
    `stop it (Ctrl-C in its terminal, or kill ${holder.pid}), or use another --state-dir\n`
  );
}

/**
 * Runs one command. Everything it writes goes through safeIo: control characters from arguments, files or
 * state are printed escaped, never raw.
 */
export async function runCli(argv: string[], rawIo: CliIo): Promise<number> {
  const io = safeIo(rawIo);
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.stdout.write(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    io.stderr.write(`aurora-restore: unknown command '${escapeControl(argv.join(" "))}'.\n\n${helpText()}`);
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
    if (error instanceof StateFolderBusyError) {
      io.stderr.write(busyMessage(error));
      return 1;
    }
    throw error;
  }
}
