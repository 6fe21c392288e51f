/**
 * Issue 12, the local runtime as a service, with real processes as a user runs them (the package's bin):
 * `local up` in one process, and in others `local snapshot` (handed to it), `local clusters`, `local psql`,
 * `plans`; then SIGTERM, and `local snapshot` with no `local up` (the runtime starts for it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { demoPlan } from "@aurora-restore/local/demo/demo-plan";
import { ensureDemoKeys, ensureProductionCluster } from "@aurora-restore/local/demo/demo-setup";
import { startLocalRuntime } from "@aurora-restore/local/runtime/start-local-runtime";
import { stateLockFile } from "@aurora-restore/local/state-lock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findOnPath } from "../src/commands/local-psql";

const bin = fileURLToPath(new URL("../bin/aurora-restore.js", import.meta.url));
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NO_COLOR: "1" };

interface Run {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(bin, args, {
    cwd: tmpdir(),
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c) => {
    out += String(c);
  });
  child.stderr!.on("data", (c) => {
    err += String(c);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stdout: () => out, stderr: () => err };
}

async function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = start(args, extraEnv);
  const { code } = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Live processes (zombies excluded) whose command line mentions `text`, this one excepted. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (cmd.includes(text)) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    if (await condition()) return true;
  }
  return condition();
}

describe.skipIf(process.platform !== "linux")(
  "[slow] local up as a service, with other CLI processes",
  () => {
    let dir: string;
    let stateDir: string;
    let up: Run;
    let firstOperation: string;
    const at = () => ["--state-dir", stateDir];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "aurora-local-up-"));
      // Run as root, the servers run as 'postgres', which must pass through this folder.
      await chmod(dir, 0o711);
      stateDir = join(dir, "state");
      // The demo's setup without its snapshot: production with sample data, and the plan.
      const runtime = await startLocalRuntime({ stateDir });
      try {
        await ensureDemoKeys(runtime.kms);
        await runtime.registerPlan(demoPlan(runtime.topicArn));
        await ensureProductionCluster(runtime, 20, () => undefined);
      } finally {
        await runtime.stop();
      }
      up = start(["local", "up", ...at()]);
      const ready = await waitUntil(() => up.stderr().includes("Ready."), 90_000);
      expect(ready, up.stderr()).toBe(true);
    }, 180_000);

    afterAll(async () => {
      for (const pid of processesMentioning(dir)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    });

    it("says what it runs: the clusters, the plan, how to start a refresh", () => {
      expect(up.stderr()).toContain(`Local runtime up in ${stateDir}`);
      expect(up.stderr()).toMatch(
        /cluster production-db \(111111111111, us-east-1\): available, 127\.0\.0\.1:\d+/,
      );
      expect(up.stderr()).toContain(
        "plan local-demo: every automated or manual snapshot of production-db (111111111111, us-east-1) refreshes staging-db (222222222222, eu-west-1)",
      );
    });

    it("an automated snapshot taken from another process starts a refresh, followed there to the end", async () => {
      const snapshot = await run(["local", "snapshot", "production-db", "--automated", "--json", ...at()]);
      expect(snapshot.code, snapshot.stderr).toBe(0);
      expect(snapshot.stderr).toContain(
        `Handing the snapshot to aurora-restore local up --state-dir ${stateDir}`,
      );
      expect(snapshot.stderr).toMatch(/✓ cutover/);
      const result = JSON.parse(snapshot.stdout) as {
        snapshot: { identifier: string; type: string };
        operations: { operationId: string; status: string; target: string }[];
      };
      expect(result.snapshot.identifier).toMatch(/^rds:production-db-\d{4}-\d\d-\d\d-\d\d-\d\d$/);
      expect(result.snapshot.type).toBe("automated");
      expect(result.operations).toEqual([
        {
          operationId: expect.stringMatching(/^op-/),
          status: "succeeded",
          target: "222222222222/eu-west-1/staging-db",
        },
      ]);
      firstOperation = result.operations[0]!.operationId;
      // local up ran it, one line per event: the snapshot, the request, ..., the completion.
      expect(up.stderr()).toContain(
        `RDS snapshot available  ${result.snapshot.identifier} (111111111111, us-east-1)`,
      );
      expect(up.stderr()).toMatch(new RegExp(`RestoreRequested\\s+${firstOperation}\\s+staging-db`));
      expect(up.stderr()).toMatch(new RegExp(`RestoreCompleted\\s+${firstOperation}\\s+staging-db`));
      expect(up.child.exitCode).toBeNull();
    }, 180_000);

    it("local clusters list: both clusters, the target tagged with the operation that restored it", async () => {
      const list = await run(["local", "clusters", "list", "--json", ...at()]);
      expect(list.code, list.stderr).toBe(0);
      const clusters = JSON.parse(list.stdout) as Record<string, unknown>[];
      expect(clusters.map((c) => [c.identifier, c.accountId, c.region, c.status])).toEqual([
        ["production-db", "111111111111", "us-east-1", "available"],
        ["staging-db", "222222222222", "eu-west-1", "available"],
      ]);
      expect(clusters[0]!.createdByOperation).toBeUndefined();
      expect(clusters[1]).toMatchObject({
        endpoint: "127.0.0.1",
        port: expect.any(Number),
        createdByOperation: firstOperation,
        tags: { "aurora-restore:operation": firstOperation },
      });
      const text = await run(["local", "clusters", "list", ...at()]);
      expect(text.stdout).toMatch(
        new RegExp(
          `staging-db\\s+222222222222\\s+eu-west-1\\s+available\\s+127\\.0\\.0\\.1:\\d+\\s+\\S+\\s+${firstOperation}`,
        ),
      );
      // local up runs: no note about stopped servers.
      expect(text.stdout).not.toContain("No local runtime runs");
    }, 60_000);

    it("local psql without psql on PATH prints the connection and how to read the password, never the password", async () => {
      const password = await run([
        "local",
        "secret",
        "get",
        "aurora-restore/staging-db/app_reader",
        "--field",
        "password",
        ...at(),
      ]);
      expect(password.code).toBe(0);
      const secret = password.stdout.trim();
      expect(secret.length).toBeGreaterThan(10);
      // A PATH with node only (the bin's `#!/usr/bin/env node` needs it).
      const pathDir = join(dir, "path-without-psql");
      await mkdir(pathDir, { recursive: true });
      await symlink(process.execPath, join(pathDir, "node")).catch(() => undefined);
      const psql = await run(["local", "psql", "staging-db", "--user", "app_reader", ...at()], {
        PATH: pathDir,
      });
      expect(psql.code, psql.stderr).toBe(0);
      expect(psql.stdout).toMatch(
        new RegExp(
          `^psql "host=127\\.0\\.0\\.1 port=\\d+ dbname=shop user=app_reader sslmode=verify-full sslrootcert='${join(stateDir, "rds", "tls", "ca.crt")}'"\\n`,
        ),
      );
      expect(psql.stdout).toContain(
        "password: aurora-restore local secret get aurora-restore/staging-db/app_reader --field password",
      );
      expect(psql.stderr).toContain("psql is not on PATH");
      expect(psql.stdout + psql.stderr).not.toContain(secret);
      const unknown = await run(["local", "psql", "staging", ...at()], { PATH: pathDir });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(
        "no cluster staging (known: production-db (111111111111, us-east-1), staging-db (222222222222, eu-west-1))",
      );
    }, 60_000);

    it.skipIf(!findOnPath("psql"))(
      "local psql with psql runs it over verified TLS, logged in from the secret",
      async () => {
        const psql = await run([
          ...["local", "psql", "staging-db", "--user", "app_reader", ...at()],
          ...[
            "--",
            "-tA",
            "-c",
            "SELECT count(*), bool_and(ssl) FROM customers, pg_stat_ssl WHERE pid = pg_backend_pid()",
          ],
        ]);
        expect(psql.code, psql.stderr).toBe(0);
        expect(psql.stdout.trim()).toBe("20|t");
      },
      60_000,
    );

    it("local clusters delete: refused while a refresh uses the cluster, then done through local up", async () => {
      const refused = await run(["local", "clusters", "delete", "staging-db", ...at()]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("Add --yes to confirm");
      // A manual snapshot this time: a second refresh, running while the deletion is asked for.
      const refresh = start(["local", "snapshot", "production-db", ...at()]);
      expect(
        await waitUntil(
          () => refresh.stderr().includes("started for 222222222222/eu-west-1/staging-db"),
          60_000,
        ),
      ).toBe(true);
      const inUse = await run(["local", "clusters", "delete", "staging-db", "--yes", ...at()]);
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toMatch(
        /staging-db \(222222222222, eu-west-1\) is in use by running operation op-\w+: wait for it to end/,
      );
      expect(inUse.stderr).toContain("nothing was deleted");
      expect((await refresh.exited).code, refresh.stderr()).toBe(0);
      expect(refresh.stdout()).toMatch(/^op-\w+: succeeded \(222222222222\/eu-west-1\/staging-db\)\n$/);

      const registry = JSON.parse(readFileSync(join(stateDir, "rds", "registry.json"), "utf8")) as {
        clusters: { identifier: string; resourceId: string }[];
      };
      const staging = registry.clusters.find((c) => c.identifier === "staging-db")!;
      const dataDir = join(stateDir, "rds", "clusters", staging.resourceId);
      expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
      const deleted = await run(["local", "clusters", "delete", "staging-db", "--yes", ...at()]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout).toBe(
        "Deleted staging-db (222222222222, eu-west-1) and its instance(s) staging-db-1: its server is stopped and its data removed\n",
      );
      expect(up.stderr()).toContain("Deleted cluster staging-db (asked by another process)");
      expect(await waitUntil(() => processesMentioning(dataDir).length === 0, 5_000)).toBe(true);
      expect(existsSync(dataDir)).toBe(false);
      const list = JSON.parse((await run(["local", "clusters", "list", "--json", ...at()])).stdout) as {
        identifier: string;
      }[];
      expect(list.map((c) => c.identifier)).toEqual(["production-db"]);
    }, 180_000);

    it("plans list and plans remove; a snapshot of a source no plan covers starts nothing", async () => {
      const list = await run(["plans", "list", "--json", ...at()]);
      expect(list.code).toBe(0);
      expect(
        (JSON.parse(list.stdout) as { id: string; schedule: string }[]).map((p) => [p.id, p.schedule]),
      ).toEqual([["local-demo", "every automated or manual snapshot"]]);
      const removed = await run(["plans", "remove", "local-demo", ...at()]);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toContain(
        "Removed plan local-demo: every automated or manual snapshot of production-db",
      );
      expect((await run(["plans", "list", ...at()])).stdout).toContain("No plans in");
      const snapshot = await run(["local", "snapshot", "production-db", "--id", "no-plan-now", ...at()]);
      expect(snapshot.code, snapshot.stderr).toBe(0);
      expect(snapshot.stdout).toBe(
        "no-plan-now: no plan refreshes production-db on a manual snapshot (see 'aurora-restore plans list')\n",
      );
    }, 60_000);

    it("SIGTERM stops local up and every server it ran (exit 143)", async () => {
      up.child.kill("SIGTERM");
      expect(await up.exited).toEqual({ code: 143, signal: null });
      expect(up.stderr()).toContain("SIGTERM: stopping every local server");
      expect(await waitUntil(() => processesMentioning(stateDir).length === 0, 5_000)).toBe(true);
      expect(existsSync(stateLockFile(stateDir))).toBe(false);
    }, 60_000);

    it("without local up, restore says it registers its plan, and local snapshot runs the refresh itself", async () => {
      const planFile = join(dir, "plan.json");
      const { writeFile } = await import("node:fs/promises");
      await writeFile(
        planFile,
        JSON.stringify(demoPlan("arn:aws:sns:eu-west-1:222222222222:aurora-restore-notifications")),
      );
      // No snapshot of that day: refused, after registering the plan.
      const restore = await run([
        ...["restore", "--plan", planFile, "--target-cluster-id", "staging-db"],
        ...["--source-snapshot-date", "2020-01-01", ...at()],
      ]);
      expect(restore.code).toBe(1);
      expect(restore.stderr).toContain(
        "Registered plan local-demo: every automated or manual snapshot of production-db (111111111111, us-east-1) refreshes staging-db (222222222222, eu-west-1) from now on; remove it with 'aurora-restore plans remove local-demo'",
      );
      const snapshot = await run(["local", "snapshot", "production-db", ...at()]);
      expect(snapshot.code, snapshot.stderr).toBe(0);
      expect(snapshot.stderr).not.toContain("Handing the snapshot");
      expect(snapshot.stderr).toMatch(/✓ cutover/);
      expect(snapshot.stdout).toMatch(/^op-\w+: succeeded \(222222222222\/eu-west-1\/staging-db\)\n$/);
      // The runtime it started is stopped: no server, no lock.
      expect(await waitUntil(() => processesMentioning(stateDir).length === 0, 5_000)).toBe(true);
      expect(existsSync(stateLockFile(stateDir))).toBe(false);
    }, 180_000);
  },
);
