import type { StageDeclaration } from "@aurora-restore/core/wiring/stage-declaration";
import { stage as cleanup } from "./cleanup/stage";
import { stage as configure } from "./configure/stage";
import { stage as copy } from "./copy/stage";
import { stage as cutover } from "./cutover/stage";
import { stage as notify } from "./notify/stage";
import { stage as prepare } from "./prepare/stage";
import { stage as restore } from "./restore/stage";
import { stage as trigger } from "./trigger/stage";
import { stage as verify } from "./verify/stage";
import { stage as watcher } from "./watcher/stage";

/** Every stage of the pipeline, in flow order: the one list the stacks and the local runtime read. */
export const stages: readonly StageDeclaration[] = [
  trigger,
  prepare,
  copy,
  restore,
  configure,
  verify,
  cutover,
  notify,
  cleanup,
  watcher,
];
