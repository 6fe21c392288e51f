/**
 * Matches events against compiled patterns with EventBridge's semantics:
 * - the event is flattened into leaves keyed by dot-joined paths (so `{"a.b": 1}` and `{"a": {"b": 1}}` are
 *   the same field, as in AWS), an array contributing one leaf per element and an empty array none;
 * - a field matches when some leaf at its path satisfies one of its alternatives; `exists: false` matches
 *   when there is no leaf at all (a missing parent, an object value, an empty array);
 * - fields taken from elements of the same array must come from the same element (event-ruler's
 *   "array-consistent" matching), so Anna and Jones in different employees do not satisfy one pattern.
 *
 * Cost is bounded. Array consistency used to be decided by trying every combination of candidate leaves,
 * exponential in the number of fields (a 113-byte pattern against a 229-byte event took 4 s). It is now
 * decided on the event's tree of arrays, top down: at each array element (and at the root) a field is
 * either satisfied right there, or by leaves inside exactly one child array; fields are grouped by that
 * child array and each group must be satisfiable together inside one of its elements. Every candidate
 * leaf is looked at once per array level it sits in, so matching is linear in the candidate leaves times
 * their array depth (depth is bounded by MAX_EVENT_DEPTH). Only a field that *several* sibling arrays can
 * satisfy (possible only with dot-joined keys, `{"a": [{"b": 1}], "a.b": [2]}`) needs a search over which
 * array serves it; that search is memoised and capped at MAX_AMBIGUOUS_MATCH_STEPS (EventTooComplexError).
 */
import { EventTooComplexError } from "./errors";
import { cidrContains, parseIpAddress } from "./ip";
import { MAX_AMBIGUOUS_MATCH_STEPS, MAX_EVENT_DEPTH } from "./limits";
import type { CompiledPattern, FieldRule, ValueMatcher } from "./pattern-types";
import { type WildcardToken, wildcardMatches } from "./wildcard";

type Leaf = string | number | boolean | null;

interface LeafEntry {
  value: Leaf;
  /** For every array this leaf sits in, outermost first: [array id, element index]. */
  memberships: [number, number][];
  /** The value lower-cased, computed on first use by the case-insensitive operators. */
  folded?: string;
}

export type FlatEvent = Map<string, LeafEntry[]>;

/**
 * Work done by one or more matches, in elementary steps (a value compared with an operator, a candidate
 * leaf visited at one array level, a character scanned by the wildcard matcher). Tests bound it.
 */
export interface MatchStats {
  steps: number;
}

/**
 * Flattens an event once, so several rules can be matched against it cheaply. An event nested deeper than
 * `maxDepth` (objects and arrays; the event object is level 1) is refused with EventTooComplexError: the
 * bus never builds one (PutEvents refuses such details), and the recursion here stays shallow.
 */
export function flattenEvent(event: unknown, maxDepth: number = MAX_EVENT_DEPTH): FlatEvent {
  const flat: FlatEvent = new Map();
  let nextArrayId = 0;
  const walk = (value: unknown, path: string, memberships: [number, number][], depth: number): void => {
    if (typeof value === "object" && value !== null && depth + 1 > maxDepth) {
      throw new EventTooComplexError(`it is nested deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(value)) {
      const id = nextArrayId++;
      value.forEach((item, index) => {
        walk(item, path, [...memberships, [id, index]], depth + 1);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value))
        walk(child, path ? `${path}.${key}` : key, memberships, depth + 1);
    } else if (path !== "" && value !== undefined && typeof value !== "function") {
      const entries = flat.get(path) ?? [];
      entries.push({ value: value as Leaf, memberships });
      flat.set(path, entries);
    }
  };
  walk(event, "", [], 0);
  return flat;
}

/** AWS folds case for equals-ignore-case; the exact Unicode folding is not documented, lower-casing is close. */
const fold = (text: string) => text.toLowerCase();

function anyWildcard(patterns: WildcardToken[][], value: string, stats?: MatchStats): boolean {
  return patterns.some((tokens) => wildcardMatches(tokens, value, stats));
}

/**
 * Whether one leaf value satisfies one (non-`exists: false`) alternative. `folded` supplies the value
 * lower-cased (cached per leaf by the matcher, so a long value is folded once, not once per operator).
 */
export function valueMatches(
  matcher: ValueMatcher,
  value: Leaf,
  stats?: MatchStats,
  folded: () => string = () => fold(value as string),
): boolean {
  if (stats) stats.steps++;
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
        (matcher.ignoreCase ? folded().startsWith(fold(matcher.value)) : value.startsWith(matcher.value))
      );
    case "suffix":
      return (
        typeof value === "string" &&
        (matcher.ignoreCase ? folded().endsWith(fold(matcher.value)) : value.endsWith(matcher.value))
      );
    case "equals-ignore-case":
      return typeof value === "string" && folded() === fold(matcher.value);
    case "wildcard":
      return typeof value === "string" && wildcardMatches(matcher.tokens, value, stats);
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
    case "anything-but-ignore-case": {
      if (typeof value !== "string") return true;
      const mine = folded();
      return !matcher.values.some((v) => fold(v) === mine);
    }
    case "anything-but-wildcard":
      return typeof value !== "string" || !anyWildcard(matcher.values, value, stats);
  }
}

function foldedOf(entry: LeafEntry): () => string {
  return () => {
    entry.folded ??= fold(entry.value as string);
    return entry.folded;
  };
}

/** The ways one field can be satisfied: by some leaves, and/or by being absent. */
interface FieldOptions {
  leaves: LeafEntry[];
  absentOk: boolean;
}

/**
 * One match of one pattern against one flattened event. Field options are memoised by (path, alternatives):
 * the branches `$or` expands to share their alternatives, so each (field, leaf) pair is tested once.
 */
class Match {
  private readonly options = new Map<ValueMatcher[], Map<string, FieldOptions>>();
  private ambiguousSteps = 0;

  constructor(
    private readonly flat: FlatEvent,
    private readonly stats: MatchStats,
  ) {}

  fieldOptions(rule: FieldRule): FieldOptions {
    let byPath = this.options.get(rule.matchers);
    if (!byPath) {
      byPath = new Map();
      this.options.set(rule.matchers, byPath);
    }
    const known = byPath.get(rule.path);
    if (known) return known;
    const entries = this.flat.get(rule.path) ?? [];
    const wantsAbsence = rule.matchers.some((m) => m.kind === "exists" && !m.value);
    const positive = rule.matchers.filter((m) => !(m.kind === "exists" && !m.value));
    const options: FieldOptions = {
      leaves: entries.filter((entry) =>
        positive.some((m) => valueMatches(m, entry.value, this.stats, foldedOf(entry))),
      ),
      absentOk: wantsAbsence && entries.length === 0,
    };
    byPath.set(rule.path, options);
    return options;
  }

  branchMatches(branch: FieldRule[]): boolean {
    const options = branch.map((rule) => this.fieldOptions(rule));
    if (options.some((o) => !o.absentOk && o.leaves.length === 0)) return false;
    // Fields satisfied by absence constrain nothing; the rest need one mutually consistent leaf each.
    const pending = options.filter((o) => !o.absentOk).map((o) => o.leaves);
    return this.satisfiable(pending, 0);
  }

  /**
   * Whether every field (given as its candidate leaves) can get one leaf, all leaves mutually consistent,
   * inside one array element. Precondition: every leaf given shares the same first `depth` memberships (they
   * all sit inside that element; depth 0 is the event itself).
   */
  private satisfiable(fields: LeafEntry[][], depth: number): boolean {
    // Child array id -> the fields that can only be satisfied inside it (with their leaves there).
    const forced = new Map<number, LeafEntry[][]>();
    const ambiguous: Map<number, LeafEntry[]>[] = [];
    for (const leaves of fields) {
      this.stats.steps += leaves.length;
      // A leaf directly in this element (in no further array) satisfies the field without constraint.
      if (leaves.some((leaf) => leaf.memberships.length === depth)) continue;
      const byArray = new Map<number, LeafEntry[]>();
      for (const leaf of leaves) {
        const arrayId = leaf.memberships[depth]![0];
        const list = byArray.get(arrayId);
        if (list) list.push(leaf);
        else byArray.set(arrayId, [leaf]);
      }
      if (byArray.size === 1) {
        const [[arrayId, inArray]] = byArray as unknown as [[number, LeafEntry[]]];
        const group = forced.get(arrayId);
        if (group) group.push(inArray);
        else forced.set(arrayId, [inArray]);
      } else {
        ambiguous.push(byArray);
      }
    }
    if (ambiguous.length === 0) {
      for (const [, group] of forced) if (!this.someElementSatisfies(group, depth)) return false;
      return true;
    }
    return this.assignAmbiguous(forced, ambiguous, depth);
  }

  /** Whether one element of the array (all `fields` sit in it at `depth`) can satisfy every field. */
  private someElementSatisfies(fields: LeafEntry[][], depth: number): boolean {
    // Element index -> the fields' leaves in that element, in field order; only complete elements count.
    const byElement = new Map<number, LeafEntry[][]>();
    fields.forEach((leaves, fieldIndex) => {
      this.stats.steps += leaves.length;
      for (const leaf of leaves) {
        const element = leaf.memberships[depth]![1];
        let perField = byElement.get(element);
        if (!perField) {
          // An element lacking one of the earlier fields can never be complete.
          if (fieldIndex > 0) continue;
          perField = [];
          byElement.set(element, perField);
        }
        if (perField.length === fieldIndex) perField.push([leaf]);
        else if (perField.length === fieldIndex + 1) perField[fieldIndex]!.push(leaf);
      }
    });
    for (const perField of byElement.values()) {
      if (perField.length === fields.length && this.satisfiable(perField, depth + 1)) return true;
    }
    return false;
  }

  /**
   * Fields that several sibling arrays can satisfy: try each assignment of those fields to one of their
   * arrays (fields of the same array must then be satisfied together in one element), memoising each
   * (array, set of fields) verdict, within MAX_AMBIGUOUS_MATCH_STEPS.
   */
  private assignAmbiguous(
    forced: Map<number, LeafEntry[][]>,
    ambiguous: Map<number, LeafEntry[]>[],
    depth: number,
  ): boolean {
    const verdicts = new Map<string, boolean>();
    const assigned = new Map<number, { keys: string[]; fields: LeafEntry[][] }>();
    for (const [arrayId, group] of forced) {
      assigned.set(arrayId, { keys: group.map((_, i) => `f${i}`), fields: [...group] });
    }
    const check = (arrayId: number): boolean => {
      const entry = assigned.get(arrayId);
      if (!entry) return true;
      const key = `${arrayId}:${entry.keys.join(",")}`;
      let verdict = verdicts.get(key);
      if (verdict === undefined) {
        const before = this.stats.steps;
        verdict = this.someElementSatisfies(entry.fields, depth);
        verdicts.set(key, verdict);
        this.charge(this.stats.steps - before);
      }
      return verdict;
    };
    // Forced groups alone must already be satisfiable.
    for (const arrayId of assigned.keys()) if (!check(arrayId)) return false;
    const search = (i: number): boolean => {
      const field = ambiguous[i];
      if (!field) return true;
      for (const [arrayId, leaves] of field) {
        this.stats.steps++;
        this.charge(1);
        let entry = assigned.get(arrayId);
        if (!entry) {
          entry = { keys: [], fields: [] };
          assigned.set(arrayId, entry);
        }
        entry.keys.push(`a${i}`);
        entry.fields.push(leaves);
        const ok = check(arrayId) && search(i + 1);
        entry.keys.pop();
        entry.fields.pop();
        if (entry.keys.length === 0) assigned.delete(arrayId);
        if (ok) return true;
      }
      return false;
    };
    return search(0);
  }

  /** Counts work done on behalf of an ambiguous field (nested searches count at every level). */
  private charge(steps: number): void {
    this.ambiguousSteps += steps;
    if (this.ambiguousSteps > MAX_AMBIGUOUS_MATCH_STEPS) {
      throw new EventTooComplexError(
        `matching it needs more than ${MAX_AMBIGUOUS_MATCH_STEPS} steps (the same field in several sibling arrays, through dot-joined keys)`,
      );
    }
  }
}

/**
 * Matches a compiled pattern against an event (or an already flattened one). Pass `stats` to count the
 * work done. Throws EventTooComplexError for an event nested deeper than MAX_EVENT_DEPTH, or one whose
 * dot-joined keys make array-consistent matching exceed MAX_AMBIGUOUS_MATCH_STEPS.
 */
export function matchesPattern(pattern: CompiledPattern, event: unknown, stats?: MatchStats): boolean {
  const flat = event instanceof Map ? (event as FlatEvent) : flattenEvent(event);
  const match = new Match(flat, stats ?? { steps: 0 });
  return pattern.branches.some((branch) => match.branchMatches(branch));
}
