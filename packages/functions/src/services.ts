import type { ServiceDeclaration } from "@aurora-restore/core";
import { service as cleanup } from "./cleanup/service";
import { service as configure } from "./configure/service";
import { service as copy } from "./copy/service";
import { service as cutover } from "./cutover/service";
import { service as notify } from "./notify/service";
import { service as prepare } from "./prepare/service";
import { service as restore } from "./restore/service";
import { service as trigger } from "./trigger/service";
import { service as verify } from "./verify/service";
import { service as watcher } from "./watcher/service";

/** Every service of the pipeline, in flow order: the one list the stacks and the local runtime read. */
export const services: readonly ServiceDeclaration[] = [
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
