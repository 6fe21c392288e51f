import { AUDIT_TTL_ATTRIBUTE, tableDefinitions } from "@aurora-restore/core";
import { deploymentNames } from "./names";
import { dynamoSchemaFrom } from "./table-schema";

/**
 * State and audit tables, built from core's definitions. Point-in-time recovery always; deletion
 * protection in production stages; the stage key when a plan's compliance profile asks for one.
 */
export function createTables(input: {
  stage: string;
  production: boolean;
  customerKeyArn?: $util.Input<string>;
}) {
  const names = deploymentNames(input.stage);
  const table = (
    id: string,
    name: string,
    definition: ReturnType<typeof tableDefinitions.state>,
    ttl?: string,
  ) =>
    new sst.aws.Dynamo(id, {
      ...dynamoSchemaFrom(definition),
      ...(ttl ? { ttl } : {}),
      deletionProtection: input.production,
      transform: {
        table: {
          name,
          pointInTimeRecovery: { enabled: true },
          serverSideEncryption: input.customerKeyArn
            ? { enabled: true, kmsKeyArn: input.customerKeyArn }
            : { enabled: false },
        },
      },
    });
  return {
    state: table("StateTable", names.stateTable, tableDefinitions.state(names.stateTable)),
    audit: table(
      "AuditTable",
      names.auditTable,
      tableDefinitions.audit(names.auditTable),
      AUDIT_TTL_ATTRIBUTE,
    ),
  };
}
