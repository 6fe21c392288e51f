import type { AccountRegion, RdsPort } from "@aurora-restore/core/ports/index";
import { deleteCluster, describeCluster, modifyCluster } from "./cluster-changes";
import { cloneCluster, restoreCluster } from "./cluster-creation";
import type { RdsContext } from "./context";
import { createInstance, deleteInstance, describeInstance, renameInstance } from "./instance-operations";
import {
  createClusterSnapshot,
  deleteClusterSnapshot,
  describeClusterSnapshot,
  listClusterSnapshots,
} from "./snapshot-operations";
import { copyClusterSnapshot, shareClusterSnapshot } from "./snapshot-sharing";

/** The RDS port of the local RDS, bound to one account and region (what an SDK client for that region sees). */
export function createRdsPort(ctx: RdsContext, location: AccountRegion): RdsPort {
  const at: AccountRegion = { accountId: location.accountId, region: location.region };
  return {
    location: at,
    describeCluster: async (identifier) => {
      await ctx.ready();
      return describeCluster(ctx, at, identifier);
    },
    describeInstance: async (identifier) => {
      await ctx.ready();
      return describeInstance(ctx, at, identifier);
    },
    describeClusterSnapshot: (identifierOrArn) => describeClusterSnapshot(ctx, at, identifierOrArn),
    listClusterSnapshots: (input) => listClusterSnapshots(ctx, at, input),
    createClusterSnapshot: (input) => createClusterSnapshot(ctx, at, input),
    copyClusterSnapshot: (input) => copyClusterSnapshot(ctx, at, input),
    shareClusterSnapshot: (input) => shareClusterSnapshot(ctx, at, input),
    deleteClusterSnapshot: (identifier) => deleteClusterSnapshot(ctx, at, identifier),
    restoreClusterFromSnapshot: (input) => restoreCluster(ctx, at, input),
    cloneCluster: (input) => cloneCluster(ctx, at, input),
    createInstance: (input) => createInstance(ctx, at, input),
    modifyCluster: (input) => modifyCluster(ctx, at, input),
    renameInstance: (input) => renameInstance(ctx, at, input),
    deleteInstance: (identifier) => deleteInstance(ctx, at, identifier),
    deleteCluster: (input) => deleteCluster(ctx, at, input),
  };
}
