import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity, type EntityItem } from "electrodb";
import { operationTrigger, type StageName, stageName } from "../events/shapes";
import { type OperationStep, operationSteps } from "../operation/steps";
import { pendingWatchAttribute } from "./pending-watch";
import { readStageTimes, type StageTimes, storeStageTimes } from "./stage-times";
import { SERVICE } from "./tables";

/** One attribute per key of `keys`, alike: ElectroDB maps need their properties named. */
function mapOf<K extends string, A>(keys: readonly K[], attribute: A): Record<K, A> {
  return Object.fromEntries(keys.map((key) => [key, attribute])) as Record<K, A>;
}

const clusterRefAttribute = {
  clusterIdentifier: { type: "string", required: true },
  accountId: { type: "string", required: true },
  region: { type: "string", required: true },
} as const;

/** The state of one restore operation: one item, moved forward by conditional writes. */
export function operationEntity(client: DynamoDBDocumentClient, table: string) {
  return new Entity(
    {
      model: { entity: "operation", version: "1", service: SERVICE },
      attributes: {
        operationId: { type: "string", required: true, readOnly: true },
        planId: { type: "string", required: true, readOnly: true },
        targetKey: { type: "string", required: true, readOnly: true },
        target: { type: "map", properties: clusterRefAttribute, required: true, readOnly: true },
        sourceSnapshot: {
          type: "map",
          properties: {
            identifier: { type: "string", required: true },
            arn: { type: "string", required: true },
            accountId: { type: "string", required: true },
            region: { type: "string", required: true },
            kmsKeyId: { type: "string" },
            type: { type: ["automated", "manual"] as const, required: true },
          },
          required: true,
          readOnly: true,
        },
        trigger: {
          type: operationTrigger.options,
          required: true,
          readOnly: true,
        },
        requestedBy: { type: "string", required: true, readOnly: true },
        correlationId: { type: "string", required: true, readOnly: true },
        step: { type: operationSteps, required: true },
        status: { type: ["running", "succeeded", "failed"] as const, required: true },
        /** stage -> { startedAt, endedAt }; stored compactly (stage-times.ts), read back as that map. */
        stageTimes: {
          type: "any",
          required: true,
          default: () => ({}),
          get: (stored: unknown) => readStageTimes(stored),
          set: (times: unknown) => storeStageTimes(times as StageTimes),
        },
        /** Resource ids each stage produced (copied snapshot ARN, restored cluster id, ...). */
        // Open-ended (each stage adds its own keys); typed where OperationInfo is derived (operations.ts).
        outputs: { type: "any", required: true, default: () => ({}) },
        /** step -> the event id that claimed it (claimStep): bookkeeping, apart from the outputs. */
        claims: {
          type: "map",
          properties: mapOf<OperationStep, { type: "string" }>(operationSteps, { type: "string" }),
          default: () => ({}),
        },
        /** stage -> attempts */
        attempts: {
          type: "map",
          properties: mapOf<StageName, { type: "number" }>(stageName.options, { type: "number" }),
          required: true,
          default: () => ({}),
        },
        error: {
          type: "map",
          properties: {
            stage: { type: stageName.options, required: true },
            code: { type: "string", required: true },
            message: { type: "string", required: true },
          },
        },
        /**
         * The outbox entry for the event that hands the operation at `step` to the next stage. Written before
         * the event is published, so the watcher can publish it again when the process died or PutEvents
         * failed in between. Events carry no secrets, so neither does this.
         */
        handoff: {
          type: "map",
          properties: {
            step: { type: operationSteps, required: true },
            detailType: { type: "string", required: true },
            /** The event's detail without its metadata (operationId, correlationId, causationId, occurredAt). */
            detail: { type: "any", required: true },
            /** The id of the event that caused the handoff (republished events keep it). */
            causationId: { type: "string", required: true },
            recordedAt: { type: "string", required: true },
            /** How often the watcher published it again, and when last. */
            republished: { type: "number" },
            lastRepublishedAt: { type: "string" },
            /** Its last publish failed (PutEvents throttled, say): the watcher publishes it at its next tick. */
            publishFailed: { type: "boolean" },
            /** The watch whose end recorded it (a watch that moved the operation nowhere, kit/watches.ts). */
            watchId: { type: "string" },
            /** Fields of the event's detail left out because the operation holds them (kit/handoff.ts). */
            inherits: { type: "list", items: { type: "string" } },
          },
        },
        /**
         * Who works on the current step and until when; absent while nobody does (waiting on AWS, or ended).
         * A claim on a step is a lease, not a key: one delivery owns the step until `expiresAt`. A duplicate
         * that arrives meanwhile does nothing; once the lease has expired (its owner crashed or timed out), the
         * next delivery takes it over and resumes. Taking it over bumps the version, so the old owner's next
         * conditional write fails and it stops.
         */
        lease: {
          type: "map",
          properties: {
            /** The step the lease covers (the operation's step while it is live). */
            step: { type: operationSteps, required: true },
            /** The step the claim moved from: the handoff recorded there is the event to publish again on expiry. */
            from: { type: operationSteps, required: true },
            /** The delivery (event id) that holds it, and a value unique to that delivery attempt. */
            eventId: { type: "string", required: true },
            holder: { type: "string", required: true },
            acquiredAt: { type: "string", required: true },
            expiresAt: { type: "string", required: true },
          },
        },
        /**
         * What the operation waits on in AWS (pending-watch.ts): written with the write that ends its step's
         * work, removed with the write that ends the wait (every transition removes it).
         */
        watch: pendingWatchAttribute,
        /** "pending" while `watch` is: the sparse index's key (absent, the operation is not in that index). */
        waiting: { type: ["pending"] as const },
        /** How often `operations retry` reopened the failed operation (0 or absent: never). */
        retries: { type: "number" },
        /**
         * What cleanup kept of a failed operation for inspection and retry (the plan's
         * retention.keepFailedResourcesHours), until when; the watcher deletes them after `until`.
         */
        kept: {
          type: "map",
          properties: {
            nextCluster: { type: "string" },
            targetSnapshot: { type: "string" },
            until: { type: "string", required: true },
          },
        },
        /** The plan's compliance profile when the operation started: its audit retention, never re-read. */
        compliance: { type: ["default", "pci", "hipaa"] as const, readOnly: true },
        deadline: { type: "string", required: true },
        version: { type: "number", required: true },
        createdAt: {
          type: "string",
          readOnly: true,
          required: true,
          default: () => new Date().toISOString(),
        },
        updatedAt: {
          type: "string",
          watch: "*",
          required: true,
          default: () => new Date().toISOString(),
          set: () => new Date().toISOString(),
        },
      },
      indexes: {
        byId: {
          pk: { field: "pk", composite: ["operationId"] },
          sk: { field: "sk", composite: [] },
        },
        byTarget: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["targetKey"] },
          sk: { field: "gsi1sk", composite: ["createdAt"] },
        },
        byStatus: {
          index: "gsi2",
          pk: { field: "gsi2pk", composite: ["status"] },
          sk: { field: "gsi2sk", composite: ["createdAt"] },
        },
        /**
         * Sparse: only operations with a pending watch are in it (its key is written only while `waiting`
         * is set, and removed with it), so the watcher reads those, not every running operation.
         */
        waitingOnWatch: {
          index: "gsi3",
          condition: (attributes) => attributes.waiting === "pending",
          pk: { field: "gsi3pk", composite: ["waiting"] },
          sk: { field: "gsi3sk", composite: [] },
        },
      },
    },
    { client, table },
  );
}

export type OperationEntity = ReturnType<typeof operationEntity>;

/** An operation item as the entity reads it. */
export type OperationItem = EntityItem<OperationEntity>;
