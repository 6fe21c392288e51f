import type { StageDeps } from "@aurora-restore/core/stages/kit/deps";
import {
  declaredPorts,
  type OptionalStagePort,
  optionalStagePorts,
  type StageDeclaration,
} from "@aurora-restore/core/wiring/stage-declaration";

/** Thrown when a stage uses a port its declaration does not ask for. */
export class UndeclaredPortError extends Error {
  override name = "UndeclaredPortError";
}

/** The ports of StageDeps a stage may go without. */
export type OptionalPorts = Pick<StageDeps, OptionalStagePort>;

/** A stand-in for a port a stage may not use: it throws UndeclaredPortError, saying why, when used. */
export function refusingPort<P extends OptionalStagePort>(port: P, why: string): OptionalPorts[P] {
  const refuse = (): never => {
    throw new UndeclaredPortError(why);
  };
  const standIns: OptionalPorts = {
    publisher: { putEvents: refuse },
    rds: refuse,
    kms: refuse,
    secrets: refuse,
    notifications: { publish: refuse },
    database: { connect: refuse },
  };
  return standIns[port];
}

/**
 * The deps a stage's functions get: those given, except the optional ports its declaration does not ask
 * for, which throw UndeclaredPortError when used. The same locally and in tests as in Lambda (where no
 * adapter is built for them), so a stage that needs a port it does not declare fails before it is deployed.
 */
export function declaredDeps(declaration: StageDeclaration, deps: StageDeps): StageDeps {
  const declared = new Set(declaredPorts(declaration));
  const undeclared = optionalStagePorts.filter((port) => !declared.has(port));
  const why = (port: OptionalStagePort) => {
    const fix = port === "database" ? "set reachesDatabase: true" : `add "${port}" to its ports`;
    return `The ${declaration.name} stage used the ${port} port, which its declaration does not ask for: ${fix} (packages/functions/src/${declaration.name}/stage.ts)`;
  };
  return {
    ...deps,
    ...Object.fromEntries(undeclared.map((port) => [port, refusingPort(port, why(port))])),
  };
}
