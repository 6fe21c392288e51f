import { ClusterAvailable } from "@aurora-restore/core";
import { onClusterAvailable } from "@aurora-restore/core/stages/configure";
import { stageHandler } from "../runtime/stage-handler";

/** configure: new master password, application users, grants and post-restore SQL (see stages/configure). */
export const { handler, handle } = stageHandler({
  service: "configure",
  contracts: [ClusterAvailable],
  run: (event, deps) => onClusterAvailable(deps, event),
});
