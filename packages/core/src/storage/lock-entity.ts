import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";
import { SERVICE } from "./tables";

/** At most one active operation per target cluster: the lock item exists while one runs. */
export function targetLockEntity(client: DynamoDBDocumentClient, table: string) {
  return new Entity(
    {
      model: { entity: "targetLock", version: "1", service: SERVICE },
      attributes: {
        targetKey: { type: "string", required: true, readOnly: true },
        operationId: { type: "string", required: true, readOnly: true },
        acquiredAt: { type: "string", required: true, readOnly: true },
      },
      indexes: {
        byTarget: {
          pk: { field: "pk", composite: ["targetKey"] },
          sk: { field: "sk", composite: [] },
        },
      },
    },
    { client, table },
  );
}
