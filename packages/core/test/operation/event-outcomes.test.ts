import { describe, expect, it } from "vitest";
import { ClusterAvailable } from "../../src/events/domain";
import {
  classifyEventOutcomes,
  describeOutcome,
  type ReportedEvent,
} from "../../src/operation/event-outcomes";
import type { AuditEntryInfo } from "../../src/storage/audit";

type Entry = Pick<AuditEntryInfo, "operationId" | "stage" | "action" | "outcome" | "eventId" | "details">;

const event = (eventId: string, operationId?: string): ReportedEvent => ({
  eventId,
  detailType: ClusterAvailable.detailType,
  ...(operationId ? { operationId } : {}),
});

const entry = (eventId: string, fields: Partial<Entry>): Entry => ({
  operationId: "op-1",
  stage: "configure",
  action: "claim",
  outcome: "succeeded",
  eventId,
  ...fields,
});

describe("classifyEventOutcomes", () => {
  it("reports an event of an ended operation as an ignored duplicate that changed nothing", () => {
    const [outcome] = classifyEventOutcomes(
      [event("e1", "op-1")],
      [
        entry("e1", {
          stage: "notify",
          outcome: "ignored-duplicate",
          details: { reason: "already notified" },
        }),
        entry("e1", { stage: "cleanup", outcome: "ignored-duplicate", details: { step: "completed" } }),
      ],
    );
    expect(outcome).toMatchObject({ kind: "ignored-duplicate", changed: false });
    expect(describeOutcome(outcome!)).toBe("ignored duplicate: the operation already completed");
  });

  it("tells a started operation from a resumed step, and names the stage that resumed", () => {
    const outcomes = classifyEventOutcomes(
      [event("rds-1"), event("e2", "op-2")],
      [
        entry("rds-1", {
          operationId: "op-9",
          stage: "trigger",
          action: "start-operation",
          outcome: "started",
        }),
        entry("rds-1", {
          operationId: "op-1",
          stage: "trigger",
          action: "start-operation",
          outcome: "ignored-duplicate",
          details: { step: "failed" },
        }),
        entry("e2", {
          operationId: "op-2",
          stage: "configure",
          outcome: "started",
          details: { step: "configuring" },
        }),
        entry("e2", { operationId: "op-2", stage: "configure", action: "set-password" }),
      ],
    );
    expect(outcomes.map((o) => [o.kind, o.changed, describeOutcome(o)])).toEqual([
      ["started", true, "started op-9; ignored duplicate: the operation already failed"],
      ["resumed", true, "resumed op-2 at configure"],
    ]);
  });

  it("reports failed deliveries (again, for a re-drive) and rejections, and events nothing recorded", () => {
    const outcomes = classifyEventOutcomes(
      [event("e3", "op-3"), event("e4"), event("e5", "op-5")],
      [
        entry("e4", {
          operationId: "op-4",
          stage: "verify",
          outcome: "rejected",
          details: { reason: "bad detail" },
        }),
      ],
      [{ eventId: "e3", stage: "configure", error: "connection refused", rejected: false }],
    );
    expect(outcomes.map((o) => [o.kind, o.changed, describeOutcome(o, { again: true })])).toEqual([
      ["failed", false, "failed again: connection refused"],
      ["rejected", false, "rejected again: bad detail"],
      ["no-effect", false, "no-op: no stage recorded anything for it"],
    ]);
    expect(outcomes[0]?.effects[0]).toMatchObject({ operationId: "op-3", stage: "configure" });
  });

  it("counts an operation the event failed as changed", () => {
    const [outcome] = classifyEventOutcomes(
      [event("e6", "op-6")],
      [
        entry("e6", {
          operationId: "op-6",
          stage: "verify",
          action: "fail-operation",
          outcome: "failed",
          details: { code: "X", message: "check failed" },
        }),
      ],
    );
    expect(outcome).toMatchObject({ kind: "failed", changed: true });
    expect(describeOutcome(outcome!)).toBe("failed op-6 in verify: check failed");
  });

  it("ignores entries of other events", () => {
    const [outcome] = classifyEventOutcomes([event("e7")], [entry("other", {})]);
    expect(outcome?.kind).toBe("no-effect");
  });
});
