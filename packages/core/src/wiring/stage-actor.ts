import type { StageName } from "../events/shapes";

/**
 * The name a stage (or the local CLI) acts under, in AWS and locally alike: the audit trail's actor, the role session name,
 * the logger's and metrics' service name. Hyphenated, as STS session names allow no "/".
 */
export function stageActor(stage: StageName | "cli"): string {
  return `aurora-restore-${stage}`;
}
