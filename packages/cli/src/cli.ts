import { StateFolderBusyError } from "@aurora-restore/local/state-lock";
import { commands } from "./commands/index";
import { type CliIo, escapeControl, safeIo, UsageError } from "./io";
import { buildProgram, CommanderError, commanderExitCode } from "./program";

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
 * state are printed escaped, never raw. Exit statuses: see exitStatusHelp.
 */
export async function runCli(argv: string[], rawIo: CliIo): Promise<number> {
  const io = safeIo(rawIo);
  let code = 0;
  const program = buildProgram(commands, io, async (command, args) => {
    try {
      code = await command.run(args, io);
    } catch (error) {
      if (error instanceof UsageError) {
        io.stderr.write(`aurora-restore ${command.path.join(" ")}: ${error.message}\n`);
        code = error.exitCode;
      } else if (error instanceof StateFolderBusyError) {
        io.stderr.write(busyMessage(error));
        code = 1;
      } else throw error;
    }
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    throw error;
  }
}
