import { RestoreCompleted, RestoreFailed } from "@aurora-restore/core";
import { onRestoreCompleted, onRestoreFailed } from "@aurora-restore/core/stages/notify";
import { stageHandler } from "../runtime/stage-handler";

/** notify: one SNS summary per ended operation (see stages/notify). */
export const { handler, handle } = stageHandler({
  service: "notify",
  contracts: [RestoreCompleted, RestoreFailed],
  run: (event, deps) =>
    event.detailType === RestoreCompleted.detailType
      ? onRestoreCompleted(deps, event)
      : onRestoreFailed(deps, event),
});
