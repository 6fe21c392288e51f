import { ClusterCreated, CopyCompleted } from "@aurora-restore/core";
import { onClusterCreated, onCopyCompleted } from "@aurora-restore/core/stages/restore";
import { stageHandler } from "../runtime/stage-handler";

/** restore: restore under the temporary name, then create the instances once the cluster is available. */
export const { handler, handle } = stageHandler({
  service: "restore",
  contracts: [CopyCompleted, ClusterCreated],
  run: (event, deps) =>
    event.detailType === CopyCompleted.detailType
      ? onCopyCompleted(deps, event)
      : onClusterCreated(deps, event),
});
