import { describe, expect, test } from "vitest";
import { RestoreCompleted, RestoreRequested } from "../../src/events/domain";
import type { StageDeps } from "../../src/stages/kit/deps";
import { handoffDetailOf, handoffOf } from "../../src/stages/kit/handoff";

const deps = { clock: () => new Date("2026-12-08T05:00:00.000Z") } as unknown as StageDeps;
const operation = {
  planId: "demo",
  target: { clusterIdentifier: "staging", accountId: "222222222222", region: "eu-west-1" },
  sourceSnapshot: {
    identifier: "snap-1",
    arn: "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:snap-1",
    accountId: "111111111111",
    region: "us-east-1",
    type: "manual" as const,
  },
  trigger: "snapshot-event" as const,
  requestedBy: "rds:RDS-EVENT-0075",
};
const meta = {
  operationId: "op-1",
  correlationId: "corr-1",
  causationId: "evt-1",
  occurredAt: "2026-12-08T05:00:00.000Z",
};

describe("a handoff leaves out what the operation item holds", () => {
  test("the restore request's plan, target, snapshot, trigger and requester are inherited, and published as they were", () => {
    const { sourceSnapshot, ...rest } = operation;
    const detail = {
      ...meta,
      ...rest,
      sourceSnapshot,
      sourceSnapshotState: { status: "available", encrypted: true },
    };
    const handoff = handoffOf(deps, "requested", RestoreRequested, detail, operation);
    expect(handoff.inherits).toEqual(["planId", "target", "sourceSnapshot", "trigger", "requestedBy"]);
    expect(handoff.detail).toEqual({ sourceSnapshotState: { status: "available", encrypted: true } });
    const { operationId: _id, correlationId: _c, causationId: _cause, occurredAt: _at, ...payload } = detail;
    expect(handoffDetailOf(operation, handoff)).toEqual(payload);
  });

  test("a field that differs from the operation's is kept in the handoff", () => {
    const detail = {
      ...meta,
      planId: "demo",
      target: { ...operation.target, clusterIdentifier: "other" },
      endpoint: { host: "db.example", port: 5432 },
    };
    const handoff = handoffOf(deps, "completed", RestoreCompleted, detail, operation);
    expect(handoff.inherits).toEqual(["planId"]);
    expect(handoff.detail).toMatchObject({ target: { clusterIdentifier: "other" } });
    expect(handoffDetailOf(operation, handoff)).toMatchObject({ planId: "demo", target: detail.target });
  });

  test("a handoff an earlier version recorded (whole detail, no inherits) publishes its own detail", () => {
    const detail = { ...meta, planId: "demo", target: operation.target, endpoint: { host: "h", port: 1 } };
    const handoff = handoffOf(deps, "completed", RestoreCompleted, detail);
    expect(handoff).not.toHaveProperty("inherits");
    expect(handoffDetailOf({ ...operation, planId: "changed" }, handoff)).toMatchObject({ planId: "demo" });
  });
});
