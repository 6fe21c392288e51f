import { RestoreRequested, SourceSnapshotCopied } from "@aurora-restore/core";
import { onRestoreRequested, onSourceSnapshotCopied } from "@aurora-restore/core/stages/prepare";
import { stageHandler } from "../runtime/stage-handler";

/** prepare: make the source snapshot usable by the target account (shareable copy, share). */
export const { handler, handle } = stageHandler({
  service: "prepare",
  contracts: [RestoreRequested, SourceSnapshotCopied],
  run: (event, deps) =>
    event.detailType === RestoreRequested.detailType
      ? onRestoreRequested(deps, event)
      : onSourceSnapshotCopied(deps, event),
});
