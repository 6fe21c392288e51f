import type { CommandOption } from "../io";

export const jsonOption: CommandOption = {
  flags: "--json",
  description: "print the result as JSON on stdout (for scripts)",
};

export const stateDirOption: CommandOption = {
  flags: "--state-dir <dir>",
  description: "the local state folder (default: $AURORA_RESTORE_STATE_DIR, else .aurora-restore)",
};
