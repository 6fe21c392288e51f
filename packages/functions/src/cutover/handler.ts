import { ClusterRenamed, RestoreVerified } from "@aurora-restore/core";
import { onClusterRenamed, onRestoreVerified } from "@aurora-restore/core/stages/cutover";
import { stageHandler } from "../runtime/stage-handler";

/** cutover: swaps names step by step, repoints secrets, deletes the old cluster (see stages/cutover). */
export const { handler, handle } = stageHandler({
  service: "cutover",
  contracts: [RestoreVerified, ClusterRenamed],
  run: (event, deps) =>
    event.detailType === RestoreVerified.detailType
      ? onRestoreVerified(deps, event)
      : onClusterRenamed(deps, event),
});
