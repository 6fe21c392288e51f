import { onRdsEvent, onSchedule } from "@aurora-restore/core/stages/watcher";
import { awsPublisherPort } from "../runtime/aws-ports/publisher";
import { awsRdsPort } from "../runtime/aws-ports/rds";
import { stageHandler } from "../runtime/stage-handler";
import { stage } from "./stage";

/** watcher: scheduled checks of what operations wait on, plus an early check on RDS resource events. */
export const { handler, handle } = stageHandler(
  stage,
  {
    onSchedule: (tick, deps) => onSchedule(deps, tick),
    onRdsEvent: (event, deps) => onRdsEvent(deps, event),
  },
  { awsPorts: { publisher: awsPublisherPort, rds: awsRdsPort } },
);
