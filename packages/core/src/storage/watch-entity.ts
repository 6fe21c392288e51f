import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";
import { watchKinds } from "./pending-watch";
import { SERVICE } from "./tables";

/**
 * A watch as its own item: how watches were kept before they became an attribute of the operation item
 * (pending-watch.ts). Nothing writes these any more; the watcher moves the ones an operation in flight
 * during the upgrade still has onto its operation (stages/watcher/legacy-watches.ts).
 */
export function legacyWatchEntity(client: DynamoDBDocumentClient, table: string) {
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
