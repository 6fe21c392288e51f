import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity, type EntityItem } from "electrodb";
import { SERVICE } from "./tables";

/**
 * One snapshot copy that several operations use at once (the shareable copy of a source snapshot, the
 * copy in a target account): who uses it, and which copies wait to be deleted. One item per copy key and
 * lane, never deleted: its generation only grows, so a copy's name is never made twice and a delivery
 * that lost its lease can never bring back (and so leak) a generation that was retired.
 *
 * - `active`: operations join (`users`) and leave (moved to `left`, so a late duplicate cannot join again).
 *   The last user's leave removes `users`: from that write on the generation is retired (nobody can join
 *   it) and its copy is deleted by that user, who then records `retiring`.
 * - `retiring`: recorded after the deletion (or kept); a copy that could not be deleted is in `deleting`.
 *   The next operation to need a copy starts generation + 1 under a new name, also from a generation whose
 *   last user left but has not recorded it yet: that renewal adds its copy to `deleting` (see
 *   renewSharedCopy), so whichever cleanup comes next deletes it if its last user could not.
 */
export function sharedCopyEntity(client: DynamoDBDocumentClient, table: string) {
  return new Entity(
    {
      model: { entity: "sharedCopy", version: "1", service: SERVICE },
      attributes: {
        /** A digest of what the copy is: source snapshot, destination account and region, KMS key. */
        copyKey: { type: "string", required: true, readOnly: true },
        /** A further copy of the same source when one is shared with as many accounts as RDS allows. */
        lane: { type: "number", required: true, readOnly: true },
        /** Where the copies are made (and deleted): account, region, the role to assume there. */
        accountId: { type: "string", required: true, readOnly: true },
        region: { type: "string", required: true, readOnly: true },
        roleArn: { type: "string" },
        generation: { type: "number", required: true },
        state: { type: ["active", "retiring"] as const, required: true },
        /** The run keys (operation, retry) using this generation's copy; absent when none (retired). */
        users: { type: "set", items: "string" },
        /** The run keys that used it and ended: they may not join this generation again. */
        left: { type: "set", items: "string" },
        /** The accounts it is shared with (at most RDS's limit per snapshot). */
        accounts: { type: "set", items: "string" },
        /** The generation whose CopyDBClusterSnapshot was made: the users after the first skip the call. */
        startedGeneration: { type: "number" },
        /** A leaving user's plan keeps intermediate snapshots: retiring this generation keeps its copy. */
        keep: { type: "boolean" },
        /** Copies of retired generations still to delete (any cleanup on this item finishes them). */
        deleting: { type: "set", items: "string" },
        updatedAt: {
          type: "string",
          watch: "*",
          required: true,
          default: () => new Date().toISOString(),
          set: () => new Date().toISOString(),
        },
      },
      indexes: {
        byKey: {
          pk: { field: "pk", composite: ["copyKey"] },
          sk: { field: "sk", composite: ["lane"] },
        },
      },
    },
    { client, table },
  );
}

export type SharedCopyItem = EntityItem<ReturnType<typeof sharedCopyEntity>>;
