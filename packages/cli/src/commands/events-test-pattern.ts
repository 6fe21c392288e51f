/**
 * `aurora-restore events test-pattern`: the local equivalent of `aws events test-event-pattern`, using the
 * same matcher and validation as the local bus, so a pattern can be checked before it goes into a stack.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  formatAwsCliError,
  isEventBridgeError,
  testEventPattern,
} from "@aurora-restore/local/eventbridge/index";
import { type CliIo, type Command, UsageError } from "../io";

const usage = `Usage: aurora-restore events test-pattern --event-pattern <json|file://path> --event <json|file://path>

Tests whether an event matches an EventBridge event pattern, as 'aws events test-event-pattern' does.
Prints {"Result": true} or {"Result": false}. An invalid pattern or event is reported as AWS reports it
(InvalidEventPatternException / ValidationException) and exits with status 2.

Options:
  --event-pattern <value>  the pattern, as JSON text or file://path
  --event <value>          the event (needs id, account, source, time, region, detail-type), JSON or file://path`;

const OPTIONS = ["--event-pattern", "--event"] as const;
type Option = (typeof OPTIONS)[number];

function parseArgs(args: string[]): Record<Option, string> {
  const values: Partial<Record<Option, string>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = (eq > 0 ? arg.slice(0, eq) : arg) as Option;
    if (!OPTIONS.includes(name)) throw new UsageError(`unknown argument '${arg}'.\n\n${usage}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value.\n\n${usage}`);
    if (values[name] !== undefined) throw new UsageError(`${name} is given twice.`);
    values[name] = value;
  }
  for (const option of OPTIONS) {
    if (values[option] === undefined) throw new UsageError(`missing ${option}.\n\n${usage}`);
  }
  return values as Record<Option, string>;
}

/** `file://path` reads the file (relative to the working directory), as the AWS CLI does; else the text itself. */
function readValue(option: Option, value: string): string {
  if (!value.startsWith("file://")) return value;
  const file = path.resolve(value.slice("file://".length));
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${file}: ${(error as Error).message}`);
  }
}

export const eventsTestPatternCommand: Command = {
  path: ["events", "test-pattern"],
  summary: "Test an event against an EventBridge event pattern (like aws events test-event-pattern)",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const options = parseArgs(args);
    const pattern = readValue("--event-pattern", options["--event-pattern"]);
    const event = readValue("--event", options["--event"]);
    try {
      const result = testEventPattern(pattern, event);
      io.stdout.write(`{"Result": ${result}}\n`);
      return 0;
    } catch (error) {
      if (!isEventBridgeError(error)) throw error;
      io.stderr.write(`${formatAwsCliError(error, "TestEventPattern")}\n`);
      return 2;
    }
  },
};
