import { resolve } from "node:path";
import { NonRetryableEventError } from "@aurora-restore/functions/runtime/errors";
import { stages } from "@aurora-restore/functions/stages";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { recordReliability } from "../../../../test/reliability/record";
import { type AnyDomainEventContract, EventContractError } from "../../src/events/contract";
import { type DomainEvent, domainEvents, SnapshotAvailable } from "../../src/events/domain";
import { PIPELINE_SOURCE } from "../../src/events/names";
import { RDS_SOURCE, rdsDetailTypes, rdsEventIds, rdsEventSchema } from "../../src/events/rds";
import { type PlanInput, planSchema } from "../../src/plan/schema";
import { PlanValidationError, validatePlan } from "../../src/plan/validate";
import type { StageDeps } from "../../src/stages/kit/deps";
import type { OperationInfo } from "../../src/storage/operations";

/**
 * Hostile input, as property tests: every domain event contract, the RDS event schema and the plan schema
 * get arbitrary JSON, 3,000-level nesting, megabyte strings, wrong types, and valid inputs with one field
 * replaced by something hostile (5,000-character ids, control characters, __proto__/constructor keys,
 * NaN/Infinity-like strings, unicode). Each parse must either succeed with a value within the schema's
 * bounds or fail with zod issues (path + message) — never throw anything else, never take long, never touch
 * Object.prototype. The refused events then go through every service's real handler: each must reject
 * them as not retryable, without writing an audit entry under an operation that does not exist or that
 * they do not belong to, and without crashing.
 *
 * The counts are printed as one line, `hostile-input: cases=N refused=N ...`, for the reliability summary.
 */

/** Time one case may take before it counts as a hang (generous: the machine is shared). */
const CASE_BUDGET_MS = 1_500;
const RUNS_PER_CONTRACT = 90;
const WHOLE_INPUT_RUNS_PER_CONTRACT = 15;
const RUNS_PER_RDS_SCHEMA = 60;
const PLAN_RUNS = 250;
/** HOSTILE_INPUT_SEED=<n> replays a run (fast-check prints the seed of a failing one). */
const seed = process.env.HOSTILE_INPUT_SEED ? { seed: Number(process.env.HOSTILE_INPUT_SEED) } : {};
/** Refused events kept per schema for the handler phase. */
const REFUSED_KEPT_PER_SCHEMA = 40;

export const hostileInputCounts = { cases: 0, refused: 0, accepted: 0, handlerCalls: 0, maxCaseMs: 0 };

// ---------------------------------------------------------------------------------------------------------
// Valid samples: one per domain event contract (the Record type makes a new contract without one a
// compile error), per RDS detail-type, and a plan.

const account = "222222222222";
const region = "eu-west-1";
const uuid = "6a7e8feb-b491-4cf7-a9f1-bf3703467718";
const meta = {
  operationId: "op-0123456789abcdef0123",
  correlationId: "corr-hostile",
  causationId: uuid,
  occurredAt: "2026-03-14T04:00:00.000Z",
};
const cluster = { clusterIdentifier: "staging-db", accountId: account, region };
const snapshot = {
  identifier: "aurora-restore-0123456789-copy",
  arn: `arn:aws:rds:${region}:${account}:cluster-snapshot:aurora-restore-0123456789-copy`,
  accountId: account,
  region,
  kmsKeyId: `arn:aws:kms:${region}:${account}:key/7c2d9e4f-2222-4b4b-8e8e-000000000002`,
};
const endpoint = { host: "staging-db.cluster-abc.eu-west-1.rds.amazonaws.com", port: 5432 };
const secretArn = (name: string) => `arn:aws:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;

const samples: Record<DomainEvent["detailType"], Record<string, unknown>> = {
  ManualRestoreRequested: {
    targetClusterId: "staging-db",
    sourceSnapshotDate: "2026-03-14",
    requestedBy: "cli:alice",
  },
  RestoreRequested: {
    planId: "orders",
    target: cluster,
    sourceSnapshot: { ...snapshot, type: "automated" },
    trigger: "manual",
    requestedBy: "cli:alice",
  },
  SourceSnapshotCopied: { snapshot },
  SnapshotAvailable: { snapshot, sharedWith: [account] },
  CopyCompleted: { snapshot },
  ClusterCreated: { cluster },
  ClusterAvailable: { cluster, endpoint },
  ClusterConfigured: {
    cluster,
    endpoint,
    masterSecretArn: secretArn("staging/master"),
    applicationUsers: [{ username: "app_rw", secretArn: secretArn("staging/app_rw") }],
  },
  RestoreVerified: { cluster, checks: [{ name: "orders exist", passed: true, detail: "orders has 3 rows" }] },
  ClusterRenamed: { cluster, previousIdentifier: "staging-db-next", step: "new-moved-in" },
  RestoreCompleted: {
    planId: "orders",
    target: cluster,
    endpoint,
    replacedClusterIdentifier: "staging-db-old-0123456789",
  },
  RestoreFailed: {
    planId: "orders",
    target: cluster,
    stage: "copy",
    errorCode: "SnapshotQuotaExceeded",
    message: "The snapshot quota is reached.\nDelete old manual snapshots.",
  },
  RetryRequested: { fromStart: false, requestedBy: "cli:alice" },
  KeptResourcesExpired: {},
};

function pipelineEvent(contract: AnyDomainEventContract): Record<string, unknown> {
  return {
    version: "0",
    id: uuid,
    "detail-type": contract.detailType,
    source: PIPELINE_SOURCE,
    account,
    time: "2026-03-14T04:00:00Z",
    region,
    resources: [],
    detail: {
      ...meta,
      ...samples[contract.detailType as DomainEvent["detailType"]],
      schemaVersion: contract.version,
    },
  };
}

const rdsSamples = [
  [
    rdsDetailTypes.clusterSnapshot,
    "CLUSTER_SNAPSHOT",
    "cluster-snapshot:rds:orders-prod-2026-03-14-04-00",
    rdsEventIds.automatedSnapshotCreated,
    "backup",
  ],
  [rdsDetailTypes.cluster, "CLUSTER", "cluster:staging-db-next", rdsEventIds.clusterCreated, "creation"],
  [rdsDetailTypes.instance, "DB_INSTANCE", "db:staging-db-next-1", rdsEventIds.instanceCreated, "creation"],
].map(([detailType, sourceType, resource, eventId, category]) => {
  const arn = `arn:aws:rds:${region}:111111111111:${resource}`;
  return {
    version: "0",
    id: uuid,
    "detail-type": detailType,
    source: RDS_SOURCE,
    account: "111111111111",
    time: "2026-03-14T04:00:00Z",
    region,
    resources: [arn],
    detail: {
      EventCategories: [category],
      SourceType: sourceType,
      SourceArn: arn,
      SourceIdentifier: (resource as string).split(":").slice(1).join(":"),
      Date: "2026-03-14T04:00:00.123Z",
      Message: "hello",
      EventID: eventId,
    },
  };
});

const planSample: PlanInput = {
  id: "orders",
  description: "Refresh staging from production.",
  source: {
    accountId: "111111111111",
    region,
    clusterIdentifier: "orders-prod",
    roleArn: "arn:aws:iam::111111111111:role/aurora-restore-source-access",
    shareableKmsKeyId: `arn:aws:kms:${region}:111111111111:alias/aurora-restore-shareable`,
  },
  targets: [
    {
      accountId: account,
      region,
      clusterIdentifier: "staging-db",
      kmsKeyId: snapshot.kmsKeyId,
      masterSecretName: "staging/master",
      network: { dbSubnetGroupName: "db-subnets", vpcSecurityGroupIds: ["sg-0123abcd"] },
      applicationUsers: [
        {
          username: "app_rw",
          secretName: "staging/app_rw",
          grants: [{ privileges: ["SELECT"], tables: ["orders"] }],
        },
      ],
      postRestoreSql: [
        { name: "mask", sql: "UPDATE customers SET email = 'c-' || id || '@example.invalid'" },
      ],
      checks: [{ type: "row-count", name: "orders", table: "public.orders", min: 1 }],
    },
  ],
  trigger: { type: "schedule", expression: "rate(1 day)" },
  notificationTopicArn: `arn:aws:sns:${region}:${account}:aurora-restore`,
};

// ---------------------------------------------------------------------------------------------------------
// Hostile values. Each carries a label, so a failing case prints "5,000-character id", not the value.

class Hostile {
  constructor(
    readonly label: string,
    readonly value: unknown,
  ) {}
  [fc.toStringMethod](): string {
    return `Hostile(${this.label})`;
  }
}

/** Built without recursion, so nothing in the test itself needs a deep stack. */
function nested(levels: number, makeLevel: (inner: unknown) => unknown): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = makeLevel(value);
  return value;
}

/** An object with an own `__proto__` key, as JSON.parse makes it (an assignment would set the prototype). */
function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

const MEGABYTE = "A".repeat(1_000_000);
const HUNDRED_KB = "\u{1F600}".repeat(50_000);
const DEEP_OBJECT = nested(3_000, (inner) => ({ a: inner }));
const DEEP_ARRAY = nested(3_000, (inner) => [inner]);
const WIDE_OBJECT = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
const LONG_ARRAY = Array.from({ length: 100_000 }, () => "x");
const PROTO_PAYLOAD = JSON.parse(
  '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
);

const hostileStrings: [string, string][] = [
  ["5,000-character id", "o".repeat(5_000)],
  ["65-character id", "o".repeat(65)],
  ["empty string", ""],
  ["spaces", "   "],
  ["NUL", "op\u0000-1"],
  ["terminal escapes", "\u001b[2J\u001b]0;pwned\u0007"],
  ["forged log line", 'ok\r\n{"level":"info","message":"forged"}'],
  ["right-to-left override", "op-\u202e1-po"],
  ["zero-width space", "op-1\u200b"],
  ["lone surrogate", "op-\ud800"],
  ["C1 control", "op-\u0085"],
  ["fullwidth letters", "\uff4f\uff50\uff0d\uff11"],
  ["NaN", "NaN"],
  ["Infinity", "Infinity"],
  ["-Infinity", "-Infinity"],
  ["1e309", "1e309"],
  ["-0", "-0"],
  ["null as text", "null"],
  ["__proto__ as text", "__proto__"],
  ["constructor as text", "constructor"],
  ["path traversal", "../../etc/passwd"],
  ["SQL injection", "x'; DROP TABLE customers; --"],
  ["forged partition", "arn:awsevil:kms:eu-west-1:222222222222:key/k"],
  ["ARN of another service", "arn:aws:s3:::bucket/key"],
  ["emoji", "\u{1F600}\u{1F4A5}"],
  ["1 MB string", MEGABYTE],
  ["100 KB of emoji", HUNDRED_KB],
];

const hostileOthers: [string, unknown][] = [
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-0", -0],
  ["2^53 + 2", 2 ** 53 + 2],
  ["huge number", Number.MAX_VALUE],
  ["negative port-like number", -1],
  ["fraction", 0.5],
  ["null", null],
  ["true", true],
  ["empty array", []],
  ["empty object", {}],
  ["3,000-level object", DEEP_OBJECT],
  ["3,000-level array", DEEP_ARRAY],
  ["10,000-key object", WIDE_OBJECT],
  ["100,000-item array", LONG_ARRAY],
  ["__proto__/constructor payload", PROTO_PAYLOAD],
];

const hostileValue: fc.Arbitrary<Hostile> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(...hostileStrings).map(([label, value]) => new Hostile(label, value)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...hostileOthers).map(([label, value]) => new Hostile(label, value)),
  },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: "binary", maxLength: 80 })
      .map((s) => new Hostile(`random text ${JSON.stringify(s)}`, s)),
  },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 3 })
      .map((v) => new Hostile(`random JSON ${JSON.stringify(v)?.slice(0, 80)}`, v)),
  },
);

const hostileKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "\u001b[31mkey",
  "k".repeat(5_000),
);

// ---------------------------------------------------------------------------------------------------------
// Mutations of a valid sample.

type Path = (string | number)[];

/** Every path to a value in `root` (objects and arrays included), found without recursion. */
function pathsOf(root: unknown): Path[] {
  const paths: Path[] = [];
  const stack: { value: unknown; path: Path }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: Path };
    if (path.length > 0) paths.push(path);
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) stack.push({ value: v, path: [...path, i] });
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: [...path, k] });
    }
  }
  return paths;
}

type Mutation =
  | { kind: "replace"; path: Path; with: Hostile }
  | { kind: "delete"; path: Path }
  | { kind: "add-key"; path: Path; key: string; with: Hostile };

function mutationOf(sample: unknown): fc.Arbitrary<Mutation> {
  const paths = pathsOf(sample);
  const objectPaths: Path[] = [[], ...paths.filter((p) => isPlainObject(valueAt(sample, p)))];
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("replace" as const),
        path: fc.constantFrom(...paths),
        with: hostileValue,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("delete" as const), path: fc.constantFrom(...paths) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("add-key" as const),
        path: fc.constantFrom(...objectPaths),
        key: hostileKey,
        with: hostileValue,
      }),
    },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

function mutate(sample: unknown, mutation: Mutation): unknown {
  const copy = structuredClone(sample) as Record<string, unknown>;
  const parent = valueAt(copy, mutation.path.slice(0, -1)) as Record<string | number, unknown>;
  const last = mutation.path.at(-1) as string | number;
  if (mutation.kind === "replace")
    withOwnKey(parent as Record<string, unknown>, String(last), mutation.with.value);
  else if (mutation.kind === "delete") delete parent[last];
  else withOwnKey(valueAt(copy, mutation.path) as Record<string, unknown>, mutation.key, mutation.with.value);
  return copy;
}

/** Whole inputs that are not events at all, or envelopes around something that is not a detail. */
const wholeInput: fc.Arbitrary<Hostile> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => new Hostile(`random JSON ${JSON.stringify(v)?.slice(0, 80)}`, v)),
  fc.constantFrom(...hostileOthers, ...hostileStrings).map(([label, value]) => new Hostile(label, value)),
);

// ---------------------------------------------------------------------------------------------------------
// What every outcome must satisfy.

const protoKeysBefore = Reflect.ownKeys(Object.prototype).length;
const arrayProtoKeysBefore = Reflect.ownKeys(Array.prototype).length;

function expectPrototypesUntouched(): void {
  expect(Reflect.ownKeys(Object.prototype)).toHaveLength(protoKeysBefore);
  expect(Reflect.ownKeys(Array.prototype)).toHaveLength(arrayProtoKeysBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/** C0 (but tab, new line, carriage return), DEL, C1, bidi controls, line separators, lone surrogates. */
function unprintable(text: string, allowNewLines: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (allowNewLines && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

const multiLineFields = new Set(["message", "detail", "Message", "description", "sql"]);
const partitions = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):/;

/**
 * Bounds a parsed value must satisfy, stated independently of the schemas: short, printable strings,
 * well-formed ids and ARNs, small lists, shallow nesting, finite numbers, ordinary prototypes, no
 * __proto__/constructor keys.
 */
function expectWithinBounds(parsed: unknown, limits: { string: number; list: number }): void {
  const stack: { value: unknown; key: string; depth: number }[] = [{ value: parsed, key: "", depth: 0 }];
  while (stack.length > 0) {
    const { value, key, depth } = stack.pop() as { value: unknown; key: string; depth: number };
    expect(depth, key).toBeLessThanOrEqual(8);
    if (typeof value === "string") {
      // zod measures strings in code points (a UTF-16 pair is one), and so does this check.
      expect(codePoints(value), key).toBeLessThanOrEqual(multiLineFields.has(key) ? limits.string : 2_048);
      expect(unprintable(value, multiLineFields.has(key)), `${key} is printable`).toBe(false);
      if (key === "operationId") expect(value).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
      if (key === "correlationId" || key === "causationId" || key === "id")
        expect(value).toMatch(/^\S{1,128}$/);
      if (key === "accountId" || key === "account") expect(value).toMatch(/^\d{12}$/);
      if (key === "region") expect(value).toMatch(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/);
      if (key === "clusterIdentifier" || key === "targetClusterId") {
        expect(value).toMatch(/^[A-Za-z](-?[A-Za-z0-9])*$/);
        expect(value.length).toBeLessThanOrEqual(63);
      }
      if (/(Arn|^arn|kmsKeyId|KmsKeyId)$/.test(key) || (key === "" && value.startsWith("arn:"))) {
        expect(value).toMatch(partitions);
      }
    } else if (typeof value === "number") {
      expect(Number.isFinite(value), key).toBe(true);
    } else if (Array.isArray(value)) {
      expect(Object.getPrototypeOf(value)).toBe(Array.prototype);
      expect(value.length, key).toBeLessThanOrEqual(limits.list);
      for (const item of value) stack.push({ value: item, key: "", depth: depth + 1 });
    } else if (value !== null && typeof value === "object") {
      expect(Object.getPrototypeOf(value), key).toBe(Object.prototype);
      for (const own of Object.keys(value)) {
        expect(["__proto__", "constructor", "prototype"]).not.toContain(own);
        stack.push({ value: (value as Record<string, unknown>)[own], key: own, depth: depth + 1 });
      }
    }
  }
}

/** A clear refusal: zod issues, each with a path and a printable, bounded message. */
function expectClearZodError(error: unknown): void {
  if (error instanceof EventContractError) {
    expect(error.message.length).toBeLessThan(2_000);
    expect(unprintable(error.message, false)).toBe(false);
    return;
  }
  expect(error, String(error)).toBeInstanceOf(z.ZodError);
  const issues = (error as z.ZodError).issues;
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(Array.isArray(issue.path)).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.message.length).toBeLessThan(2_000);
    expect(unprintable(issue.message, false), issue.message).toBe(false);
  }
}

/** Runs one case within the time budget, counting it; `refused` says whether the input was refused. */
function timed(run: () => boolean): boolean {
  const started = performance.now();
  const refused = run();
  const elapsed = performance.now() - started;
  hostileInputCounts.cases++;
  hostileInputCounts[refused ? "refused" : "accepted"]++;
  hostileInputCounts.maxCaseMs = Math.max(hostileInputCounts.maxCaseMs, Math.round(elapsed));
  expect(elapsed, "one case must not take long").toBeLessThan(CASE_BUDGET_MS);
  expectPrototypesUntouched();
  return refused;
}

/** Refused inputs kept (a few per schema) for the handler phase. */
const refusedEvents: { label: string; event: unknown }[] = [];
function keepRefused(group: string, kept: Map<string, number>, label: string, event: unknown): void {
  const count = kept.get(group) ?? 0;
  if (count >= REFUSED_KEPT_PER_SCHEMA) return;
  kept.set(group, count + 1);
  refusedEvents.push({ label: `${group}: ${label}`, event });
}
const keptPerGroup = new Map<string, number>();

function parseDomainEvent(contract: AnyDomainEventContract, event: unknown): boolean {
  let parsed: unknown;
  try {
    parsed = contract.parseEnvelope(event);
  } catch (error) {
    expectClearZodError(error);
    return true;
  }
  expectWithinBounds(parsed, { string: 8_192, list: 100 });
  return false;
}

function parseRdsEvent(event: unknown): boolean {
  const result = rdsEventSchema.safeParse(event);
  if (!result.success) {
    expectClearZodError(result.error);
    return true;
  }
  expectWithinBounds(result.data, { string: 4_096, list: 100 });
  return false;
}

function validatePlanCase(input: unknown): boolean {
  try {
    const plan = validatePlan(input, "hostile.json");
    expect(planSchema.safeParse(plan).success).toBe(true);
    expectWithinBounds(plan, { string: 65_536, list: 1_000 });
    return false;
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(PlanValidationError);
    const { issues, message } = error as PlanValidationError;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.path.length).toBeGreaterThan(0);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    for (const line of message.split("\n")) expect(unprintable(line, false), line).toBe(false);
    expect(message.length).toBeLessThan(200_000);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------

describe("[slow] hostile input", () => {
  afterAll(() => {
    const c = hostileInputCounts;
    // Every case must be refused with a clear error or accepted within its bounds: anything else is lost.
    recordReliability("hostile-input", {
      badInputs: c.cases,
      events: c.handlerCalls,
      lost: c.cases - c.refused - c.accepted,
    });
    console.log(
      `hostile-input: cases=${c.cases} refused=${c.refused} accepted=${c.accepted} handler-calls=${c.handlerCalls} max-case-ms=${c.maxCaseMs}`,
    );
  });

  it("has a valid sample for every domain event contract (the mutations start from valid input)", () => {
    expect(Object.keys(samples).sort()).toEqual(domainEvents.map((c) => c.detailType).sort());
    for (const contract of domainEvents)
      expect(() => contract.parseEnvelope(pipelineEvent(contract))).not.toThrow();
    for (const event of rdsSamples) expect(rdsEventSchema.safeParse(event).error).toBeUndefined();
    expect(() => validatePlan(planSample)).not.toThrow();
  });

  describe.each(domainEvents.map((c) => [c.detailType, c] as const))("%s", (detailType, contract) => {
    const sample = pipelineEvent(contract);

    it("refuses or bounds valid events with one field made hostile", () => {
      fc.assert(
        fc.property(mutationOf(sample), (mutation) => {
          const event = mutate(sample, mutation);
          if (timed(() => parseDomainEvent(contract, event))) {
            keepRefused(detailType, keptPerGroup, describeMutation(mutation), event);
          }
        }),
        { numRuns: RUNS_PER_CONTRACT, ...seed },
      );
    });

    it("refuses whatever is not an event, and envelopes around anything but a detail", () => {
      fc.assert(
        fc.property(wholeInput, fc.boolean(), (hostile, asDetail) => {
          const event = asDetail ? { ...sample, detail: hostile.value } : hostile.value;
          expect(timed(() => parseDomainEvent(contract, event))).toBe(true);
          keepRefused(`${detailType} (whole)`, keptPerGroup, hostile.label, event);
        }),
        { numRuns: WHOLE_INPUT_RUNS_PER_CONTRACT, ...seed },
      );
    });
  });

  it.each(rdsSamples.map((e) => [e["detail-type"], e] as const))(
    "RDS %s: refuses or bounds hostile variants",
    (detailType, sample) => {
      fc.assert(
        fc.property(
          fc.oneof({ weight: 5, arbitrary: mutationOf(sample) }, { weight: 1, arbitrary: wholeInput }),
          (change) => {
            const event = change instanceof Hostile ? change.value : mutate(sample, change);
            if (timed(() => parseRdsEvent(event))) {
              keepRefused(
                `RDS ${detailType}`,
                keptPerGroup,
                change instanceof Hostile ? change.label : describeMutation(change),
                event,
              );
            }
          },
        ),
        { numRuns: RUNS_PER_RDS_SCHEMA, ...seed },
      );
    },
  );

  it("plans: refuses or bounds hostile variants with the field named", () => {
    fc.assert(
      fc.property(
        fc.oneof({ weight: 6, arbitrary: mutationOf(planSample) }, { weight: 1, arbitrary: wholeInput }),
        (change) => {
          const input = change instanceof Hostile ? change.value : mutate(planSample, change);
          timed(() => validatePlanCase(input));
        },
      ),
      { numRuns: PLAN_RUNS, ...seed },
    );
  });

  it("ran at least 1,000 cases, most of them refused", () => {
    expect(hostileInputCounts.cases).toBeGreaterThanOrEqual(1_000);
    expect(hostileInputCounts.refused).toBeGreaterThan(hostileInputCounts.cases / 2);
    expect(refusedEvents.length).toBeGreaterThan(100);
  });

  describe("through every service's handler", () => {
    type Handle = (event: unknown, deps: StageDeps) => Promise<void>;
    const handlers: { name: string; handle: Handle }[] = [];
    const repoRoot = resolve(import.meta.dirname, "../../../..");

    beforeAll(async () => {
      for (const service of stages) {
        const file = resolve(repoRoot, service.handler.replace(/\.handler$/, ".ts"));
        const module = (await import(file)) as { handle: Handle };
        handlers.push({ name: service.name, handle: module.handle });
      }
    }, 120_000);

    /**
     * The store knows one operation: the one every sample names, but with another correlation id and
     * target, so no sample (however mutated) belongs to it. Everything a stage would use beyond the
     * runtime's own needs throws: reaching it means a hostile event got past the runtime.
     */
    function hostileWorld(stored: Partial<OperationInfo>) {
      const audits: unknown[] = [];
      const lookups: unknown[] = [];
      const logged: string[] = [];
      const log = (message: string, extra?: Record<string, unknown>) => {
        logged.push(message, ...Object.values(extra ?? {}).filter((v): v is string => typeof v === "string"));
      };
      const forbidden = (what: string) => () => {
        throw new Error(`a hostile event reached ${what}`);
      };
      const deps = {
        store: {
          get: async (id: unknown) => {
            lookups.push(id);
            return id === stored.operationId ? stored : undefined;
          },
        },
        audit: { append: async (record: unknown) => void audits.push(record) },
        plans: { get: async () => ({ compliance: "pci" }), list: async () => [] },
        publisher: { putEvents: forbidden("the publisher") },
        rds: forbidden("RDS"),
        kms: forbidden("KMS"),
        secrets: forbidden("Secrets Manager"),
        notifications: { publish: forbidden("SNS") },
        database: { connect: forbidden("the database") },
        busName: "aurora-restore",
        actor: "hostile-input",
        clock: () => new Date("2026-03-14T04:00:00.000Z"),
        generatePassword: forbidden("the password generator"),
        logger: { info: log, warn: log, error: log },
        metrics: { count: () => {}, durationMs: () => {} },
      } as unknown as StageDeps;
      return { deps, audits, lookups, logged };
    }

    const foreign: Partial<OperationInfo> = {
      operationId: meta.operationId,
      correlationId: "corr-of-another-request",
      planId: "orders",
      targetKey: "333333333333/us-east-1/prod-db",
      target: { clusterIdentifier: "prod-db", accountId: "333333333333", region: "us-east-1" },
    };

    it("rejects every refused event as not retryable, writes no audit entry, and does not crash", async () => {
      expect(handlers.map((h) => h.name).sort()).toEqual(stages.map((s) => s.name).sort());
      expect(refusedEvents.length).toBeGreaterThan(100);
      for (const { label, event } of refusedEvents) {
        for (const { name, handle } of handlers) {
          const world = hostileWorld(foreign);
          const started = performance.now();
          const outcome = await handle(event, world.deps).then(
            () => "resolved",
            (error: unknown) => error,
          );
          hostileInputCounts.handlerCalls++;
          const where = `${name} <- ${label}`;
          expect(outcome, where).toBeInstanceOf(NonRetryableEventError);
          expect((outcome as NonRetryableEventError).retryable, where).toBe(false);
          expect(unprintable((outcome as Error).message, false), where).toBe(false);
          expect((outcome as Error).message.length, where).toBeLessThan(2_000);
          expect(world.audits, where).toEqual([]);
          // Only well-formed operation ids are ever used as keys.
          for (const id of world.lookups) expect(id, where).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
          for (const text of world.logged) {
            expect(unprintable(text, false), where).toBe(false);
            expect(text.length, where).toBeLessThan(5_000);
          }
          expect(performance.now() - started, where).toBeLessThan(CASE_BUDGET_MS);
          expectPrototypesUntouched();
        }
      }
    }, 300_000);

    it("does audit a refused event under the operation it belongs to (the check above can fail)", async () => {
      const owner: Partial<OperationInfo> = {
        ...foreign,
        correlationId: meta.correlationId,
        targetKey: `${account}/${region}/staging-db`,
        target: cluster,
      };
      const copy = handlers.find((h) => h.name === "copy") as { handle: Handle };
      const event = mutate(pipelineEvent(SnapshotAvailable), {
        kind: "delete",
        path: ["detail", "snapshot"],
      });
      const world = hostileWorld(owner);
      await expect(copy.handle(event, world.deps)).rejects.toBeInstanceOf(NonRetryableEventError);
      expect(world.audits).toEqual([
        expect.objectContaining({ operationId: meta.operationId, outcome: "rejected" }),
      ]);
    });
  });
});

function describeMutation(mutation: Mutation): string {
  const path = mutation.path.join(".") || "(root)";
  if (mutation.kind === "delete") return `delete ${path}`;
  if (mutation.kind === "replace") return `${path} = ${mutation.with.label}`;
  return `${path}[${JSON.stringify(mutation.key.slice(0, 20))}] = ${mutation.with.label}`;
}
