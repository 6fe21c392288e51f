/** `TestEventPattern`: the API's input validation in front of the matcher. */
import { compilePattern } from "./compile-pattern";
import { EventBridgeError } from "./errors";
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

/** Parses and checks the event as TestEventPattern does: a JSON object with the required envelope fields. */
export function parseTestEvent(event: unknown): Record<string, unknown> {
  let parsed = event;
  if (typeof event === "string") {
    try {
      parsed = JSON.parse(event);
    } catch {
      invalidEvent();
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) invalidEvent();
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
