/** `TestEventPattern`: the API's input validation in front of the matcher. */
import { compilePattern } from "./compile-pattern";
import { EventBridgeError } from "./errors";
import { jsonTextDepth, jsonValueDepth, MAX_EVENT_DEPTH } from "./limits";
import { matchesPattern } from "./matcher";

/** The envelope fields TestEventPattern insists on (AWS answers `Parameter Event is not valid.` otherwise). */
export const TEST_EVENT_REQUIRED_FIELDS = [
  "id",
  "account",
  "source",
  "time",
  "region",
  "detail-type",
] as const;

function invalidEvent(): never {
  throw new EventBridgeError("ValidationException", "Parameter Event is not valid.");
}

function tooDeep(): never {
  throw new EventBridgeError(
    "ValidationException",
    `Parameter Event is not valid. Reason: Event is nested more than ${MAX_EVENT_DEPTH} levels deep (the local EventBridge's limit).`,
  );
}

/**
 * Parses and checks the event as TestEventPattern does: a JSON object with the required envelope fields,
 * nested at most MAX_EVENT_DEPTH levels (what PutEvents lets onto the bus), checked before it is parsed.
 */
export function parseTestEvent(event: unknown): Record<string, unknown> {
  let parsed = event;
  if (typeof event === "string") {
    if (jsonTextDepth(event, MAX_EVENT_DEPTH) > MAX_EVENT_DEPTH) tooDeep();
    try {
      parsed = JSON.parse(event);
    } catch {
      invalidEvent();
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) invalidEvent();
  if (typeof event !== "string" && jsonValueDepth(parsed, MAX_EVENT_DEPTH) > MAX_EVENT_DEPTH) tooDeep();
  const object = parsed as Record<string, unknown>;
  if (!TEST_EVENT_REQUIRED_FIELDS.every((field) => field in object)) invalidEvent();
  return object;
}

/**
 * Whether `event` matches `pattern`, like `aws events test-event-pattern`. Both may be JSON text or values.
 * Throws ValidationException for an event AWS would refuse and InvalidEventPatternException for a bad pattern.
 */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  const parsedEvent = parseTestEvent(event);
  return matchesPattern(compilePattern(pattern), parsedEvent);
}
