import { onClusterAvailable } from "@aurora-restore/core/stages/configure";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** configure: new master password, application users, grants and post-restore SQL (see stages/configure). */
export const { handler, handle } = stageHandler(stage, {
  ClusterAvailable: (event, deps) => onClusterAvailable(deps, event),
});
