import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/** Generic key attributes; what they mean lives in each entity's composite arrays (ElectroDB style). */
export const SERVICE = "aurora-restore";

export interface TableNames {
  state: string;
  audit: string;
}

/** The audit TTL attribute (epoch seconds), set from the plan's compliance profile. */
export const AUDIT_TTL_ATTRIBUTE = "expiresAt";

function table(name: string, gsiCount: number): CreateTableCommandInput {
  const indexes = Array.from({ length: gsiCount }, (_, i) => `gsi${i + 1}`);
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
      ...indexes.flatMap((gsi) => [
        { AttributeName: `${gsi}pk`, AttributeType: "S" as const },
        { AttributeName: `${gsi}sk`, AttributeType: "S" as const },
      ]),
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes:
      indexes.length === 0
        ? undefined
        : indexes.map((gsi) => ({
            IndexName: gsi,
            KeySchema: [
              { AttributeName: `${gsi}pk`, KeyType: "HASH" },
              { AttributeName: `${gsi}sk`, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          })),
  };
}

/** Table definitions, shared by the stacks (as documentation of the keys) and local/test table creation. */
export const tableDefinitions = {
  state: (name: string) => table(name, 3),
  audit: (name: string) => table(name, 1),
};
