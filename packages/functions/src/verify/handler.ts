import { ClusterConfigured } from "@aurora-restore/core";
import { onClusterConfigured } from "@aurora-restore/core/stages/verify";
import { stageHandler } from "../runtime/stage-handler";

/** verify: logs in as an application user and runs the plan's checks (see stages/verify). */
export const { handler, handle } = stageHandler({
  service: "verify",
  contracts: [ClusterConfigured],
  run: (event, deps) => onClusterConfigured(deps, event),
});
