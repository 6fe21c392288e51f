/**
 * The bounds the local EventBridge puts on what callers hand it, in one place so that reliability suites
 * can name them. Each is either AWS's own limit or, where AWS's is larger than a local bus can process
 * safely (or is undocumented), a smaller documented one. Everything is checked at the edge (PutEvents,
 * PutRule, TestEventPattern) so that hostile input is refused once, with a clear error, and is never
 * delivered, retried or dead-lettered.
 */

/**
 * How deeply a PutEvents `Detail` may nest (the detail object itself is level 1; every object or array
 * inside adds one). AWS documents that PutEvents "will only process nested JSON up to 1000 levels deep"
 * (the .NET and botocore docs say 1100); locally every level is a stack frame in each handler (zod
 * parsing, structuredClone, JSON.stringify), and an 18 KB detail nested 3000 deep overflowed the stack in
 * all of them. 100 leaves ten times the pipeline's own depth (its events are under 10 levels deep) and keeps
 * every recursive consumer far from the stack limit. Deeper details are refused per entry (InvalidArgument).
 */
export const MAX_DETAIL_DEPTH = 100;

/** The deepest envelope the bus builds: the detail sits one level below the envelope object. */
export const MAX_EVENT_DEPTH = MAX_DETAIL_DEPTH + 1;

/**
 * The longest event pattern, in characters of its JSON text (AWS's PutRule/TestEventPattern API constraint:
 * the EventPattern member has a maximum length of 4096). AWS's default *quota* is 2048 characters, raised up
 * to 4096 on request; the local bus accepts the API maximum. An object pattern is measured as compact JSON.
 */
export const MAX_EVENT_PATTERN_LENGTH = 4096;

/**
 * How deeply a pattern may nest. A pattern mirrors the event it filters: reaching a field at the deepest
 * level a detail may have (MAX_EVENT_DEPTH) takes that many objects, then a value list, an operator object
 * and an operand list (+3); the rest leaves room for several `$or` levels (each adds a list and an object).
 */
export const MAX_EVENT_PATTERN_DEPTH = 128;

/**
 * Work budget for the rare events whose array-consistent matching cannot be decided field by field: a
 * field that several sibling arrays can satisfy (only possible with dot-joined keys such as `{"a": [...],
 * "a.b": [...]}`). Deciding those is a covering problem, exponential in the worst case; past this many
 * steps the match is abandoned with EventTooComplexError. Ordinary events never get near it: without that
 * ambiguity matching is linear in the number of candidate values (see matcher.ts).
 */
export const MAX_AMBIGUOUS_MATCH_STEPS = 100_000;

/** Dead-letter messages keep the event whole (it is bounded by PutEvents) but cut error texts to this. */
export const MAX_DEAD_LETTER_ERROR_MESSAGE_LENGTH = 1024;
export const MAX_DEAD_LETTER_ERROR_CODE_LENGTH = 128;

/**
 * Nesting depth of JSON text (objects and arrays; the top-level container is 1, a bare scalar 0), found by
 * scanning the text once without parsing it. The scan stops as soon as the depth exceeds `limit`, so the
 * answer is exact up to `limit + 1` and costs at most one pass. Brackets inside strings do not count.
 */
export function jsonTextDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Nesting depth of a value (same counting as jsonTextDepth), without recursion, stopping past `limit`.
 * A cyclic value is infinitely deep: it stops at `limit + 1` like any other too-deep value.
 */
export function jsonValueDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return deepest;
    }
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}
