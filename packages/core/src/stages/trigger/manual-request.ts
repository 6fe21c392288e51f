import type { Plan, PlanTarget } from "../../plan/schema";
import type { AccessScope } from "../../ports/location";
import type { ClusterSnapshot, RdsPort } from "../../ports/rds";
import { isPipelineSnapshot, sourceScope } from "../kit/snapshot-refs";

/** A manual restore request, as the CLI takes it and the trigger re-checks it. */
export interface ManualRequest {
  targetClusterId: string;
  /** YYYY-MM-DD (UTC): the source snapshot taken that day. */
  sourceSnapshotDate: string;
  operationId?: string;
  requestedBy?: string;
}

export interface RequestIssue {
  field: string;
  message: string;
}

/** The request's fields are invalid; every problem is listed with its field and the fix. */
export class ManualRequestError extends Error {
  override name = "ManualRequestError";
  readonly code = "ManualRequestInvalid";
  readonly retryable = false;
  constructor(readonly issues: RequestIssue[]) {
    super(`Invalid restore request:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join("\n")}`);
  }
}

/**
 * The request is well-formed but cannot be served (no such planned target, no snapshot that day, an operation
 * id already in use). The message starts with the request field to change.
 */
export class ManualRequestRefusedError extends Error {
  override name = "ManualRequestRefusedError";
  readonly code = "ManualRequestRefused";
  readonly retryable = false;
  constructor(
    readonly field: "target_cluster_id" | "source_snapshot_date" | "operation_id",
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

const fieldNames = {
  targetClusterId: ["targetClusterId", "target_cluster_id"],
  sourceSnapshotDate: ["sourceSnapshotDate", "source_snapshot_date"],
  operationId: ["operationId", "operation_id"],
  requestedBy: ["requestedBy", "requested_by"],
} as const;

const clusterIdPattern = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;
const operationIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function isRealDate(text: string): boolean {
  const [y, m, d] = text.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * Validates a manual request (camelCase or the CLI's snake_case field names) and lists every problem at once.
 * `now` lets the caller refuse dates in the future.
 */
export function parseManualRequest(input: unknown, now?: Date): ManualRequest {
  if (!input || typeof input !== "object" || Array.isArray(input)) {
    throw new ManualRequestError([
      { field: "(request)", message: "expected an object with target_cluster_id and source_snapshot_date" },
    ]);
  }
  const record = input as Record<string, unknown>;
  const issues: RequestIssue[] = [];
  const known = new Set<string>(Object.values(fieldNames).flat());
  const unknown = Object.keys(record).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    issues.push({
      field: unknown.join(", "),
      message:
        "unknown field(s): expected target_cluster_id, source_snapshot_date and optionally operation_id",
    });
  }
  const read = (names: readonly string[]) => names.map((n) => record[n]).find((v) => v !== undefined);

  const target = read(fieldNames.targetClusterId);
  if (target === undefined || target === "") {
    issues.push({
      field: "target_cluster_id",
      message: "is required: the planned target cluster, e.g. staging-db",
    });
  } else if (typeof target !== "string" || !clusterIdPattern.test(target) || /--|-$/.test(target)) {
    issues.push({
      field: "target_cluster_id",
      message: `${JSON.stringify(target)} is not a DB cluster identifier (1-63 letters, digits or single hyphens, starting with a letter)`,
    });
  }

  const date = read(fieldNames.sourceSnapshotDate);
  if (date === undefined || date === "") {
    issues.push({
      field: "source_snapshot_date",
      message: "is required: the day of the source snapshot, YYYY-MM-DD",
    });
  } else if (typeof date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !isRealDate(date)) {
    issues.push({
      field: "source_snapshot_date",
      message: `${JSON.stringify(date)} is not a date in the form YYYY-MM-DD (e.g. 2025-03-14)`,
    });
  } else if (now && date > now.toISOString().slice(0, 10)) {
    issues.push({
      field: "source_snapshot_date",
      message: `${date} is in the future; give today's date or earlier`,
    });
  }

  const operationId = read(fieldNames.operationId);
  if (
    operationId !== undefined &&
    (typeof operationId !== "string" || !operationIdPattern.test(operationId))
  ) {
    issues.push({
      field: "operation_id",
      message: "must be 1-64 letters, digits, - or _ (omit it to have one generated)",
    });
  }
  const requestedBy = read(fieldNames.requestedBy);
  if (requestedBy !== undefined && (typeof requestedBy !== "string" || requestedBy.trim() === "")) {
    issues.push({ field: "requested_by", message: "must be a non-empty name" });
  }
  if (issues.length > 0) throw new ManualRequestError(issues);
  return {
    targetClusterId: target as string,
    sourceSnapshotDate: date as string,
    ...(operationId ? { operationId: operationId as string } : {}),
    ...(requestedBy ? { requestedBy: requestedBy as string } : {}),
  };
}

/** The one planned target named by cluster id, or a refusal listing what is planned. */
export function findPlannedTarget(
  plans: readonly Plan[],
  clusterId: string,
): { plan: Plan; target: PlanTarget } {
  const matches = plans.flatMap((plan) =>
    plan.targets.filter((t) => t.clusterIdentifier === clusterId).map((target) => ({ plan, target })),
  );
  const where = (m: { plan: Plan; target: PlanTarget }) =>
    `${m.target.clusterIdentifier} (plan ${m.plan.id}, ${m.target.accountId}/${m.target.region})`;
  if (matches.length === 0) {
    const planned = plans.flatMap((plan) => plan.targets.map((target) => where({ plan, target })));
    throw new ManualRequestRefusedError(
      "target_cluster_id",
      `no plan has a target cluster named ${clusterId}. Planned targets: ${planned.join(", ") || "none"}.`,
    );
  }
  if (matches.length > 1) {
    throw new ManualRequestRefusedError(
      "target_cluster_id",
      `${clusterId} is a target in more than one place (${matches.map(where).join("; ")}); rename one of them in the plans.`,
    );
  }
  return matches[0]!;
}

/**
 * The source snapshot taken on `date` (UTC): automated preferred, then manual, newest first. None: a refusal
 * that lists the dates that do have snapshots.
 */
export async function findSourceSnapshotOfDate(
  rds: (scope: AccessScope) => RdsPort,
  plan: Plan,
  date: string,
): Promise<ClusterSnapshot> {
  const all = await rds(sourceScope(plan)).listClusterSnapshots({
    clusterIdentifier: plan.source.clusterIdentifier,
  });
  const usable = all.filter(
    (s) =>
      s.status === "available" && s.type !== "shared" && !isPipelineSnapshot(s.identifier) && s.createdAt,
  );
  const ofDay = usable.filter((s) => s.createdAt?.slice(0, 10) === date);
  const chosen = ofDay.find((s) => s.type === "automated") ?? ofDay.find((s) => s.type === "manual");
  if (chosen) return chosen;
  const dates = [...new Set(usable.map((s) => s.createdAt!.slice(0, 10)))].sort().reverse();
  const source = `${plan.source.clusterIdentifier} (${plan.source.accountId}/${plan.source.region})`;
  throw new ManualRequestRefusedError(
    "source_snapshot_date",
    dates.length === 0
      ? `source cluster ${source} has no available snapshots; take one or wait for the next automated backup.`
      : `source cluster ${source} has no available snapshot taken on ${date} (UTC). Dates with snapshots: ${dates.slice(0, 35).join(", ")}.`,
  );
}
