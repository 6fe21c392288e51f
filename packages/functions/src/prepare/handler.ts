import { onRestoreRequested, onSourceSnapshotCopied } from "@aurora-restore/core/stages/prepare";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** prepare: make the source snapshot usable by the target account (shareable copy, share). */
export const { handler, handle } = stageHandler(stage, {
  RestoreRequested: (event, deps) => onRestoreRequested(deps, event),
  SourceSnapshotCopied: (event, deps) => onSourceSnapshotCopied(deps, event),
});
