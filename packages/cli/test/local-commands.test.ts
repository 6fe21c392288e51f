/**
 * The local service's commands on a state folder with no runtime and no cluster: their answers to bad
 * input, and the ones that only touch files (plans, the dead-letter queue). The runtime side runs in
 * local-up.test.ts.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RestoreFailed } from "@aurora-restore/core/events/domain";
import { demoPlan } from "@aurora-restore/local/demo/demo-plan";
import { DeadLetterQueue } from "@aurora-restore/local/eventbridge/dead-letter-queue";
import { PlanRegistry } from "@aurora-restore/local/runtime/plan-registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli";
import { eventLine } from "../src/commands/local-up";

function buffers() {
  let out = "";
  let err = "";
  return {
    io: { stdout: { write: (c: string) => (out += c) }, stderr: { write: (c: string) => (err += c) } },
    stdout: () => out,
    stderr: () => err,
  };
}

async function cli(args: string[]) {
  const b = buffers();
  const code = await runCli(args, b.io);
  return { code, stdout: b.stdout(), stderr: b.stderr() };
}

const topicArn = "arn:aws:sns:eu-west-1:222222222222:aurora-restore-notifications";

describe("local service commands without a runtime", () => {
  let dir: string;
  let stateDir: string;
  const at = () => ["--state-dir", stateDir];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-cli-local-"));
    stateDir = join(dir, "state");
    await mkdir(stateDir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("plans list and plans remove: a registered plan, listed as text and JSON, then removed", async () => {
    const empty = await cli(["plans", "list", ...at()]);
    expect(empty).toMatchObject({ code: 0, stderr: "" });
    expect(empty.stdout).toContain(`No plans in ${stateDir}.`);
    await new PlanRegistry(stateDir).register(demoPlan(topicArn));
    const text = await cli(["plans", "list", ...at()]);
    expect(text.stdout.split("\n")[0]).toMatch(/^PLAN\s+SOURCE\s+TARGETS\s+SCHEDULE$/);
    expect(text.stdout).toMatch(
      /local-demo\s+production-db \(111111111111, us-east-1\)\s+staging-db \(222222222222, eu-west-1\)\s+every automated or manual snapshot/,
    );
    const json = JSON.parse((await cli(["plans", "list", "--json", ...at()])).stdout);
    expect(json).toEqual([
      expect.objectContaining({
        id: "local-demo",
        source: { clusterIdentifier: "production-db", accountId: "111111111111", region: "us-east-1" },
        targets: [{ clusterIdentifier: "staging-db", accountId: "222222222222", region: "eu-west-1" }],
        schedule: "every automated or manual snapshot",
      }),
    ]);

    const unknown = await cli(["plans", "remove", "nightly", ...at()]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `aurora-restore plans remove: no plan nightly in ${stateDir} (known: local-demo)\n`,
    );
    const notAnId = await cli(["plans", "remove", "../../etc/passwd", ...at()]);
    expect(notAnId.code).toBe(2);
    expect(notAnId.stderr).toContain("'../../etc/passwd' is not a plan id");

    const removed = await cli(["plans", "remove", "local-demo", ...at()]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(
      "Removed plan local-demo: every automated or manual snapshot of production-db (111111111111, us-east-1) no longer refreshes staging-db (222222222222, eu-west-1)\n",
    );
    expect(await new PlanRegistry(stateDir).list()).toEqual([]);
  });

  it("local dlq purge: refused without --yes when there is no terminal to ask at, done with it", async () => {
    const queue = new DeadLetterQueue(join(stateDir, "eventbridge", "dead-letters"));
    expect((await cli(["local", "dlq", "purge", ...at()])).stdout).toContain("is already empty");
    for (const messageId of ["m-1", "m-2"]) {
      queue.add({ messageId, sentAt: new Date().toISOString() } as Parameters<DeadLetterQueue["add"]>[0]);
    }
    const asked = await cli(["local", "dlq", "purge", ...at()]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain("Delete the 2 dead-lettered event(s)");
    expect(asked.stderr).toContain("Add --yes to confirm");
    expect(queue.list()).toHaveLength(2);
    const purged = await cli(["local", "dlq", "purge", "--yes", ...at()]);
    expect(purged).toEqual({
      code: 0,
      stdout: "Purged 2 dead-lettered event(s); the queue is empty.\n",
      stderr: "",
    });
    expect(queue.list()).toEqual([]);
  });

  it("local clusters list on a folder without clusters says so; --json is an empty list", async () => {
    expect((await cli(["local", "clusters", "list", ...at()])).stdout).toContain(
      `No clusters in ${stateDir}.`,
    );
    expect(JSON.parse((await cli(["local", "clusters", "list", "--json", ...at()])).stdout)).toEqual([]);
  });

  it("an unknown cluster, a bad name or contradictory options: exit 2 naming the fix, before anything starts", async () => {
    for (const args of [
      ["local", "snapshot", "production-db"],
      ["local", "psql", "production-db"],
      ["local", "clusters", "delete", "production-db", "--yes"],
    ]) {
      const r = await cli([...args, ...at()]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(
        "no cluster production-db (known: none; run 'aurora-restore demo' to create some)",
      );
    }
    const both = await cli(["local", "snapshot", "production-db", "--automated", "--id", "x", ...at()]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--id names a manual snapshot");
    const user = await cli(["local", "psql", "production-db", "--user", "a sslmode=disable", ...at()]);
    expect(user.code).toBe(2);
    expect(user.stderr).toContain("--user must be a PostgreSQL name");
    const missing = await cli(["local", "snapshot", "production-db", "--state-dir", join(dir, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("does not exist");
  });

  it("local up's event lines: time, what, operation, target; control characters escaped", () => {
    expect(
      eventLine({
        time: "2025-03-14T09:26:53.120Z",
        what: RestoreFailed.detailType,
        operationId: "op-1",
        subject: "staging\u001b[2Jdb",
        failure: "copy: X: bad\nline",
      }),
    ).toBe("09:26:53  RestoreFailed         op-1  staging\\u001b[2Jdb: copy: X: bad\\u000aline");
  });
});
