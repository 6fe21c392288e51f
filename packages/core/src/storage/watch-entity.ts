import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";
import { SERVICE } from "./tables";

/**
 * Something an operation waits for that RDS may never announce (a snapshot copy, a restore, a rename).
 * The watcher describes each pending watch and publishes the named event when the resource is ready.
 */
export const watchKinds = [
  "snapshot-copy",
  "cluster-available",
  "instances-available",
  "cluster-renamed",
  "cluster-deleted",
] as const;
export type WatchKind = (typeof watchKinds)[number];

export function watchEntity(client: DynamoDBDocumentClient, table: string) {
  return new Entity(
    {
      model: { entity: "watch", version: "1", service: SERVICE },
      attributes: {
        operationId: { type: "string", required: true, readOnly: true },
        watchId: { type: "string", required: true, readOnly: true },
        kind: { type: watchKinds, required: true, readOnly: true },
        accountId: { type: "string", required: true, readOnly: true },
        region: { type: "string", required: true, readOnly: true },
        roleArn: { type: "string", readOnly: true },
        /** Snapshot ARN/identifier or cluster identifier the watch describes. */
        resource: { type: "string", required: true, readOnly: true },
        /** Extra facts the published event needs (e.g. the rename step). */
        context: { type: "any" },
        /** Always "pending": a constant partition for the watcher's query of every open watch. */
        state: { type: ["pending"] as const, required: true, default: () => "pending" as const },
        createdAt: {
          type: "string",
          readOnly: true,
          required: true,
          default: () => new Date().toISOString(),
        },
        checks: { type: "number", default: () => 0 },
        lastCheckedAt: { type: "string" },
        /** When a scheduled run checks it next (stages/kit/watch-schedule.ts); absent: at the next run. */
        nextCheckAt: { type: "string" },
      },
      indexes: {
        byOperation: {
          pk: { field: "pk", composite: ["operationId"] },
          sk: { field: "sk", composite: ["watchId"] },
        },
        pending: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["state"] },
          sk: { field: "gsi1sk", composite: ["createdAt", "watchId"] },
        },
      },
    },
    { client, table },
  );
}
