import { cleanUp } from "@aurora-restore/core/stages/cleanup";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** cleanup: intermediate snapshots, a replaced cluster left behind, the target lock (see stages/cleanup). */
export const { handler, handle } = stageHandler(stage, {
  RestoreCompleted: (event, deps) => cleanUp(deps, event),
  RestoreFailed: (event, deps) => cleanUp(deps, event),
});
