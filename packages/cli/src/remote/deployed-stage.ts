import { createAuditLog } from "@aurora-restore/core/storage/audit";
import { createOperationStore } from "@aurora-restore/core/storage/operations";
import { deploymentNames } from "@aurora-restore/functions/shared/deploy/names";
import type { StateReader } from "../state-reader";
import { type AwsClients, createAwsClients, type SharedClientConfig } from "./aws-clients";
import { awsCall } from "./aws-errors";
import { addressFlags, describeAddress, type StageAddress } from "./stage-address";

/** A deployed stage as the CLI works on it: its resource names, clients, and its tables read like local ones. */
export interface DeployedStage {
  address: StageAddress;
  names: ReturnType<typeof deploymentNames>;
  clients: AwsClients;
  /** Its state and audit tables through core's stores (ElectroDB), AWS failures explained. */
  state: StateReader;
  close(): Promise<void>;
}

/** Nothing is called until a command asks: a missing stage shows on the first call (explainAwsError). */
export async function openDeployedStage(
  address: StageAddress,
  clientConfig: Partial<SharedClientConfig> = {},
): Promise<DeployedStage> {
  const names = deploymentNames(address.stage);
  const clients = createAwsClients(address, clientConfig);
  const store = createOperationStore(clients.documents, names.stateTable);
  const audit = createAuditLog(clients.documents, names.auditTable);
  const stateTable = (action: string) => ({ action, resource: `table ${names.stateTable}` });
  const auditTable = (action: string) => ({ action, resource: `table ${names.auditTable}` });
  const close = async () => clients.destroy();
  return {
    address,
    names,
    clients,
    state: {
      where: describeAddress(address),
      noOperationsHint: `Start one with 'aurora-restore restore --target-cluster-id <id> --source-snapshot-date YYYY-MM-DD ${addressFlags(address)}'.`,
      store: {
        get: (id) => awsCall(address, stateTable("dynamodb:GetItem"), () => store.get(id)),
        listByStatus: (status) =>
          awsCall(address, stateTable("dynamodb:Query"), () => store.listByStatus(status)),
      },
      audit: {
        listByOperation: (id) =>
          awsCall(address, auditTable("dynamodb:Query"), () => audit.listByOperation(id)),
        listWrittenSince: (at) =>
          awsCall(address, auditTable("dynamodb:Scan"), () => audit.listWrittenSince(at)),
      },
      close,
    },
    close,
  };
}
