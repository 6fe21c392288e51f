import * as z from "zod";
import type { AnyDomainEventContract } from "./contract";
import { domainEvents } from "./domain";
import {
  RDS_SOURCE,
  rdsClusterEventSchema,
  rdsClusterSnapshotEventSchema,
  rdsDetailTypes,
  rdsEventIds,
  rdsInstanceEventSchema,
} from "./rds";

/** Who consumes which contract, given as service name -> contracts (from the service declarations). */
export type ConsumerIndex = Record<string, readonly AnyDomainEventContract[]>;

function jsonSchema(schema: z.ZodType): string {
  return JSON.stringify(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }), null, 2);
}

/**
 * The event catalogue (docs/events.md), generated from the contracts so it cannot drift from them.
 * `npm run catalog` rewrites it; a test fails when the committed file differs.
 */
export function renderCatalog(consumers: ConsumerIndex): string {
  const consumersOf = (contract: AnyDomainEventContract) =>
    Object.entries(consumers)
      .filter(([, contracts]) => contracts.includes(contract))
      .map(([name]) => name);
  const lines: string[] = [
    "# Event catalogue",
    "",
    "Generated from `packages/core/src/events` by `npm run catalog`; do not edit by hand.",
    "",
    `Domain events are published on the pipeline's custom bus with source \`${domainEvents[0].source}\`.`,
    "Every one carries `operationId`, `correlationId`, `causationId`, `occurredAt` and `schemaVersion`; none carries a secret value.",
    "",
    "| detail-type | version | producers | consumers | what it means |",
    "| --- | --- | --- | --- | --- |",
    ...domainEvents.map(
      (c) =>
        `| \`${c.detailType}\` | ${c.version} | ${c.producers.join(", ")} | ${consumersOf(c).join(", ") || "(none)"} | ${c.description} |`,
    ),
    "",
  ];
  for (const contract of domainEvents) {
    lines.push(
      `## ${contract.detailType} (v${contract.version})`,
      "",
      contract.description,
      "",
      `Rule pattern: \`${JSON.stringify(contract.pattern())}\``,
      "",
      "```json",
      jsonSchema(contract.schema),
      "```",
      "",
    );
  }
  lines.push(
    `## RDS events (source \`${RDS_SOURCE}\`, default bus)`,
    "",
    "Read by trigger (snapshot created) and watcher (cluster/instance changes). Matched on `EventID`, never on `Message`.",
    "",
    "| EventID | meaning |",
    "| --- | --- |",
    ...Object.entries(rdsEventIds).map(([meaning, id]) => `| \`${id}\` | ${meaning} |`),
    "",
  );
  for (const [name, schema] of [
    [rdsDetailTypes.clusterSnapshot, rdsClusterSnapshotEventSchema],
    [rdsDetailTypes.cluster, rdsClusterEventSchema],
    [rdsDetailTypes.instance, rdsInstanceEventSchema],
  ] as const) {
    lines.push(`### ${name}`, "", "```json", jsonSchema(schema), "```", "");
  }
  return lines.join("\n");
}
