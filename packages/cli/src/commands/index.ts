import type { Command } from "../io";

/** Every command of the CLI; each lives in its own module under commands/. */
export const commands: Command[] = [];
