import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";
import { AUDIT_TTL_ATTRIBUTE, SERVICE } from "./tables";

export const auditOutcomes = ["succeeded", "failed", "ignored-duplicate", "rejected", "started"] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/**
 * One immutable audit record. Entries are only ever created (ElectroDB's create adds
 * attribute_not_exists), never updated or deleted; the IAM policy of every function says the same.
 */
export function auditEntity(client: DynamoDBDocumentClient, table: string) {
  return new Entity(
    {
      model: { entity: "auditEntry", version: "1", service: SERVICE },
      attributes: {
        operationId: { type: "string", required: true, readOnly: true },
        /** Time-ordered: ISO time, then a sequence/random suffix so two entries in one ms stay distinct. */
        entryId: { type: "string", required: true, readOnly: true },
        at: { type: "string", required: true, readOnly: true },
        stage: { type: "string", required: true, readOnly: true },
        action: { type: "string", required: true, readOnly: true },
        actor: { type: "string", required: true, readOnly: true },
        outcome: { type: auditOutcomes, required: true, readOnly: true },
        eventId: { type: "string", readOnly: true },
        targetKey: { type: "string", required: true, readOnly: true },
        details: { type: "any", readOnly: true },
        /**
         * The records that followed this one in the same delivery (one stage run writes one item: see
         * kit/audit-buffer.ts), each { stage, action, outcome, at, eventId?, details? }; the readers in
         * audit.ts list them as entries of their own. Absent on entries written one by one.
         */
        followedBy: { type: "any", readOnly: true },
        /** The `at` of the item's last record (of `followedBy`'s last, or its own): time-window scans read it. */
        lastAt: { type: "string", readOnly: true },
        [AUDIT_TTL_ATTRIBUTE]: { type: "number", required: true, readOnly: true },
      },
      indexes: {
        byOperation: {
          pk: { field: "pk", composite: ["operationId"] },
          sk: { field: "sk", composite: ["entryId"] },
        },
        byTarget: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["targetKey"] },
          sk: { field: "gsi1sk", composite: ["entryId"] },
        },
      },
    },
    { client, table },
  );
}
