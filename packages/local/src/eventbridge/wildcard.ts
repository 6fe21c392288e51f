/**
 * The `wildcard` operator: `*` matches any run of characters (including none, including `/`), `\*` is a
 * literal star and `\\` a literal backslash; every other escape, and `**`, is rejected as AWS rejects it.
 */
import { InvalidEventPatternError } from "./errors";

export type WildcardToken = { kind: "star" } | { kind: "text"; text: string };

const utf8 = new TextEncoder();

/**
 * AWS reports positions as a byte offset (UTF-8) into the operand *with its JSON quotes*, so the opening
 * quote shifts every position by one: `arn:aws:events:us-east-1:**` reports pos 26, not 25.
 */
function awsPosition(operand: string, index: number): number {
  return utf8.encode(operand.slice(0, index)).length + 1;
}

/** Splits the operand into literal runs and stars, validating escapes and consecutive stars. */
export function parseWildcard(operand: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  let text = "";
  for (let i = 0; i < operand.length; i++) {
    const c = operand[i];
    if (c === "\\") {
      const next = operand[i + 1];
      // A trailing backslash would escape AWS's closing quote, hence "invalid escape" rather than "dangling".
      if (next !== "*" && next !== "\\") {
        throw new InvalidEventPatternError(`Invalid escape character at pos ${awsPosition(operand, i)}`);
      }
      text += next;
      i++;
    } else if (c === "*") {
      if (operand[i + 1] === "*") {
        throw new InvalidEventPatternError(
          `Consecutive wildcard characters at pos ${awsPosition(operand, i)}`,
        );
      }
      if (text) tokens.push({ kind: "text", text });
      text = "";
      tokens.push({ kind: "star" });
    } else {
      text += c;
    }
  }
  if (text) tokens.push({ kind: "text", text });
  return tokens;
}

/**
 * Heuristic stand-in for event-ruler's MachineComplexityEvaluator, which bounds how many automaton states one
 * input can keep alive at once. We simulate the pattern's NFA over every reachable state set and reject a
 * pattern that can keep more than MAX_ACTIVE_STATES alive. The threshold is calibrated on AWS's recorded
 * answers: `*:*:*:*:*:event-bus/*` (12 live states) is rejected while `/Users/*\/dir/dir/dir/dir/dir/doc.txt`
 * (8) and `arn:aws:events:us-east-1:*:event-bus/*` (4) are accepted. AWS's exact limit is not published.
 */
const MAX_ACTIVE_STATES = 10;
const MAX_EXPLORED_SETS = 5_000;

export function assertWildcardNotTooComplex(tokens: WildcardToken[]): void {
  // One NFA position per character, a star being a self-looping position.
  const steps: ({ star: true } | { star: false; char: string })[] = [];
  for (const token of tokens) {
    if (token.kind === "star") steps.push({ star: true });
    else for (const char of token.text) steps.push({ star: false, char });
  }
  const closure = (set: Set<number>): Set<number> => {
    for (const s of [...set].sort((a, b) => a - b)) {
      let p = s;
      while (steps[p]?.star) set.add(++p);
    }
    return set;
  };
  // The alphabet, in first-use order; "\u0000" (first) stands for every character the pattern does not use.
  const alphabet = new Map<string, number>([["\u0000", 0]]);
  for (const step of steps)
    if (!step.star && !alphabet.has(step.char)) alphabet.set(step.char, alphabet.size);
  const keyOf = (set: Set<number>) => [...set].sort((a, b) => a - b).join(",");
  const start = closure(new Set([0]));
  const seen = new Set([keyOf(start)]);
  const queue = [start];
  while (queue.length > 0 && seen.size < MAX_EXPLORED_SETS) {
    const current = queue.pop()!;
    const live = [...current].filter((s) => s < steps.length).length;
    if (live > MAX_ACTIVE_STATES) {
      throw new InvalidEventPatternError(
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
      );
    }
    // Only the characters some state of `current` expects can lead anywhere but the stars' own loops;
    // every other character leads to the same set, so the first of them (in alphabet order) stands for all.
    // Trying just those, in alphabet order, visits the same sets in the same order as trying the whole
    // alphabet did (which made long operands quadratic: 3.5 s to compile a 2,000-character operand).
    const expected = new Set<string>();
    for (const s of current) {
      const step = steps[s];
      if (step && !step.star) expected.add(step.char);
    }
    const chars = [...expected];
    for (const char of alphabet.keys()) {
      if (!expected.has(char)) {
        chars.push(char);
        break;
      }
    }
    chars.sort((a, b) => alphabet.get(a)! - alphabet.get(b)!);
    for (const char of chars) {
      const next = new Set<number>();
      for (const s of current) {
        const step = steps[s];
        if (!step) continue;
        if (step.star) next.add(s);
        else if (step.char === char) next.add(s + 1);
      }
      closure(next);
      const key = keyOf(next);
      if (next.size > 0 && !seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
}

/** Where `needle` first occurs in `haystack` within [from, end) (Knuth-Morris-Pratt: linear, no backtracking). */
function indexWithin(
  haystack: string,
  needle: string,
  from: number,
  end: number,
  stats?: { steps: number },
): number {
  if (needle.length === 0) return from <= end ? from : -1;
  const failure = new Int32Array(needle.length);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = failure[k - 1]!;
    if (needle[i] === needle[k]) k++;
    failure[i] = k;
  }
  let matched = 0;
  for (let i = from; i < end; i++) {
    if (stats) stats.steps++;
    while (matched > 0 && haystack[i] !== needle[matched]) matched = failure[matched - 1]!;
    if (haystack[i] === needle[matched]) matched++;
    if (matched === needle.length) return i - needle.length + 1;
  }
  return -1;
}

/**
 * Glob match in linear time. With `*` as the only wildcard, taking each literal run at its leftmost
 * possible place is always right: the first run must start the value, the last must end it, and each
 * middle run is searched (KMP) after the previous one, so no character is scanned twice. `stats` counts
 * the characters scanned.
 */
export function wildcardMatches(tokens: WildcardToken[], value: string, stats?: { steps: number }): boolean {
  const first = tokens[0];
  if (tokens.length === 0) return value === "";
  if (tokens.length === 1 && first?.kind === "text") return value === first.text;
  let pos = 0;
  let start = 0;
  if (first?.kind === "text") {
    if (!value.startsWith(first.text)) return false;
    pos = first.text.length;
    start = 1;
  }
  let end = value.length;
  let stop = tokens.length;
  const last = tokens[tokens.length - 1];
  if (last?.kind === "text" && stop - 1 >= start) {
    end = value.length - last.text.length;
    if (end < pos || !value.endsWith(last.text)) return false;
    stop--;
  }
  if (stats) stats.steps += pos + (value.length - end);
  for (let i = start; i < stop; i++) {
    const token = tokens[i]!;
    if (token.kind === "star") continue;
    const at = indexWithin(value, token.text, pos, end, stats);
    if (at < 0) return false;
    pos = at + token.text.length;
  }
  return true;
}
