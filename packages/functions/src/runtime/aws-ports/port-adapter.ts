import type { ClientPool } from "@aurora-restore/aws/clients";
import type { Plan } from "@aurora-restore/core/plan/schema";
import type { AccountRegion } from "@aurora-restore/core/ports/location";
import type {
  DeclaredPort,
  OptionalStagePort,
  StageDeclaration,
} from "@aurora-restore/core/wiring/stage-declaration";
import type { OptionalPorts } from "../declared-deps";

/** What a Lambda function's adapters are built from. */
export interface AwsPortContext {
  /** The function's SDK clients: one cache and one set of assumed-role credentials for all its adapters. */
  pool: ClientPool;
  /** The function's own account and region. */
  self: AccountRegion;
  /** The pipeline's event bus (name or ARN). */
  busName: string;
  plans: readonly Plan[];
}

/** Builds one optional port of StageDeps over AWS. Each lives in its own module, with its SDK client. */
export type AwsPortAdapter<P extends OptionalStagePort> = (context: AwsPortContext) => OptionalPorts[P];

/** The adapters of exactly the ports a declaration asks for: what a stage's handler gives the runtime. */
export type AwsPortAdapters<D extends StageDeclaration> = { [P in DeclaredPort<D>]: AwsPortAdapter<P> };

/** Adapters for any of the optional ports (the ones not given are refused). */
export type SomeAwsPortAdapters = { [P in OptionalStagePort]?: AwsPortAdapter<P> };
