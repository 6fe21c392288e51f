import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { describe, expect, it } from "vitest";
import { operationView } from "../src/operation-view";
import { formatDuration, formatElapsed } from "../src/progress/format-duration";
import { stageProgress } from "../src/progress/stage-progress";

function plain() {
  let err = "";
  const io = { stdout: { write: () => undefined }, stderr: { write: (c: string) => (err += c) } };
  return { progress: stageProgress(io), stderr: () => err };
}

describe("stage progress without a terminal", () => {
  it("prints one plain line per event: ✓ for a stage that ended, ✗ for the one that failed", () => {
    const p = plain();
    const at = new Date().toISOString();
    p.progress.line("Operation op-1 started");
    p.progress.stage({ kind: "stage-started", stage: "copy", at, step: "copying" });
    p.progress.stage({ kind: "stage-ended", stage: "copy", at, durationMs: 100_000, step: "restoring" });
    p.progress.stage({ kind: "stage-started", stage: "restore", at, step: "restoring" });
    p.progress.stage({
      kind: "stage-ended",
      stage: "restore",
      at,
      durationMs: 1_200,
      step: "failed",
      failed: true,
    });
    p.progress.stop();
    expect(p.stderr()).toBe(
      [
        "Operation op-1 started",
        "  … copy: waiting for the snapshot copy",
        "  ✓ copy       1m40s",
        "  … restore: waiting for the restored cluster",
        "  ✗ restore    1.2s (failed)",
        "",
      ].join("\n"),
    );
  });

  it("never marks a stage that was still running when it stopped as done", () => {
    const p = plain();
    p.progress.stage({ kind: "stage-started", stage: "copy", at: new Date().toISOString(), step: "copying" });
    p.progress.stop();
    expect(p.stderr()).not.toContain("✓");
    expect(p.stderr()).toMatch(/ {2}- copy {7}stopped after \ds\n$/);
  });
});

describe("durations", () => {
  it("reads as seconds, then minutes and seconds, then hours and minutes", () => {
    expect([
      formatDuration(400),
      formatDuration(12_340),
      formatDuration(100_000),
      formatDuration(3_720_000),
    ]).toEqual(["0.4s", "12.3s", "1m40s", "1h02m"]);
    expect([formatElapsed(7_900), formatElapsed(100_000)]).toEqual(["7s", "1m40s"]);
  });
});

describe("operation view", () => {
  it("leaves out the step claims, the lease, the outbox entry (handoff) and the version", () => {
    const operation = {
      operationId: "op-1",
      status: "running",
      claims: { copying: "event-1" },
      outputs: { restoredClusterId: "staging-db-next" },
      lease: { owner: "x", expiresAt: "2030-01-01T00:00:00.000Z" },
      handoff: { step: "copying" },
      version: 7,
      deadline: "2030-01-01T00:00:00.000Z",
    } as unknown as OperationInfo;
    expect(operationView(operation)).toEqual({
      operationId: "op-1",
      status: "running",
      outputs: { restoredClusterId: "staging-db-next" },
      deadline: "2030-01-01T00:00:00.000Z",
    });
  });
});
