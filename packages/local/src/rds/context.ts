import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { LocalKms } from "../kms/local-kms";
import type { ClusterDataPath } from "./cluster-data";
import type { RdsEventEntry, RdsEventId } from "./events";
import type { Registry } from "./registry";
import type { SnapshotStore } from "./snapshot-store";
import type { Transitions } from "./transitions";

/** What the operation modules share: state, cluster data, snapshot files, KMS, background transitions, events. */
export interface RdsContext {
  readonly registry: Registry;
  /** Where clusters' data lives: PostgreSQL servers, or instant records. */
  readonly data: ClusterDataPath;
  readonly store: SnapshotStore;
  readonly kms: LocalKms;
  readonly transitions: Transitions;
  now(): Date;
  /** Emits one RDS event; a failing emitter is reported, never fatal (delivery is best effort in AWS too). */
  emit(
    eventId: RdsEventId,
    source: { location: AccountRegion; arn: string; identifier: string },
    values?: Record<string, string>,
  ): Promise<void>;
  /** Loads the registry on first use. */
  ready(): Promise<void>;
  /** Reports a problem that does not fail the current call (never with a secret in it). */
  warn(message: string): void;
  newResourceId(prefix: "cluster" | "db" | "snapshot"): string;
}

export type { RdsEventEntry };
