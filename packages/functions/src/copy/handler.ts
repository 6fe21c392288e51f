import { SnapshotAvailable } from "@aurora-restore/core";
import { onSnapshotAvailable } from "@aurora-restore/core/stages/copy";
import { stageHandler } from "../runtime/stage-handler";

/** copy: bring the snapshot into the target account and region under the target key. */
export const { handler, handle } = stageHandler({
  service: "copy",
  contracts: [SnapshotAvailable],
  run: (event, deps) => onSnapshotAvailable(deps, event),
});
