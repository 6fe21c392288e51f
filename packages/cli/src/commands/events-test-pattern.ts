/**
 * `aurora-restore events test-pattern`: the local equivalent of `aws events test-event-pattern`, using the
 * same matcher and validation as the local bus, so a pattern can be checked before it goes into a stack.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { RDS_SOURCE } from "@aurora-restore/core/events/rds";
import {
  DEFAULT_MAX_REQUEST_SIZE_BYTES,
  formatAwsCliError,
  isEventBridgeError,
  testEventPattern,
} from "@aurora-restore/local/eventbridge/index";
import { type CliIo, type Command, escapeControl, UsageError } from "../io";
import type { ParsedArgs } from "./option-values";
import { requiredFlag } from "./option-values";

const details = `Tests whether an event matches an EventBridge event pattern, as 'aws events test-event-pattern' does.
Prints {"Result": true} or {"Result": false}. An invalid pattern or event is reported as AWS reports it
(InvalidEventPatternException / ValidationException) and exits with status 2.`;

type Option = "--event-pattern" | "--event";

/**
 * The most a value (inline or from a file) may hold, in bytes: PutEvents' request limit, far above any
 * event or pattern (patterns stop at MAX_EVENT_PATTERN_LENGTH, 4096 characters, checked afterwards with
 * AWS's error). Reading is bounded by it: `file:///dev/zero` used to grow the process to 2.6 GB.
 */
export const MAX_INPUT_BYTES = DEFAULT_MAX_REQUEST_SIZE_BYTES;

function tooLarge(option: Option, what: string): never {
  throw new UsageError(
    `${option}: ${escapeControl(what)} is larger than ${MAX_INPUT_BYTES} bytes (the most this command reads).`,
  );
}

function cannotRead(option: Option, file: string, error: unknown): never {
  throw new UsageError(
    `${option}: cannot read ${escapeControl(file)}: ${escapeControl((error as Error).message)}`,
  );
}

/**
 * Reads at most MAX_INPUT_BYTES + 1 bytes of a regular file: devices (/dev/zero), FIFOs, sockets and
 * directories are refused before anything is read, and a file that is (or grows) too large is refused
 * without being read whole. O_NONBLOCK keeps opening a FIFO from waiting for a writer.
 */
function readBoundedFile(option: Option, file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return cannotRead(option, file, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new UsageError(`${option}: ${escapeControl(file)} is not a regular file.`);
    if (stats.size > MAX_INPUT_BYTES) tooLarge(option, file);
    const buffer = Buffer.alloc(MAX_INPUT_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      // A file that grew after fstat (or reports size 0, as /proc files do) is still cut off here.
      if (length > MAX_INPUT_BYTES) tooLarge(option, file);
    }
    return buffer.toString("utf8", 0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return cannotRead(option, file, error);
  } finally {
    closeSync(fd);
  }
}

/** `file://path` reads the file (relative to the working directory), as the AWS CLI does; else the text itself. */
function readValue(option: Option, value: string): string {
  if (!value.startsWith("file://")) {
    if (Buffer.byteLength(value, "utf8") > MAX_INPUT_BYTES) tooLarge(option, "the value");
    return value;
  }
  return readBoundedFile(option, path.resolve(value.slice("file://".length)));
}

export const eventsTestPatternCommand: Command = {
  path: ["events", "test-pattern"],
  summary: "Test an event against an EventBridge event pattern (like aws events test-event-pattern)",
  options: [
    { flags: "--event-pattern <value>", description: "the pattern, as JSON text or file://path", once: true },
    {
      flags: "--event <value>",
      description: "the event (needs id, account, source, time, region, detail-type), JSON or file://path",
      once: true,
    },
  ],
  details,
  examples: [
    `aurora-restore events test-pattern --event-pattern '{"source":["${RDS_SOURCE}"]}' --event file://event.json`,
  ],
  async run(parsed: ParsedArgs, io: CliIo): Promise<number> {
    const pattern = readValue("--event-pattern", requiredFlag(parsed, "event-pattern", "the pattern"));
    const event = readValue("--event", requiredFlag(parsed, "event", "the event to test"));
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
