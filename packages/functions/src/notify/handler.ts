import { onRestoreCompleted, onRestoreFailed } from "@aurora-restore/core/stages/notify";
import { awsNotificationsPort } from "../runtime/aws-ports/notifications";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** notify: one SNS summary per ended operation (see stages/notify). */
export const { handler, handle } = stageHandler(
  stage,
  {
    RestoreCompleted: (event, deps) => onRestoreCompleted(deps, event),
    RestoreFailed: (event, deps) => onRestoreFailed(deps, event),
  },
  { awsPorts: { notifications: awsNotificationsPort } },
);
