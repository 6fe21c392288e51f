import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";
import { operationTrigger } from "../events/shapes";
import { type OperationStep, operationSteps } from "../operation/steps";
import { SERVICE } from "./tables";

/** One optional string per step: the claims map's properties. */
const claimProperties = Object.fromEntries(
  operationSteps.map((step) => [step, { type: "string" }]),
) as Record<OperationStep, { type: "string" }>;

/** The state of one restore operation: one item, moved forward by conditional writes. */
export function operationEntity(client: DynamoDBDocumentClient, table: string) {
  return new Entity(
    {
      model: { entity: "operation", version: "1", service: SERVICE },
      attributes: {
        operationId: { type: "string", required: true, readOnly: true },
        planId: { type: "string", required: true, readOnly: true },
        targetKey: { type: "string", required: true, readOnly: true },
        target: { type: "any", required: true, readOnly: true },
        sourceSnapshot: { type: "any", required: true, readOnly: true },
        trigger: {
          type: operationTrigger.options,
          required: true,
          readOnly: true,
        },
        requestedBy: { type: "string", required: true, readOnly: true },
        correlationId: { type: "string", required: true, readOnly: true },
        step: { type: operationSteps, required: true },
        status: { type: ["running", "succeeded", "failed"] as const, required: true },
        /** stage -> { startedAt, endedAt } */
        stageTimes: { type: "any", default: () => ({}) },
        /** Resource ids each stage produced (copied snapshot ARN, restored cluster id, ...). */
        outputs: { type: "any", default: () => ({}) },
        /** step -> the event id that claimed it (claimStep): bookkeeping, apart from the outputs. */
        claims: { type: "map", properties: claimProperties, default: () => ({}) },
        /** stage -> attempts */
        attempts: { type: "any", default: () => ({}) },
        error: { type: "any" },
        /** The event that hands the operation to the next stage (an outbox the watcher re-publishes). */
        handoff: { type: "any" },
        /** Who works on the current step and until when (see OperationLease); absent while nobody does. */
        lease: { type: "any" },
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
      },
    },
    { client, table },
  );
}

export type OperationEntity = ReturnType<typeof operationEntity>;
