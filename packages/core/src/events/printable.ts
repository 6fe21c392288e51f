/**
 * Text taken from untrusted input (event fields, plan keys, file names) made safe to print in an error
 * message, a log line or a terminal: cut to `max` characters (the original length is said), and control
 * characters, bidirectional overrides, line separators and lone surrogates written as `\uXXXX` escapes, so
 * no input can move the cursor, recolour a terminal, fake a new log line or reorder what is shown.
 */
export function printable(value: unknown, max = 200): string {
  const text = describe(value);
  const cut = text.length > max ? `${text.slice(0, max)}...(${text.length} characters)` : text;
  return cut.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** True when `text` holds a character `printable` would escape. */
export function hasUnprintable(text: string): boolean {
  return UNPRINTABLE_ONE.test(text);
}

// C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates, and surrogates
// without their other half.
const UNPRINTABLE = new RegExp(
  "[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\u200e\\u200f\\u061c]" +
    "|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]",
  "g",
);
const UNPRINTABLE_ONE = new RegExp(UNPRINTABLE.source);

function describe(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  // Never String(object): a JSON object may carry its own non-callable toString and make String() throw.
  return Array.isArray(value) ? "(an array)" : `(${typeof value})`;
}
