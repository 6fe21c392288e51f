import type { LocalRuntimeAccess } from "@aurora-restore/local/control/runtime-access";
import { type Command, escapeControl, UsageError } from "../io";
import { onStopSignal } from "../stop-signals";
import { textTable } from "../table";
import { jsonOption, stateDirOption } from "./common-options";
import { confirmed, yesOption } from "./confirm";
import { clusterLocationOptions, clusterPlace, namedCluster } from "./local-cluster-option";
import { existingStateDir } from "./state-dir-option";

export const localClustersListCommand: Command = {
  path: ["local", "clusters", "list"],
  summary: "List the local clusters: account, region, status, endpoint, creation, tags",
  options: [jsonOption, stateDirOption],
  details:
    "OPERATION is the refresh that restored the cluster (its aurora-restore:operation tag); the demo's\n" +
    "production cluster has none. Read from the state folder, alongside a running 'local up' too.",
  examples: ["aurora-restore local clusters list", "aurora-restore local clusters list --json"],
  async run(parsed, io) {
    const { operationTagKey, readLocalClusters } = await import(
      "@aurora-restore/local/runtime/local-clusters"
    );
    const { currentLockHolder } = await import("@aurora-restore/local/state-lock");
    const stateDir = await existingStateDir(parsed);
    const clusters = await readLocalClusters(stateDir);
    if (parsed.flags.has("json")) {
      io.stdout.write(`${JSON.stringify(clusters, null, 2)}\n`);
      return 0;
    }
    if (clusters.length === 0) {
      io.stdout.write(`No clusters in ${escapeControl(stateDir)}. Run 'npm start' to create the demo's.\n`);
      return 0;
    }
    io.stdout.write(
      textTable(
        ["CLUSTER", "ACCOUNT", "REGION", "STATUS", "ENDPOINT", "CREATED", "OPERATION", "TAGS"],
        clusters.map((c) => [
          c.identifier,
          c.accountId,
          c.region,
          c.status,
          c.kind === "instant" ? "(instant, no server)" : `${c.endpoint}:${c.port}`,
          c.createdAt,
          c.createdByOperation ?? "-",
          Object.entries(c.tags)
            .filter(([key]) => key !== operationTagKey)
            .map(([key, value]) => `${key}=${value}`)
            .join(", ") || "-",
        ]),
      ),
    );
    if ((await currentLockHolder(stateDir))?.role !== "runtime") {
      io.stdout.write("No local runtime runs, so no server is up: 'aurora-restore local up' starts them.\n");
    }
    return 0;
  },
};

export const localClustersDeleteCommand: Command = {
  path: ["local", "clusters", "delete"],
  summary: "Delete a local cluster: its instances, its server and its data",
  operands: "<cluster>",
  options: [yesOption, ...clusterLocationOptions, stateDirOption],
  details: [
    "Refused while a running operation uses the cluster (its source, target, or the cluster it restores or",
    "replaces). Deletion protection is turned off first. When 'local up' runs on the state folder the",
    "deletion is handed to it; otherwise the runtime starts here for it. Asks first at a terminal; --yes",
    "otherwise.",
  ].join("\n"),
  examples: ["aurora-restore local clusters delete staging-db --yes"],
  async run(parsed, io) {
    if (parsed.positionals.length !== 1) throw new UsageError("give exactly one cluster identifier");
    const stateDir = await existingStateDir(parsed);
    const cluster = await namedCluster(parsed, stateDir);
    const what = escapeControl(clusterPlace(cluster));
    if (!(await confirmed(parsed, `Delete cluster ${what}, its instances and its data?`, io))) return 1;
    const { ServedRequestError } = await import("@aurora-restore/local/control/request-channel");
    const { openRuntimeAccess } = await import("@aurora-restore/local/control/runtime-access");
    const { ClusterInUseError } = await import("@aurora-restore/local/runtime/delete-cluster");
    let access: LocalRuntimeAccess | undefined;
    const removeStopper = onStopSignal(async () => {
      await access?.close();
      return undefined;
    });
    try {
      access = await openRuntimeAccess({ stateDir, say: (line) => io.stderr.write(`${line}\n`) });
      const deleted = await access
        .request({
          kind: "delete-cluster",
          cluster: {
            accountId: cluster.accountId,
            region: cluster.region,
            clusterIdentifier: cluster.identifier,
          },
        })
        .catch((error: unknown) => {
          const inUse =
            error instanceof ClusterInUseError ||
            (error instanceof ServedRequestError && error.error.name === "ClusterInUseError");
          if (inUse)
            throw new UsageError(`${escapeControl((error as Error).message)}; nothing was deleted`, 1);
          throw error;
        });
      const instances =
        deleted.instances.length > 0 ? ` and its instance(s) ${deleted.instances.join(", ")}` : "";
      const unprotected = deleted.deletionProtectionRemoved
        ? " (its deletion protection turned off first)"
        : "";
      io.stdout.write(
        `${escapeControl(`Deleted ${clusterPlace(cluster)}${instances}${unprotected}: its server is stopped and its data removed`)}\n`,
      );
      return 0;
    } finally {
      await access?.close();
      removeStopper();
    }
  },
};
