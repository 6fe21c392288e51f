import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalKms } from "../../src/kms/local-kms";
import { LocalRds } from "../../src/rds/local-rds";
import type { ResourceChange } from "../../src/rds/resource-changes";
import { EventLog, production, tempStateDir } from "./helpers";

const fast = { create: 0, copy: 0, rename: 0, delete: 0, snapshot: 0, passwordChange: 0 };

/** The local RDS tells its listener (the runtime's watcher wake-ups) of each status or name change, in process. */
describe("[slow] local RDS: resource changes", () => {
  const log = new EventLog();
  const changes: ResourceChange[] = [];
  let state: Awaited<ReturnType<typeof tempStateDir>>;
  let rds: LocalRds;

  /** The changes reported since the last call, as "kind identifier status". */
  const reported = () => changes.splice(0).map((c) => `${c.kind} ${c.identifier} ${c.status}`);

  beforeAll(async () => {
    state = await tempStateDir();
    const kms = new LocalKms({ stateDir: state.dir });
    rds = new LocalRds({
      stateDir: state.dir,
      kms,
      emit: log.emit,
      clusters: "instant",
      durations: fast,
      onResourcesChanged: (found) => changes.push(...found),
    });
    await rds.start();
    await rds.createCluster({
      ...production,
      clusterIdentifier: "prod",
      masterUsername: "master",
      masterPassword: "Prod-Passw0rd",
      databaseName: "app",
    });
    await rds.idle();
  });

  afterAll(async () => {
    await rds?.stop();
    await state?.cleanup();
  });

  it("reports a new cluster as it is created and once it is available, with its account and region", async () => {
    expect(reported()).toEqual(["cluster prod creating", "cluster prod available"]);
    const port = rds.port(production);
    await port.modifyCluster({ clusterIdentifier: "prod", deletionProtection: false });
    await rds.idle();
    // Nothing about the cluster's status or name changed: nothing is reported.
    expect(changes.filter((c) => c.status !== "available" || c.identifier !== "prod")).toEqual([]);
    changes.length = 0;
  });

  it("reports a snapshot copy that finished (RDS has no event for it)", async () => {
    const port = rds.port(production);
    await port.createClusterSnapshot({ clusterIdentifier: "prod", snapshotIdentifier: "snap" });
    await rds.idle();
    reported();
    await port.copyClusterSnapshot({ source: "snap", targetIdentifier: "snap-copy" });
    await rds.idle();
    const copy = changes.filter((c) => c.identifier === "snap-copy");
    expect(copy.map((c) => c.status)).toEqual(["copying", "available"]);
    expect(copy[1]).toMatchObject({ kind: "snapshot", ...production });
    changes.length = 0;
  });

  it("reports a rename under the new name and the old one, and a deleted resource as deleted", async () => {
    const port = rds.port(production);
    await port.modifyCluster({ clusterIdentifier: "prod", newClusterIdentifier: "prod-old" });
    await rds.idle();
    // The old name is reported too: a watch may wait on either (a rename back, a cluster-renamed watch).
    expect(reported()).toEqual([
      "cluster prod renaming",
      "cluster prod-old available",
      "cluster prod available",
    ]);
    await port.deleteClusterSnapshot("snap-copy");
    await rds.idle();
    expect(reported()).toContain("snapshot snap-copy deleted");
  });
});
