import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";
import { SERVICE } from "./tables";

/**
 * An effect done at most once per operation after the operation ended (the notification, the cleanup):
 * Powertools' idempotency record in shape (status, in-progress expiry), kept in the state table with the
 * operation it belongs to. `in-progress` with a live `expiresAt` means a delivery is doing it now.
 */
export function effectEntity(client: DynamoDBDocumentClient, table: string) {
  return new Entity(
    {
      model: { entity: "effect", version: "1", service: SERVICE },
      attributes: {
        operationId: { type: "string", required: true, readOnly: true },
        effect: { type: "string", required: true, readOnly: true },
        status: { type: ["in-progress", "completed"] as const, required: true },
        holder: { type: "string", required: true },
        /** Epoch milliseconds after which an in-progress record counts as abandoned (its owner died). */
        expiresAt: { type: "number", required: true },
        startedAt: { type: "string", required: true },
        completedAt: { type: "string" },
      },
      indexes: {
        byOperation: {
          pk: { field: "pk", composite: ["operationId"] },
          sk: { field: "sk", composite: ["effect"] },
        },
      },
    },
    { client, table },
  );
}
