/**
 * Matches events against compiled patterns with EventBridge's semantics:
 * - the event is flattened into leaves keyed by dot-joined paths (so `{"a.b": 1}` and `{"a": {"b": 1}}` are
 *   the same field, as in AWS), an array contributing one leaf per element and an empty array none;
 * - a field matches when some leaf at its path satisfies one of its alternatives; `exists: false` matches
 *   when there is no leaf at all (a missing parent, an object value, an empty array);
 * - fields taken from elements of the same array must come from the same element (event-ruler's
 *   "array-consistent" matching), so Anna and Jones in different employees do not satisfy one pattern.
 */
import { cidrContains, parseIpAddress } from "./ip";
import type { CompiledPattern, FieldRule, ValueMatcher } from "./pattern-types";
import { type WildcardToken, wildcardMatches } from "./wildcard";

type Leaf = string | number | boolean | null;

interface LeafEntry {
  value: Leaf;
  /** For every array this leaf sits in: [array id, element index]. */
  memberships: [number, number][];
}

export type FlatEvent = Map<string, LeafEntry[]>;

/** Flattens an event once, so several rules can be matched against it cheaply. */
export function flattenEvent(event: unknown): FlatEvent {
  const flat: FlatEvent = new Map();
  let nextArrayId = 0;
  const walk = (value: unknown, path: string, memberships: [number, number][]): void => {
    if (Array.isArray(value)) {
      const id = nextArrayId++;
      value.forEach((item, index) => {
        walk(item, path, [...memberships, [id, index]]);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value))
        walk(child, path ? `${path}.${key}` : key, memberships);
    } else if (path !== "" && value !== undefined) {
      const entries = flat.get(path) ?? [];
      entries.push({ value: value as Leaf, memberships });
      flat.set(path, entries);
    }
  };
  walk(event, "", []);
  return flat;
}

/** AWS folds case for equals-ignore-case; the exact Unicode folding is not documented, lower-casing is close. */
const fold = (text: string) => text.toLowerCase();

function anyWildcard(patterns: WildcardToken[][], value: string): boolean {
  return patterns.some((tokens) => wildcardMatches(tokens, value));
}

/** Whether one leaf value satisfies one (non-`exists: false`) alternative. */
export function valueMatches(matcher: ValueMatcher, value: Leaf): boolean {
  switch (matcher.kind) {
    case "exact": {
      const expected = matcher.value;
      if (typeof expected === "string") {
        if (typeof value !== "string") return false;
        if (value === expected) return true;
        // event-ruler compiles an IP-address literal to a one-address range: other spellings of it match.
        const a = parseIpAddress(expected);
        const b = a && parseIpAddress(value);
        return !!a && !!b && a.version === b.version && a.value === b.value;
      }
      // Numbers compare as numbers (300 equals 300.0 and 3.0e2); booleans and null by identity.
      return value === expected;
    }
    case "prefix":
      return (
        typeof value === "string" &&
        (matcher.ignoreCase ? fold(value).startsWith(fold(matcher.value)) : value.startsWith(matcher.value))
      );
    case "suffix":
      return (
        typeof value === "string" &&
        (matcher.ignoreCase ? fold(value).endsWith(fold(matcher.value)) : value.endsWith(matcher.value))
      );
    case "equals-ignore-case":
      return typeof value === "string" && fold(value) === fold(matcher.value);
    case "wildcard":
      return typeof value === "string" && wildcardMatches(matcher.tokens, value);
    case "numeric": {
      // Only JSON numbers: the string "300" and null never satisfy a numeric range.
      if (typeof value !== "number") return false;
      const { lower, upper } = matcher;
      if (lower && (lower.inclusive ? value < lower.value : value <= lower.value)) return false;
      if (upper && (upper.inclusive ? value > upper.value : value >= upper.value)) return false;
      return true;
    }
    case "exists":
      // A leaf exists even when it is null; exists:false is decided on absence, by the caller.
      return matcher.value;
    case "cidr":
      return typeof value === "string" && cidrContains(matcher.range, value);
    // anything-but excludes values of its own type only: null, booleans and values of the other type match.
    case "anything-but":
      return !matcher.values.some((excluded) => excluded === value);
    case "anything-but-prefix":
      return typeof value !== "string" || !matcher.values.some((p) => value.startsWith(p));
    case "anything-but-suffix":
      return typeof value !== "string" || !matcher.values.some((s) => value.endsWith(s));
    case "anything-but-ignore-case":
      return typeof value !== "string" || !matcher.values.some((v) => fold(v) === fold(value));
    case "anything-but-wildcard":
      return typeof value !== "string" || !anyWildcard(matcher.values, value);
  }
}

/** The ways one field can be satisfied: by some leaves, and/or by being absent. */
interface FieldOptions {
  leaves: LeafEntry[];
  absentOk: boolean;
}

function fieldOptions(rule: FieldRule, flat: FlatEvent): FieldOptions {
  const entries = flat.get(rule.path) ?? [];
  const wantsAbsence = rule.matchers.some((m) => m.kind === "exists" && !m.value);
  const positive = rule.matchers.filter((m) => !(m.kind === "exists" && !m.value));
  return {
    leaves: entries.filter((entry) => positive.some((m) => valueMatches(m, entry.value))),
    absentOk: wantsAbsence && entries.length === 0,
  };
}

/** Two leaves are compatible when, for every array both sit in, they come from the same element. */
function consistent(chosen: Map<number, number>, leaf: LeafEntry): boolean {
  return leaf.memberships.every(([id, index]) => {
    const taken = chosen.get(id);
    return taken === undefined || taken === index;
  });
}

function branchMatches(branch: FieldRule[], flat: FlatEvent): boolean {
  const options = branch.map((rule) => fieldOptions(rule, flat));
  if (options.some((o) => !o.absentOk && o.leaves.length === 0)) return false;
  // Fields satisfied by absence constrain nothing; the rest need one mutually consistent leaf each.
  const pending = options.filter((o) => !o.absentOk).sort((a, b) => a.leaves.length - b.leaves.length);
  const chosen = new Map<number, number>();
  const search = (i: number): boolean => {
    const field = pending[i];
    if (!field) return true;
    for (const leaf of field.leaves) {
      if (!consistent(chosen, leaf)) continue;
      const added = leaf.memberships.filter(([id]) => !chosen.has(id));
      for (const [id, index] of added) chosen.set(id, index);
      if (search(i + 1)) return true;
      for (const [id] of added) chosen.delete(id);
    }
    return false;
  };
  return search(0);
}

/** Matches a compiled pattern against an event (or an already flattened one). */
export function matchesPattern(pattern: CompiledPattern, event: unknown): boolean {
  const flat = event instanceof Map ? (event as FlatEvent) : flattenEvent(event);
  return pattern.branches.some((branch) => branchMatches(branch, flat));
}
