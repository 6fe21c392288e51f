import type { LocalRuntimeAccess } from "@aurora-restore/local/control/runtime-access";
import { type Command, escapeControl, UsageError } from "../io";
import { stageProgress } from "../progress/stage-progress";
import { onStopSignal } from "../stop-signals";
import { jsonOption, stateDirOption } from "./common-options";
import { clusterLocationOptions, clusterPlace, namedCluster } from "./local-cluster-option";
import { integerFlag, stringFlag } from "./option-values";
import { existingStateDir } from "./state-dir-option";

export const localSnapshotCommand: Command = {
  path: ["local", "snapshot"],
  summary: "Take a snapshot of a local cluster; a plan that covers it starts a refresh, followed to the end",
  operands: "<cluster>",
  options: [
    {
      flags: "--automated",
      description: "an automated snapshot, rds:<cluster>-YYYY-MM-DD-HH-MM (default: manual)",
    },
    {
      flags: "--id <snapshot-id>",
      description: "the manual snapshot's identifier (default: <cluster>-<date-time>)",
    },
    ...clusterLocationOptions,
    {
      flags: "--timeout-minutes <n>",
      description: "give up following the refresh after this long, 1 to 2880 (default: 30)",
    },
    jsonOption,
    stateDirOption,
  ],
  details: [
    "Takes the snapshot as RDS would (events 0074/0075 manual, 0168/0169 automated); a plan whose source is",
    "the cluster and whose trigger takes that type starts a refresh of each of its targets, followed stage by",
    "stage on stderr. When 'local up' runs on the state folder the snapshot is handed to it (the refresh",
    "runs there and goes on after Ctrl-C here); otherwise the runtime starts here and stops once the",
    "refreshes end. A second automated snapshot within a minute waits for the next minute, as in AWS.",
  ].join("\n"),
  examples: [
    "aurora-restore local snapshot production-db --automated",
    "aurora-restore local snapshot production-db --id before-migration --json",
  ],
  async run(parsed, io) {
    if (parsed.positionals.length !== 1) throw new UsageError("give exactly one cluster identifier");
    const type = parsed.flags.has("automated") ? ("automated" as const) : ("manual" as const);
    const snapshotIdentifier = stringFlag(parsed, "id");
    if (type === "automated" && snapshotIdentifier !== undefined) {
      throw new UsageError(
        "--id names a manual snapshot; an automated one is named rds:<cluster>-YYYY-MM-DD-HH-MM: drop --id or --automated",
      );
    }
    const timeoutMinutes = integerFlag(parsed, "timeout-minutes", 30, [1, 2880]);
    const stateDir = await existingStateDir(parsed);
    const cluster = await namedCluster(parsed, stateDir);
    // The runtime's modules load once the command line is known to be right.
    const { targetKeyOf } = await import("@aurora-restore/core/operation/ids");
    const { findOperationFor } = await import("@aurora-restore/local/demo/demo-result");
    const { openRuntimeAccess } = await import("@aurora-restore/local/control/runtime-access");
    const { waitForOperation } = await import("@aurora-restore/local/runtime/operation-progress");
    const { targetsRefreshedBy } = await import("@aurora-restore/local/runtime/plan-coverage");
    const progress = stageProgress(io);
    const lines = { write: (line: string) => progress.line(line.replace(/\n$/, "")) };
    let access: LocalRuntimeAccess | undefined;
    // Ctrl-C: the own runtime stops (its operations resume on the next start); a served one goes on.
    const removeStopper = onStopSignal(async () => {
      progress.stop();
      await access?.close();
      return undefined;
    });
    try {
      access = await openRuntimeAccess({ stateDir, runtime: { console: lines }, say: progress.line });
      if (access.servedBy) {
        progress.line(
          escapeControl(
            `Handing the snapshot to ${access.servedBy.command} (process ${access.servedBy.pid})`,
          ),
        );
      }
      const snapshot = await access.request({
        kind: "snapshot",
        snapshot: {
          accountId: cluster.accountId,
          region: cluster.region,
          clusterIdentifier: cluster.identifier,
          type,
          ...(snapshotIdentifier === undefined ? {} : { snapshotIdentifier }),
        },
      });
      const covered = targetsRefreshedBy(await access.plans.list(), {
        ...cluster,
        clusterIdentifier: cluster.identifier,
        type,
      });
      progress.line(
        escapeControl(
          `${type === "automated" ? "Automated" : "Manual"} snapshot ${snapshot.identifier} of ${clusterPlace(cluster)} taken` +
            (covered.length > 0 ? "; its RDS event starts the pipeline" : ""),
        ),
      );
      const operations = [];
      for (const { plan, target } of covered) {
        const targetKey = targetKeyOf(target);
        const operationId = await findOperationFor(access, targetKey, snapshot.arn, { timeoutMs: 60_000 });
        progress.line(escapeControl(`Operation ${operationId} started for ${targetKey} (plan ${plan.id})`));
        const final = await waitForOperation(access.store, operationId, {
          timeoutMs: timeoutMinutes * 60_000,
          onProgress: (event) => {
            if (event.stage !== "trigger") progress.stage(event);
          },
        });
        operations.push({
          operationId,
          status: final.status,
          target: targetKey,
          ...(final.error ? { error: final.error } : {}),
        });
      }
      progress.stop();
      // notify and cleanup react to the final event: let them finish before the own runtime stops.
      await access.settle();
      if (parsed.flags.has("json")) {
        io.stdout.write(`${JSON.stringify({ snapshot, operations }, null, 2)}\n`);
      } else if (operations.length === 0) {
        io.stdout.write(
          `${escapeControl(
            `${snapshot.identifier}: no plan refreshes ${cluster.identifier} on a ${type} snapshot (see 'aurora-restore plans list')`,
          )}\n`,
        );
      } else {
        for (const op of operations) {
          const error = op.error ? ` in ${op.error.stage}: ${op.error.code}: ${op.error.message}` : "";
          io.stdout.write(`${escapeControl(`${op.operationId}: ${op.status} (${op.target})${error}`)}\n`);
        }
      }
      return operations.every((op) => op.status === "succeeded") ? 0 : 1;
    } finally {
      progress.stop();
      await access?.close();
      removeStopper();
    }
  },
};
