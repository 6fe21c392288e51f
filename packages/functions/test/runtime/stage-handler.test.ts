import {
  ClusterCreated,
  CopyCompleted,
  defineStage,
  type KmsPort,
  type OperationInfo,
  PIPELINE_SOURCE,
  RDS_SOURCE,
  rdsDetailTypes,
  resourceChangedPattern,
  type StageDeps,
  type StageName,
} from "@aurora-restore/core";
import { describe, expect, test, vi } from "vitest";
import { awsStageDeps } from "../../src/runtime/aws-deps";
import { awsRdsPort } from "../../src/runtime/aws-ports/rds";
import { declaredDeps, UndeclaredPortError } from "../../src/runtime/declared-deps";
import { NonRetryableEventError } from "../../src/runtime/errors";
import { stageHandler } from "../../src/runtime/stage-handler";

/** Stages as the tests declare them: the handler takes its subscriptions from these. */
function declared<const C extends typeof CopyCompleted | typeof ClusterCreated>(
  name: StageName,
  contracts: readonly C[],
) {
  return defineStage({
    name,
    description: "test stage",
    handler: `packages/functions/src/${name}/handler.handler`,
    subscriptions: [{ bus: "pipeline", contracts }],
    reachesDatabase: false,
    ports: [],
    permissions: () => [],
  });
}
const scheduledWatcher = defineStage({
  name: "watcher",
  description: "test stage",
  handler: "packages/functions/src/watcher/handler.handler",
  subscriptions: [{ bus: "default", pattern: resourceChangedPattern(), description: "RDS resources" }],
  schedule: "rate(1 minute)",
  reachesDatabase: false,
  ports: [],
  permissions: () => [],
});

const meta = {
  operationId: "op-123",
  correlationId: "corr-123",
  causationId: "evt-0",
  occurredAt: "2026-03-14T04:00:00.000Z",
};
const snapshot = {
  identifier: "aurora-restore-abc-copy",
  arn: "arn:aws:rds:us-east-1:222222222222:cluster-snapshot:aurora-restore-abc-copy",
  accountId: "222222222222",
  region: "us-east-1",
};

function envelope(detailType: string, detail: unknown, source = PIPELINE_SOURCE) {
  return {
    version: "0",
    id: "evt-1",
    "detail-type": detailType,
    source,
    account: "222222222222",
    time: "2026-03-14T04:00:00Z",
    region: "us-east-1",
    resources: [],
    detail,
  };
}

/** C0/C1 control characters and DEL, checked by code point (independently of the runtime's own rule). */
function hasControlCharacter(text: string): boolean {
  return [...text].some((c) => {
    const code = c.codePointAt(0) as number;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}

/** Every string logged (messages and the values of their fields), as written, not JSON-escaped. */
function loggedText(lines: { message: string; extra?: Record<string, unknown> }[]): string {
  return lines
    .flatMap((l) => [l.message, ...Object.values(l.extra ?? {}).filter((v) => typeof v === "string")])
    .join(" | ");
}

/** An operation as the store holds it: the one `meta` (op-123, corr-123) belongs to. */
const storedOperation: Partial<OperationInfo> = {
  operationId: "op-123",
  correlationId: "corr-123",
  planId: "p",
  targetKey: "222222222222/us-east-1/staging-db",
  target: { clusterIdentifier: "staging-db", accountId: "222222222222", region: "us-east-1" },
};

function fakeDeps(operation?: Partial<OperationInfo>) {
  const lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  const audits: { record: unknown; options: unknown }[] = [];
  const counts: string[] = [];
  const dimensions: Record<string, string>[] = [];
  const lookedUp: string[] = [];
  const log = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    lines.push({ level, message, ...(extra ? { extra } : {}) });
  const deps = {
    store: {
      get: async (id: string) => {
        lookedUp.push(id);
        return operation && id === operation.operationId ? operation : undefined;
      },
    },
    audit: { append: async (record: unknown, options: unknown) => audits.push({ record, options }) },
    plans: { get: async () => ({ compliance: "pci" }) },
    actor: "test",
    clock: () => new Date("2026-03-14T04:00:00.000Z"),
    logger: { info: log("info"), warn: log("warn"), error: log("error") },
    metrics: {
      count: (name: string, _value: number, dims: Record<string, string>) => {
        counts.push(name);
        dimensions.push(dims);
      },
      durationMs: () => {},
    },
  } as unknown as StageDeps;
  return {
    deps,
    lines,
    audits: audits.map((a) => a.record) as unknown[],
    auditCalls: audits,
    counts,
    dimensions,
    lookedUp,
  };
}

describe("stageHandler", () => {
  test("parses the event by its detail-type and tags every log line with the operation id, secrets redacted", async () => {
    const seen: string[] = [];
    const { handle } = stageHandler(declared("restore", [CopyCompleted, ClusterCreated]), {
      CopyCompleted: async (event, deps) => {
        seen.push(event.detail.snapshot.identifier);
        deps.logger.info("working", { password: "hunter2-secret", snapshot: event.detail.snapshot.arn });
      },
      ClusterCreated: async () => {
        throw new Error("expected CopyCompleted");
      },
    });
    const { deps, lines, counts } = fakeDeps();
    await handle(envelope(CopyCompleted.detailType, { ...meta, schemaVersion: 1, snapshot }), deps);

    expect(seen).toEqual(["aurora-restore-abc-copy"]);
    expect(lines).toEqual([
      {
        level: "info",
        message: "working",
        extra: expect.objectContaining({
          service: "restore",
          operationId: "op-123",
          correlationId: "corr-123",
          eventId: "evt-1",
          password: "[redacted]",
        }),
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain("hunter2");
    // One key per meaning: the correlation id is logged once, as correlationId.
    expect(lines[0]?.extra).not.toHaveProperty("correlation_id");
    expect(counts).toEqual(["EventsReceived", "EventsProcessed"]);
  });

  test("an invalid event is rejected as not retryable and audited against the operation it belongs to", async () => {
    const run = vi.fn();
    const { handle } = stageHandler(declared("restore", [CopyCompleted]), { CopyCompleted: run });
    const { deps, auditCalls, counts } = fakeDeps(storedOperation);
    const error = await handle(envelope(CopyCompleted.detailType, { ...meta, schemaVersion: 1 }), deps).catch(
      (e) => e,
    );

    expect(error).toBeInstanceOf(NonRetryableEventError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/invalid CopyCompleted: detail\.snapshot/);
    expect(run).not.toHaveBeenCalled();
    expect(auditCalls).toEqual([
      {
        record: expect.objectContaining({
          operationId: "op-123",
          targetKey: "222222222222/us-east-1/staging-db",
          outcome: "rejected",
          stage: "restore",
        }),
        // No compliance on the stored operation: the plan's (pci) sets the retention.
        options: expect.objectContaining({ compliance: "pci" }),
      },
    ]);
    expect(counts).toContain("EventsRejected");
    expect(counts).not.toContain("RejectionsNotAudited");
  });

  test.each([
    ["an operation that does not exist", { operationId: "op-missing" }, "no such operation"],
    ["another correlation id", { correlationId: "corr-other" }, "correlation id"],
    [
      "another target",
      {
        planId: "p",
        target: { clusterIdentifier: "prod-db", accountId: "222222222222", region: "us-east-1" },
      },
      "target",
    ],
    [
      "a target whose fields are not strings",
      { target: { clusterIdentifier: { toString: 1 }, accountId: "222222222222", region: "us-east-1" } },
      "target",
    ],
    [
      "a cluster in another account",
      { cluster: { clusterIdentifier: "staging-db", accountId: "333333333333", region: "us-east-1" } },
      "cluster",
    ],
    ["another plan", { planId: "other-plan" }, "plan"],
    ["another target cluster (manual request)", { targetClusterId: "prod-db" }, "target cluster"],
    ["a malformed operation id", { operationId: "x".repeat(5_000) }, "malformed"],
    ["an operation id with a control character", { operationId: "op-123\u001b[2J" }, "malformed"],
  ])(
    "a rejected event naming %s writes no audit entry, only a log line and a metric",
    async (_case, change, why) => {
      const { handle } = stageHandler(declared("restore", [CopyCompleted]), { CopyCompleted: vi.fn() });
      const { deps, audits, counts, lines, lookedUp } = fakeDeps(storedOperation);
      const event = envelope(CopyCompleted.detailType, { ...meta, schemaVersion: 1, ...change });
      await expect(handle(event, deps)).rejects.toBeInstanceOf(NonRetryableEventError);

      expect(audits).toEqual([]);
      expect(counts).toEqual(expect.arrayContaining(["EventsRejected", "RejectionsNotAudited"]));
      const line = lines.find((l) => l.message.startsWith("Rejected"));
      expect(line?.extra?.notAudited).toEqual(expect.stringContaining(why));
      // A malformed id is never used as a key, not even to look it up.
      if (why === "malformed") expect(lookedUp).toEqual([]);
      expect(hasControlCharacter(loggedText(lines))).toBe(false);
    },
  );

  test("what a forged event claims reaches logs, errors and metrics cut and escaped", async () => {
    const { handle } = stageHandler(declared("copy", [CopyCompleted]), { CopyCompleted: vi.fn() });
    const { deps, lines, dimensions } = fakeDeps();
    const forged = {
      ...envelope(`Evil\u001b]0;pwned\u0007${"x".repeat(5_000)}`, { ...meta }, PIPELINE_SOURCE),
      id: "id\r\nFAKE LOG LINE",
    };
    const error = await handle(forged, deps).catch((e) => e);
    expect(error).toBeInstanceOf(NonRetryableEventError);
    expect(hasControlCharacter(error.message)).toBe(false);
    expect(error.message.length).toBeLessThan(1_500);
    expect(error.message).toContain("\\u001b");
    expect(hasControlCharacter(loggedText(lines))).toBe(false);
    expect(loggedText(lines)).toContain("\\u001b]0;pwned");
    expect(loggedText(lines)).not.toContain("x".repeat(200));
    expect(dimensions.map((d) => d.detailType).filter(Boolean)).toEqual(["(other)", "(other)"]);
  });

  test("events of other types, sources, schedules and RDS are rejected unless the stage takes them", async () => {
    const { handle } = stageHandler(declared("copy", [CopyCompleted]), { CopyCompleted: async () => {} });
    const { deps, audits } = fakeDeps();
    await expect(handle(envelope(ClusterCreated.detailType, { ...meta }), deps)).rejects.toThrow(
      /copy accepts CopyCompleted/,
    );
    await expect(
      handle(envelope(CopyCompleted.detailType, { ...meta }, "someone.else"), deps),
    ).rejects.toThrow(NonRetryableEventError);
    await expect(handle(envelope("Scheduled Event", {}, "aws.events"), deps)).rejects.toThrow(
      /not a scheduled/,
    );
    await expect(handle(envelope(rdsDetailTypes.cluster, {}, RDS_SOURCE), deps)).rejects.toThrow(
      /RDS events/,
    );
    await expect(handle(undefined, deps)).rejects.toThrow(NonRetryableEventError);
    await expect(handle("not an event", deps)).rejects.toThrow(NonRetryableEventError);
    await expect(handle([1, 2], deps)).rejects.toThrow(NonRetryableEventError);
    // op-123 does not exist here: nothing is written under an operation id an event merely claims.
    expect(audits).toEqual([]);
  });

  test("routes RDS events and scheduled ticks to their functions", async () => {
    const ticks: string[] = [];
    const rds: string[] = [];
    const { handle } = stageHandler(scheduledWatcher, {
      onSchedule: async (tick) => {
        ticks.push(tick.id);
      },
      onRdsEvent: async (event) => {
        rds.push(event.detail.EventID);
      },
    });
    const { deps } = fakeDeps();
    await handle({ ...envelope("Scheduled Event", {}, "aws.events"), id: "tick-9" }, deps);
    await handle(
      envelope(
        rdsDetailTypes.cluster,
        {
          EventCategories: ["creation"],
          SourceType: "CLUSTER",
          SourceArn: "arn:aws:rds:us-east-1:222222222222:cluster:x",
          SourceIdentifier: "x",
          Date: "2026-03-14T04:00:00.000Z",
          Message: "DB cluster created",
          EventID: "RDS-EVENT-0170",
        },
        RDS_SOURCE,
      ),
      deps,
    );
    expect(ticks).toEqual(["tick-9"]);
    expect(rds).toEqual(["RDS-EVENT-0170"]);
    await expect(
      handle(envelope(rdsDetailTypes.cluster, { EventID: "nope" }, RDS_SOURCE), deps),
    ).rejects.toThrow(/not a valid RDS event/);
  });

  test("a failing stage's error is rethrown unchanged (so the bus retries it) and counted", async () => {
    const boom = Object.assign(new Error("DynamoDB throttled"), { retryable: true });
    const { handle } = stageHandler(declared("copy", [CopyCompleted]), {
      CopyCompleted: async () => {
        throw boom;
      },
    });
    const { deps, counts } = fakeDeps();
    await expect(
      handle(envelope(CopyCompleted.detailType, { ...meta, schemaVersion: 1, snapshot }), deps),
    ).rejects.toBe(boom);
    expect(counts).toContain("HandlerErrors");
  });

  test("handler builds its dependencies on the first call only, never at creation", async () => {
    const { deps } = fakeDeps();
    const buildDeps = vi.fn(() => deps);
    const { handler } = stageHandler(
      scheduledWatcher,
      { onSchedule: async () => {}, onRdsEvent: async () => {} },
      { buildDeps },
    );
    expect(buildDeps).not.toHaveBeenCalled();
    await handler(envelope("Scheduled Event", {}, "aws.events"));
    await handler(envelope("Scheduled Event", {}, "aws.events"));
    expect(buildDeps).toHaveBeenCalledTimes(1);
  });

  test("in Lambda a rejected event goes to the stage's dead-letter queue at once and the invocation succeeds (no retries); handle still throws", async () => {
    const sent: string[] = [];
    const run = vi.fn();
    const { deps } = fakeDeps(storedOperation);
    const { handler, handle } = stageHandler(
      declared("restore", [CopyCompleted]),
      { CopyCompleted: run },
      {
        buildDeps: () => deps,
        buildDeadLetterQueue: () => ({ send: async (body) => void sent.push(body) }),
      },
    );
    const bad = envelope(CopyCompleted.detailType, { ...meta, schemaVersion: 1 });

    // The local bus calls handle: it sees the same refusal and dead-letters without retrying.
    await expect(handle(bad, deps)).rejects.toBeInstanceOf(NonRetryableEventError);
    await expect(handler(bad)).resolves.toBeUndefined();
    expect(sent).toHaveLength(1);
    const record = JSON.parse(sent[0]!);
    expect(record).toMatchObject({
      requestContext: { condition: "RejectedEvent", service: "restore" },
      requestPayload: bad,
      responsePayload: {
        errorType: "NonRetryableEventError",
        errorMessage: expect.stringMatching(/invalid CopyCompleted/),
      },
    });
    expect(run).not.toHaveBeenCalled();

    // A failure that may pass on a retry is still thrown (Lambda retries it), and nothing is dead-lettered.
    const failing = stageHandler(
      declared("restore", [CopyCompleted]),
      {
        CopyCompleted: async () => {
          throw new Error("throttled");
        },
      },
      {
        buildDeps: () => fakeDeps(storedOperation).deps,
        buildDeadLetterQueue: () => ({ send: async (body) => void sent.push(body) }),
      },
    );
    await expect(
      failing.handler(envelope(CopyCompleted.detailType, { ...meta, schemaVersion: 1, snapshot })),
    ).rejects.toThrow(/throttled/);
    expect(sent).toHaveLength(1);
  });

  test("a rejected event the dead-letter queue refuses fails the invocation, so Lambda's retries and failure destination keep it", async () => {
    const { deps, lines } = fakeDeps();
    const { handler } = stageHandler(
      declared("restore", [CopyCompleted]),
      { CopyCompleted: vi.fn() },
      {
        buildDeps: () => deps,
        buildDeadLetterQueue: () => ({
          send: async () => {
            throw new Error("AccessDenied");
          },
        }),
      },
    );
    await expect(handler(envelope("Nonsense", {}))).rejects.toBeInstanceOf(NonRetryableEventError);
    expect(lines.some((l) => l.message === "Could not send a rejected event to the dead-letter queue")).toBe(
      true,
    );
  });
});

describe("awsStageDeps", () => {
  const plan = {
    id: "staging-refresh",
    source: { accountId: "111111111111", region: "eu-west-1", clusterIdentifier: "prod-db" },
    targets: [
      {
        accountId: "222222222222",
        region: "us-east-1",
        clusterIdentifier: "staging-db",
        kmsKeyId: "arn:aws:kms:us-east-1:222222222222:key/k",
        masterSecretName: "staging/master",
      },
    ],
    notificationTopicArn: "arn:aws:sns:us-east-1:222222222222:aurora-restore",
  };
  const env = {
    AWS_REGION: "us-east-1",
    AURORA_RESTORE_STATE_TABLE: "state",
    AURORA_RESTORE_AUDIT_TABLE: "audit",
    AURORA_RESTORE_BUS_NAME: "aurora-restore",
    AURORA_RESTORE_TOPIC_ARN: "arn:aws:sns:us-east-1:222222222222:aurora-restore",
    AURORA_RESTORE_PLANS: JSON.stringify([plan]),
  };

  test("lists every missing variable with what to set it to", () => {
    expect(() => awsStageDeps({})).toThrow(
      /AURORA_RESTORE_STATE_TABLE is not set[\s\S]*AURORA_RESTORE_AUDIT_TABLE[\s\S]*AURORA_RESTORE_BUS_NAME[\s\S]*AURORA_RESTORE_TOPIC_ARN[\s\S]*AWS_REGION[\s\S]*AURORA_RESTORE_PLANS_FILE is not set/,
    );
  });

  test("names the variable and the plan field when plans are invalid", () => {
    expect(() => awsStageDeps({ ...env, AURORA_RESTORE_PLANS: "[{" })).toThrow(
      /AURORA_RESTORE_PLANS is not valid JSON/,
    );
    const bad = JSON.stringify([{ ...plan, targets: [{ ...plan.targets[0], kmsKeyId: "k" }] }]);
    expect(() => awsStageDeps({ ...env, AURORA_RESTORE_PLANS: bad })).toThrow(
      /AURORA_RESTORE_PLANS\[0\] is not a valid plan:[\s\S]*targets\[0\]\.kmsKeyId/,
    );
    expect(() => awsStageDeps({ ...env, AURORA_RESTORE_TOPIC_ARN: "topic" })).toThrow(/not an SNS topic ARN/);
  });

  test("builds the dependencies from a complete environment without calling AWS", async () => {
    const deps = awsStageDeps(env, { stage: "copy", ports: { rds: awsRdsPort } });
    expect(deps.busName).toBe("aurora-restore");
    expect(deps.actor).toBe("aurora-restore-copy");
    expect((await deps.plans.get("staging-refresh")).targets[0]?.clusterIdentifier).toBe("staging-db");
    await expect(deps.plans.get("nope")).rejects.toThrow(
      /Unknown plan "nope" \(known plans: staging-refresh\)/,
    );
    expect(deps.rds({ accountId: "222222222222", region: "us-east-1" }).location.region).toBe("us-east-1");
  });
});

describe("the ports a stage declares", () => {
  const keyChecking = defineStage({
    name: "copy",
    description: "test stage",
    handler: "packages/functions/src/copy/handler.handler",
    subscriptions: [{ bus: "pipeline", contracts: [CopyCompleted] }],
    reachesDatabase: false,
    ports: ["kms"],
    permissions: () => [],
  });
  const scope = { accountId: "222222222222", region: "us-east-1" };

  test("are the only optional ports its functions get, locally as in Lambda: another one throws, naming the fix", async () => {
    const used: string[] = [];
    const { handle } = stageHandler(
      keyChecking,
      {
        CopyCompleted: async (_event, deps) => {
          used.push(deps.kms(scope).location.region);
          deps.rds(scope);
        },
      },
      { buildDeps: () => fakeDeps().deps },
    );
    const { deps } = fakeDeps(storedOperation);
    const kms = { location: scope } as unknown as KmsPort;
    const rds = vi.fn();
    const given = { ...deps, kms: () => kms, rds } as StageDeps;
    const error = await handle(
      envelope(CopyCompleted.detailType, { ...meta, schemaVersion: 1, snapshot }),
      given,
    ).catch((e) => e);
    expect(used).toEqual(["us-east-1"]);
    expect(rds).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(UndeclaredPortError);
    expect(error.message).toMatch(/copy stage used the rds port[\s\S]*add "rds" to its ports/);
  });

  test("the database port only for a stage that reaches the database", async () => {
    const deps = declaredDeps(keyChecking, fakeDeps().deps);
    expect(() =>
      deps.database.connect({ host: "h", port: 5432, user: "u", password: "p", database: "d" }),
    ).toThrow(/used the database port[\s\S]*set reachesDatabase: true/);
    expect(() => deps.notifications.publish({ topicArn: "t", subject: "s", message: "m" })).toThrow(
      UndeclaredPortError,
    );
  });

  test("Lambda's deps build only the adapters the handler gives: the others refuse to be used", () => {
    const deps = awsStageDeps(
      {
        AWS_REGION: "us-east-1",
        AURORA_RESTORE_STATE_TABLE: "state",
        AURORA_RESTORE_AUDIT_TABLE: "audit",
        AURORA_RESTORE_BUS_NAME: "aurora-restore",
        AURORA_RESTORE_TOPIC_ARN: "arn:aws:sns:us-east-1:222222222222:aurora-restore",
        AURORA_RESTORE_PLANS: "[]",
      },
      { stage: "copy", ports: { rds: awsRdsPort } },
    );
    expect(deps.rds(scope).location).toEqual(scope);
    expect(() => deps.kms(scope)).toThrow(/no kms adapter was built for this function/);
    expect(() => deps.secrets(scope)).toThrow(UndeclaredPortError);
    expect(() => deps.publisher.putEvents([])).toThrow(/no publisher adapter was built/);
  });
});
