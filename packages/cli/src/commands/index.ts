import type { Command } from "../io";
import { eventsTestPatternCommand } from "./events-test-pattern";

/** Every command of the CLI; each lives in its own module under commands/. */
export const commands: Command[] = [eventsTestPatternCommand];
