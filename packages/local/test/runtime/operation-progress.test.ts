import type { AuditEntryInfo, OperationInfo } from "@aurora-restore/core";
import { describe, expect, it } from "vitest";
import { type ProgressEvent, stageTimings, waitForOperation } from "../../src/runtime/operation-progress";

function operation(overrides: Partial<OperationInfo>): OperationInfo {
  return {
    operationId: "op-1",
    planId: "p",
    targetKey: "222222222222/eu-west-1/staging-db",
    target: { clusterIdentifier: "staging-db", accountId: "222222222222", region: "eu-west-1" },
    sourceSnapshot: {
      identifier: "s",
      arn: "arn:aws:rds:x",
      accountId: "111111111111",
      region: "us-east-1",
      type: "automated",
    },
    trigger: "snapshot-event",
    requestedBy: "rds",
    correlationId: "c",
    step: "requested",
    status: "running",
    stageTimes: {},
    outputs: {},
    attempts: {},
    deadline: "2030-01-01T00:00:00.000Z",
    version: 1,
    createdAt: "2025-01-01T00:00:00.000Z",
    updatedAt: "2025-01-01T00:00:00.000Z",
    ...overrides,
  };
}

describe("stage timings", () => {
  it("orders stages by flow, adds notify/cleanup from the audit trail and computes durations", () => {
    const op = operation({
      status: "succeeded",
      step: "completed",
      stageTimes: {
        copy: { startedAt: "2025-01-01T00:00:02.000Z", endedAt: "2025-01-01T00:00:05.000Z" },
        trigger: { startedAt: "2025-01-01T00:00:00.000Z", endedAt: "2025-01-01T00:00:00.000Z" },
        prepare: { startedAt: "2025-01-01T00:00:00.500Z", endedAt: "2025-01-01T00:00:02.000Z" },
      },
    });
    const trail = [
      { stage: "cleanup", at: "2025-01-01T00:00:09.000Z" },
      { stage: "notify", at: "2025-01-01T00:00:07.000Z" },
      { stage: "cleanup", at: "2025-01-01T00:00:08.000Z" },
    ] as AuditEntryInfo[];
    expect(stageTimings(op, trail).map((s) => [s.name, s.durationMs])).toEqual([
      ["trigger", 0],
      ["prepare", 1500],
      ["copy", 3000],
      ["notify", 0],
      ["cleanup", 1000],
    ]);
  });
});

describe("waitForOperation", () => {
  it("reports each stage start and end once, and returns the ended operation", async () => {
    const states = [
      undefined,
      operation({ step: "copying", stageTimes: { prepare: { startedAt: "2025-01-01T00:00:01.000Z" } } }),
      operation({
        step: "failed",
        status: "failed",
        stageTimes: {
          prepare: { startedAt: "2025-01-01T00:00:01.000Z", endedAt: "2025-01-01T00:00:03.000Z" },
          copy: { startedAt: "2025-01-01T00:00:03.000Z", endedAt: "2025-01-01T00:00:04.000Z" },
        },
      }),
    ];
    let calls = 0;
    const events: ProgressEvent[] = [];
    const final = await waitForOperation(
      { get: async () => states[Math.min(calls++, states.length - 1)] },
      "op-1",
      {
        sleep: async () => undefined,
        onProgress: (e) => events.push(e),
      },
    );
    expect(final.status).toBe("failed");
    expect(events.map((e) => `${e.kind}:${e.stage}`)).toEqual([
      "stage-started:prepare",
      "stage-ended:prepare",
      "stage-started:copy",
      "stage-ended:copy",
    ]);
    expect(events.find((e) => e.kind === "stage-ended" && e.stage === "prepare")?.durationMs).toBe(2000);
  });

  it("marks the stage an operation failed in, and reports none after it (the failed step's bookkeeping)", async () => {
    const failed = operation({
      step: "failed",
      status: "failed",
      error: { stage: "copy", code: "CopyFailed", message: "the copy failed" },
      stageTimes: {
        prepare: { startedAt: "2025-01-01T00:00:01.000Z", endedAt: "2025-01-01T00:00:03.000Z" },
        copy: { startedAt: "2025-01-01T00:00:03.000Z", endedAt: "2025-01-01T00:00:04.000Z" },
        // What the move to `failed` records although cutover never ran.
        cutover: { startedAt: "2025-01-01T00:00:04.000Z", endedAt: "2025-01-01T00:00:04.000Z" },
      },
    });
    const events: ProgressEvent[] = [];
    await waitForOperation({ get: async () => failed }, "op-1", { onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.kind === "stage-ended").map((e) => [e.stage, e.failed ?? false])).toEqual([
      ["prepare", false],
      ["copy", true],
    ]);
    expect(stageTimings(failed).map((s) => s.name)).toEqual(["prepare", "copy"]);
  });

  it("gives up with an error that says where the operation stood", async () => {
    let now = 0;
    const pending = operation({ step: "copying" });
    await expect(
      waitForOperation({ get: async () => pending }, "op-1", {
        timeoutMs: 1_000,
        sleep: async (ms) => {
          now += ms;
        },
        now: () => now,
      }),
    ).rejects.toThrow("Operation op-1 did not end in time: it is still at step copying");
  });
});
