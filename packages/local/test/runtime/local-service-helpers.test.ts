import { RestoreFailed } from "@aurora-restore/core/events/domain";
import { PIPELINE_SOURCE } from "@aurora-restore/core/events/names";
import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core/events/rds";
import { validatePlan } from "@aurora-restore/core/plan/index";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { describe, expect, it } from "vitest";
import { demoPlan } from "../../src/demo/demo-plan";
import { clustersUsedBy, operationsUsing } from "../../src/runtime/delete-cluster";
import { tappedEvent } from "../../src/runtime/event-tap";
import {
  findLocalCluster,
  type LocalClusterInfo,
  UnknownClusterError,
} from "../../src/runtime/local-clusters";
import { planSentence, targetsRefreshedBy, triggerText } from "../../src/runtime/plan-coverage";
import { defaultManualSnapshotIdentifier } from "../../src/runtime/take-snapshot";

const plan = validatePlan(
  demoPlan("arn:aws:sns:eu-west-1:222222222222:aurora-restore-notifications"),
  "demo",
);
const production = { accountId: "111111111111", region: "us-east-1" };
const staging = { accountId: "222222222222", region: "eu-west-1" };

function cluster(identifier: string, at = staging): LocalClusterInfo {
  return {
    ...at,
    identifier,
    status: "available",
    engine: "aurora-postgresql",
    engineVersion: "17.10",
    endpoint: "127.0.0.1",
    port: 5432,
    masterUsername: "admin",
    createdAt: "2025-01-01T00:00:00.000Z",
    kind: "postgres",
    instances: [],
    tags: {},
  };
}

const running = {
  operationId: "op-0123456789abcdef0123",
  planId: "local-demo",
  target: { ...staging, clusterIdentifier: "staging-db" },
  status: "running",
} as OperationInfo;

describe("what local up's commands decide", () => {
  it("a running operation uses its plan's source, its target, <target>-next and the cluster cutover moves away", () => {
    expect(clustersUsedBy(running, plan)).toEqual([
      "111111111111/us-east-1/production-db",
      "222222222222/eu-west-1/staging-db",
      "222222222222/eu-west-1/staging-db-next",
      "222222222222/eu-west-1/staging-db-old-0123456789",
    ]);
    expect(clustersUsedBy(running, undefined)).not.toContain("111111111111/us-east-1/production-db");
  });

  it("a cluster is in use by the running operations that use it or whose id it is tagged with", async () => {
    const runtime = {
      store: { listByStatus: async (status: string) => (status === "running" ? [running] : []) },
      plans: { get: async () => plan },
    } as unknown as Parameters<typeof operationsUsing>[0];
    const ref = (clusterIdentifier: string, at = staging) => ({ ...at, clusterIdentifier });
    expect(await operationsUsing(runtime, ref("staging-db-next"))).toEqual([running.operationId]);
    expect(await operationsUsing(runtime, ref("production-db", production))).toEqual([running.operationId]);
    expect(await operationsUsing(runtime, ref("analytics-db"))).toEqual([]);
    const tagged = { ...ref("scratch"), tags: { "aurora-restore:operation": running.operationId } };
    expect(await operationsUsing(runtime, tagged)).toEqual([running.operationId]);
  });

  it("a cluster name is found, or refused listing the known ones, or asked to be located when ambiguous", () => {
    const clusters = [cluster("production-db", production), cluster("staging-db"), cluster("qa-db")];
    expect(findLocalCluster(clusters, "Staging-DB").identifier).toBe("staging-db");
    expect(() => findLocalCluster(clusters, "nope")).toThrow(
      "no cluster nope (known: production-db (111111111111, us-east-1), staging-db (222222222222, eu-west-1), qa-db (222222222222, eu-west-1))",
    );
    const twice = [...clusters, cluster("qa-db", production)];
    expect(() => findLocalCluster(twice, "qa-db")).toThrow("say which with --account and --region");
    expect(findLocalCluster(twice, "qa-db", { accountId: production.accountId }).accountId).toBe(
      production.accountId,
    );
    expect(() => findLocalCluster([], "x")).toThrow(UnknownClusterError);
  });

  it("a manual snapshot is named after its cluster and the second, within RDS's 63 characters", () => {
    const at = new Date("2025-03-14T09:26:53.589Z");
    expect(defaultManualSnapshotIdentifier("production-db", at)).toBe("production-db-2025-03-14-09-26-53");
    const long = defaultManualSnapshotIdentifier(`${"a".repeat(40)}-${"b".repeat(20)}`, at);
    expect(long).toBe(`${"a".repeat(40)}-bb-2025-03-14-09-26-53`);
    expect(long).toHaveLength(63);
    // Cut on a hyphen: no double hyphen, which RDS refuses.
    expect(defaultManualSnapshotIdentifier(`${"a".repeat(42)}-${"b".repeat(18)}`, at)).toBe(
      `${"a".repeat(42)}-2025-03-14-09-26-53`,
    );
  });

  it("a snapshot refreshes the targets of the plans whose source and snapshot type it matches", () => {
    const source = { ...production, clusterIdentifier: "production-db" };
    expect(
      targetsRefreshedBy([plan], { ...source, type: "automated" }).map((t) => t.target.clusterIdentifier),
    ).toEqual(["staging-db"]);
    expect(targetsRefreshedBy([plan], { ...source, clusterIdentifier: "other", type: "manual" })).toEqual([]);
    const automatedOnly = {
      ...plan,
      trigger: { type: "every-snapshot" as const, snapshotTypes: ["automated" as const] },
    };
    expect(targetsRefreshedBy([automatedOnly], { ...source, type: "manual" })).toEqual([]);
    expect(triggerText(plan)).toBe("every automated or manual snapshot");
    expect(planSentence(plan)).toBe(
      "every automated or manual snapshot of production-db (111111111111, us-east-1) refreshes staging-db (222222222222, eu-west-1)",
    );
    const scheduled = { ...plan, trigger: { type: "schedule" as const, expression: "rate(1 day)" } };
    expect(planSentence(scheduled, "no longer refreshes")).toBe(
      "on rate(1 day), the latest snapshot of production-db (111111111111, us-east-1) no longer refreshes staging-db (222222222222, eu-west-1)",
    );
  });

  it("an event is shown by what it is, its operation and target, and a failure by its stage and code", () => {
    const base = {
      version: "0" as const,
      id: "e",
      account: "222222222222",
      region: "eu-west-1",
      resources: [],
    };
    expect(
      tappedEvent({
        ...base,
        source: PIPELINE_SOURCE,
        "detail-type": RestoreFailed.detailType,
        time: "2025-03-14T09:26:53Z",
        detail: {
          operationId: "op-1",
          target: { clusterIdentifier: "staging-db" },
          stage: "copy",
          errorCode: "KMSKeyNotAccessibleFault",
          message: "key disabled",
        },
      }),
    ).toEqual({
      time: "2025-03-14T09:26:53Z",
      what: RestoreFailed.detailType,
      operationId: "op-1",
      subject: "staging-db",
      failure: "copy: KMSKeyNotAccessibleFault: key disabled",
    });
    expect(
      tappedEvent({
        ...base,
        source: RDS_SOURCE,
        "detail-type": rdsDetailTypes.clusterSnapshot,
        time: "2025-03-14T09:26:53Z",
        detail: { SourceIdentifier: "rds:production-db-2025-03-14-09-26" },
      }),
    ).toEqual({
      time: "2025-03-14T09:26:53Z",
      what: "RDS snapshot available",
      subject: "rds:production-db-2025-03-14-09-26 (222222222222, eu-west-1)",
    });
  });
});
