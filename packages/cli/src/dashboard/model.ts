import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { type StageTiming, stageTimings } from "@aurora-restore/local/runtime/operation-progress";
import { type OperationView, operationView } from "../operation-view";
import { listOperations, type StateReader } from "../state-reader";
import { redacted } from "./redact";
import { type Segment, stageSegments } from "./segments";

/** One row of the operations page (and of GET /api/operations). */
export interface OperationSummary {
  operationId: string;
  planId: string;
  sourceSnapshot: string;
  targetKey: string;
  target: string;
  status: OperationInfo["status"];
  step: OperationInfo["step"];
  /** The stage running now (the last one started), or where it failed. */
  currentStage?: string;
  createdAt: string;
  /** From the first stage's start to the last stage's end (to now while running). */
  durationMs?: number;
}

export function summaryOf(operation: OperationInfo, now = new Date().toISOString()): OperationSummary {
  const stages = stageTimings(operation);
  const first = stages[0]?.startedAt ?? operation.createdAt;
  const last = stages.reduce<string | undefined>((max, s) => {
    const end = s.endedAt ?? now;
    return max === undefined || end > max ? end : max;
  }, undefined);
  const current =
    operation.status === "failed"
      ? operation.error?.stage
      : operation.status === "running"
        ? stages[stages.length - 1]?.name
        : undefined;
  return {
    operationId: operation.operationId,
    planId: operation.planId,
    sourceSnapshot: operation.sourceSnapshot.identifier,
    targetKey: operation.targetKey,
    target: operation.target.clusterIdentifier,
    status: operation.status,
    step: operation.step,
    ...(current ? { currentStage: current } : {}),
    createdAt: operation.createdAt,
    ...(last
      ? {
          durationMs: Math.max(
            0,
            Date.parse(operation.status === "running" ? now : last) - Date.parse(first),
          ),
        }
      : {}),
  };
}

export interface OperationFilter {
  status?: OperationInfo["status"];
  /** A target cluster id or full target key. */
  target?: string;
}

export async function operationSummaries(
  state: StateReader,
  filter: OperationFilter = {},
): Promise<OperationSummary[]> {
  const operations = await listOperations(state.store, filter.status);
  const now = new Date().toISOString();
  return operations
    .filter(
      (o) => !filter.target || o.targetKey === filter.target || o.target.clusterIdentifier === filter.target,
    )
    .map((o) => summaryOf(o, now));
}

export interface StageView extends StageTiming {
  failed?: boolean;
  segments: Segment[];
}

/** One operation as its page and GET /api/operations/:id show it. */
export interface OperationDetail {
  operation: OperationView;
  summary: OperationSummary;
  stages: StageView[];
  audit: AuditEntryInfo[];
}

export async function operationDetail(
  state: StateReader,
  operationId: string,
): Promise<OperationDetail | undefined> {
  const operation = await state.store.get(operationId);
  if (!operation) return undefined;
  const trail = await state.audit.listByOperation(operationId);
  const now = new Date().toISOString();
  const stages = stageTimings(operation, trail).map((timing) => ({
    ...timing,
    ...(operation.status === "failed" && operation.error?.stage === timing.name ? { failed: true } : {}),
    segments: stageSegments(timing, trail, now),
  }));
  return {
    operation: redacted(operationView(operation)),
    summary: summaryOf(operation, now),
    stages,
    audit: redacted(trail.map(({ expiresAt: _expires, ...entry }) => entry as AuditEntryInfo)),
  };
}

/** Each stage's duration over the last `count` operations of a target, oldest first (GET /api/trends). */
export interface Trends {
  target?: string;
  targets: string[];
  operations: { operationId: string; createdAt: string; status: string; stages: Record<string, number> }[];
}

export async function trendsOf(
  state: StateReader,
  target: string | undefined,
  count: number,
): Promise<Trends> {
  const all = await listOperations(state.store);
  const targets = [...new Set(all.map((o) => o.targetKey))].sort();
  const chosen = target && targets.includes(target) ? target : all[0]?.targetKey;
  const recent = all
    .filter((o) => o.targetKey === chosen)
    .slice(0, count)
    .reverse();
  const operations = await Promise.all(
    recent.map(async (o) => {
      const trail = await state.audit.listByOperation(o.operationId);
      const stages = Object.fromEntries(
        stageTimings(o, trail).flatMap((s) => (s.durationMs === undefined ? [] : [[s.name, s.durationMs]])),
      );
      return { operationId: o.operationId, createdAt: o.createdAt, status: o.status, stages };
    }),
  );
  return { ...(chosen ? { target: chosen } : {}), targets, operations };
}
