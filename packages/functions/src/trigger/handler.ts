import { ManualRestoreRequested } from "@aurora-restore/core";
import { onManualRestoreRequested, onRdsEvent } from "@aurora-restore/core/stages/trigger";
import { stageHandler } from "../runtime/stage-handler";

/** trigger: RDS-EVENT-0169/0075 from the default bus, and manual requests from the pipeline bus. */
export const { handler, handle } = stageHandler({
  service: "trigger",
  contracts: [ManualRestoreRequested],
  run: async (event, deps) => {
    await onManualRestoreRequested(deps, event);
  },
  onRdsEvent: async (event, deps) => {
    await onRdsEvent(deps, event);
  },
});
