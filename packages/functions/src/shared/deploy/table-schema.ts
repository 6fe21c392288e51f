import type { Plan, tableDefinitions } from "@aurora-restore/core";
import { planNeedsCustomerKey } from "../secret-keys";

type TableDefinition = ReturnType<(typeof tableDefinitions)["state"]>;

/**
 * The `sst.aws.Dynamo` arguments for one of core's table definitions (the same definitions the local and
 * test tables are created from), so the deployed keys and indexes cannot differ from what ElectroDB uses.
 */
export interface DynamoSchema {
  fields: Record<string, "string" | "number" | "binary">;
  primaryIndex: { hashKey: string; rangeKey?: string };
  globalIndexes: Record<string, { hashKey: string; rangeKey?: string; projection: "all" }>;
}

const attributeTypes = { S: "string", N: "number", B: "binary" } as const;

function keysOf(schema: { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined) {
  const hashKey = schema?.find((k) => k.KeyType === "HASH")?.AttributeName;
  const rangeKey = schema?.find((k) => k.KeyType === "RANGE")?.AttributeName;
  if (!hashKey)
    throw new Error("A table definition without a HASH key: fix packages/core/src/storage/tables.ts");
  return rangeKey ? { hashKey, rangeKey } : { hashKey };
}

export function dynamoSchemaFrom(definition: TableDefinition): DynamoSchema {
  const fields: DynamoSchema["fields"] = {};
  for (const attribute of definition.AttributeDefinitions ?? []) {
    const type = attribute.AttributeType ? attributeTypes[attribute.AttributeType] : undefined;
    if (!attribute.AttributeName || !type)
      throw new Error(`Unsupported attribute in ${definition.TableName}`);
    fields[attribute.AttributeName] = type;
  }
  const globalIndexes: DynamoSchema["globalIndexes"] = {};
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (index.Projection?.ProjectionType !== "ALL") {
      throw new Error(`Index ${index.IndexName} of ${definition.TableName}: only ALL projections are mapped`);
    }
    globalIndexes[index.IndexName ?? ""] = { ...keysOf(index.KeySchema), projection: "all" };
  }
  return { fields, primaryIndex: keysOf(definition.KeySchema), globalIndexes };
}

/** PCI and HIPAA plans ask for data at rest under a customer managed key. */
export function needsCustomerKey(plans: readonly Plan[]): boolean {
  return plans.some(planNeedsCustomerKey);
}
