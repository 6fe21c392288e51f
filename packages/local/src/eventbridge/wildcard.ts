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
  const alphabet = new Set<string>(["\u0000"]);
  for (const step of steps) if (!step.star) alphabet.add(step.char);
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
    for (const char of alphabet) {
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

/** Glob match with backtracking to the last star only, which is enough for `*` (linear in practice). */
export function wildcardMatches(tokens: WildcardToken[], value: string): boolean {
  let pos = 0;
  let i = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (i < tokens.length || pos < value.length) {
    const token = tokens[i];
    if (token?.kind === "star") {
      starAt = i;
      resumeAt = pos;
      i++;
      continue;
    }
    if (token && value.startsWith(token.text, pos)) {
      pos += token.text.length;
      i++;
      continue;
    }
    // Mismatch (or pattern exhausted with input left): let the last star swallow one more character.
    if (starAt < 0 || resumeAt >= value.length) return false;
    i = starAt + 1;
    pos = ++resumeAt;
  }
  return true;
}
