import type { AccountRegion } from "@aurora-restore/core/ports/index";
import type { Registry } from "./registry";

/** A cluster, instance or snapshot whose status or name changed, or that is gone (status "deleted"). */
export interface ResourceChange extends AccountRegion {
  kind: "cluster" | "instance" | "snapshot";
  identifier: string;
  status: string;
}

interface Seen extends AccountRegion {
  kind: ResourceChange["kind"];
  identifier: string;
  status: string;
}

/**
 * Finds what changed in the registry since the previous look: every change is followed by a save(), so a look
 * at each write sees each status change (a write that serves several changes sees them all). A resource is
 * keyed by its resource id, which survives a rename: a rename reports the new name and the old one.
 */
export class ResourceChangeDetector {
  readonly #seen = new Map<string, Seen>();

  scan(registry: Registry): ResourceChange[] {
    const changes: ResourceChange[] = [];
    const present = new Set<string>();
    const look = (
      kind: ResourceChange["kind"],
      record: AccountRegion & { resourceId: string; identifier: string; status: string },
    ) => {
      const key = `${kind}:${record.resourceId}`;
      present.add(key);
      const before = this.#seen.get(key);
      if (before?.status === record.status && before.identifier === record.identifier) return;
      const now: Seen = {
        kind,
        accountId: record.accountId,
        region: record.region,
        identifier: record.identifier,
        status: record.status,
      };
      this.#seen.set(key, now);
      changes.push({ ...now });
      if (before && before.identifier !== record.identifier)
        changes.push({ ...now, identifier: before.identifier });
    };
    for (const cluster of registry.clusters) look("cluster", cluster);
    for (const instance of registry.instances) look("instance", instance);
    for (const snapshot of registry.snapshots) look("snapshot", snapshot);
    for (const [key, gone] of this.#seen) {
      if (present.has(key)) continue;
      this.#seen.delete(key);
      changes.push({ ...gone, status: "deleted" });
    }
    return changes;
  }
}
