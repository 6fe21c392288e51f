import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoPlan, demoStaging } from "@aurora-restore/local/demo/demo-plan";
import { LocalKms } from "@aurora-restore/local/kms/local-kms";
import { LocalSecretsManager } from "@aurora-restore/local/secrets/local-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli";

function buffers() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (c: string) => out.push(c) }, stderr: { write: (c: string) => err.push(c) } },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

const topicArn = "arn:aws:sns:eu-west-1:222222222222:aurora-restore-notifications";

describe("aurora-restore CLI", () => {
  let dir: string;
  let stateDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-cli-"));
    stateDir = join(dir, "state");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("plan validate", () => {
    it("accepts the demo plan", async () => {
      const file = join(dir, "good.json");
      await writeFile(file, JSON.stringify(demoPlan(topicArn)));
      const b = buffers();
      expect(await runCli(["plan", "validate", file], b.io)).toBe(0);
      expect(b.stdout()).toContain(
        "plan 'local-demo' is valid; targets: staging-db (222222222222, eu-west-1)",
      );
    });

    it("names each wrong field and what is expected, exit 2", async () => {
      const plan = demoPlan(topicArn) as { targets: Record<string, unknown>[] };
      plan.targets[0]!.kmsKeyId = "alias/staging";
      delete plan.targets[0]!.masterSecretName;
      plan.targets[0]!.colour = "blue";
      const file = join(dir, "bad.json");
      await writeFile(file, JSON.stringify(plan));
      const b = buffers();
      expect(await runCli(["plan", "validate", file], b.io)).toBe(2);
      const text = b.stderr();
      expect(text).toContain("targets[0].kmsKeyId: a full KMS key ARN");
      expect(text).toContain("targets[0].masterSecretName: is required");
      expect(text).toMatch(/unknown field\(s\) colour|colour/);
    });

    it("reports bad JSON and a missing file as usage errors", async () => {
      const file = join(dir, "broken.json");
      await writeFile(file, "{ not json");
      const b = buffers();
      expect(await runCli(["plan", "validate", file], b.io)).toBe(2);
      expect(b.stderr()).toContain("(file): is not valid JSON");
      const c = buffers();
      expect(await runCli(["plan", "validate", join(dir, "missing.json")], c.io)).toBe(2);
      expect(c.stderr()).toContain("cannot read");
    });

    it("prints one JSON object with --json", async () => {
      const file = join(dir, "bad2.json");
      await writeFile(file, JSON.stringify({ id: "X" }));
      const b = buffers();
      expect(await runCli(["plan", "validate", file, "--json"], b.io)).toBe(2);
      const parsed = JSON.parse(b.stdout()) as { valid: boolean; issues: { path: string }[] };
      expect(parsed.valid).toBe(false);
      expect(parsed.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["id", "source", "targets"]));
    });
  });

  describe("local secret get", () => {
    it("prints a secret's value or one field; it is the only command that does", async () => {
      const kms = new LocalKms({ stateDir });
      const secrets = new LocalSecretsManager({ stateDir, kms }).port(demoStaging);
      await secrets.createSecret({
        name: "aurora-restore/staging-db/app_reader",
        secretString: JSON.stringify({ username: "app_reader", password: "s3cret-value" }),
      });
      const b = buffers();
      expect(
        await runCli(
          ["local", "secret", "get", "aurora-restore/staging-db/app_reader", "--state-dir", stateDir],
          b.io,
        ),
      ).toBe(0);
      expect(JSON.parse(b.stdout())).toEqual({ username: "app_reader", password: "s3cret-value" });
      const c = buffers();
      const args = ["local", "secret", "get", "aurora-restore/staging-db/app_reader", "--field", "password"];
      expect(await runCli([...args, "--state-dir", stateDir], c.io)).toBe(0);
      expect(c.stdout()).toBe("s3cret-value\n");
    });

    it("says where it looked when the secret is not there", async () => {
      const b = buffers();
      const args = ["local", "secret", "get", "nope", "--account", "111111111111", "--region", "us-east-1"];
      expect(await runCli([...args, "--state-dir", stateDir], b.io)).toBe(1);
      expect(b.stderr()).toContain("ResourceNotFoundException");
      expect(b.stderr()).toContain("account 111111111111, us-east-1");
    });
  });

  describe("restore", () => {
    it("refuses a malformed date or a target the plan does not name before starting anything", async () => {
      const file = join(dir, "plan.json");
      await writeFile(file, JSON.stringify(demoPlan(topicArn)));
      const base = ["restore", "--plan", file, "--state-dir", stateDir];
      const b = buffers();
      expect(
        await runCli(
          [...base, "--target-cluster-id", "staging-db", "--source-snapshot-date", "2025-02-30"],
          b.io,
        ),
      ).toBe(2);
      expect(b.stderr()).toContain(
        '--source-snapshot-date: "2025-02-30" is not a date in the form YYYY-MM-DD (e.g. 2025-03-14)',
      );
      const c = buffers();
      expect(
        await runCli([...base, "--target-cluster-id", "qa-db", "--source-snapshot-date", "2025-02-03"], c.io),
      ).toBe(2);
      expect(c.stderr()).toContain("plan local-demo has no target qa-db (its targets: staging-db)");
      const d = buffers();
      expect(await runCli([...base, "--source-snapshot-date", "2025-02-03"], d.io)).toBe(2);
      expect(d.stderr()).toContain("--target-cluster-id is required");
      const e = buffers();
      const badId = ["--target-cluster-id", "staging-db", "--source-snapshot-date", "2025-02-03"];
      expect(await runCli([...base, ...badId, "--operation-id", "bad id!"], e.io)).toBe(2);
      expect(e.stderr()).toContain("--operation-id: must be 1-64 letters, digits, - or _");
    });
  });

  describe("operations, audit and dlq on an empty state", () => {
    it("lists nothing, and says so", async () => {
      const b = buffers();
      expect(await runCli(["operations", "list", "--state-dir", stateDir], b.io)).toBe(0);
      expect(b.stdout()).toContain("No operations in");
      const c = buffers();
      expect(await runCli(["operations", "show", "op-missing", "--state-dir", stateDir], c.io)).toBe(1);
      expect(c.stderr()).toContain("no operation op-missing");
      const d = buffers();
      expect(await runCli(["audit", "op-missing", "--state-dir", stateDir], d.io)).toBe(1);
      const e = buffers();
      expect(await runCli(["local", "dlq", "list", "--state-dir", stateDir], e.io)).toBe(0);
      expect(e.stdout()).toContain("dead-letter queue");
    });

    it("refuses unknown options with the list of known ones", async () => {
      const b = buffers();
      expect(await runCli(["operations", "list", "--colour", "--state-dir", stateDir], b.io)).toBe(2);
      expect(b.stderr()).toContain("unknown option --colour (known: --status, --state-dir, --json)");
    });
  });
});
