import { RestoreCompleted, RestoreFailed } from "@aurora-restore/core";
import { onRestoreCompleted, onRestoreFailed } from "@aurora-restore/core/stages/cleanup";
import { stageHandler } from "../runtime/stage-handler";

/** cleanup: intermediate snapshots, a replaced cluster left behind, the target lock (see stages/cleanup). */
export const { handler, handle } = stageHandler({
  service: "cleanup",
  contracts: [RestoreCompleted, RestoreFailed],
  run: (event, deps) =>
    event.detailType === RestoreCompleted.detailType
      ? onRestoreCompleted(deps, event)
      : onRestoreFailed(deps, event),
});
