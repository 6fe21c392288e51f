import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoPlan, demoStaging } from "@aurora-restore/local/demo/demo-plan";
import { LocalKms } from "@aurora-restore/local/kms/local-kms";
import { LocalSecretsManager } from "@aurora-restore/local/secrets/local-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli";
import { escapeControl } from "../src/io";

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

/** C0 (but line feed and tab), DEL and C1 characters: what must never reach a terminal raw. */
function rawControls(text: string): string[] {
  return [...text].filter((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && c !== "\n" && c !== "\t") || (code >= 0x7f && code <= 0x9f);
  });
}

describe("aurora-restore CLI", () => {
  let dir: string;
  let stateDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-cli-"));
    stateDir = join(dir, "state");
    await mkdir(stateDir);
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
      expect(text).toContain("targets[0]: unknown field(s) colour: check the spelling");
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

    it("refuses unknown options with the nearest one, else the list of known ones", async () => {
      const b = buffers();
      expect(await runCli(["operations", "list", "--colour", "--state-dir", stateDir], b.io)).toBe(2);
      expect(b.stderr()).toContain(
        "aurora-restore operations list: unknown option '--colour' (known: --status, --json, --state-dir, --stage, --region, --profile)",
      );
      const c = buffers();
      expect(await runCli(["operations", "list", "--stat", "running"], c.io)).toBe(2);
      expect(c.stderr()).toContain("unknown option '--stat' (did you mean one of --stage, --status?)");
      expect(c.stderr()).toContain(
        "Run 'aurora-restore operations list --help' for its options and examples.",
      );
    });
  });

  describe("a state folder that is not there", () => {
    it("read commands refuse a mistyped --state-dir (exit 2) and create nothing", async () => {
      const typo = join(dir, "stat");
      const reads = [
        ["operations", "list"],
        ["operations", "show", "op-1"],
        ["audit", "op-1"],
        ["local", "secret", "get", "aurora-restore/staging-db/app_reader"],
        ["local", "dlq", "list"],
        ["local", "dlq", "redrive"],
        ["replay", "--from", "-1h"],
      ];
      for (const args of reads) {
        const b = buffers();
        expect(await runCli([...args, "--state-dir", typo], b.io), args.join(" ")).toBe(2);
        expect(b.stderr()).toBe(
          `aurora-restore ${args.filter((a) => !a.includes("-") && !a.includes("/")).join(" ")}: the state folder ${typo} does not exist (--state-dir ${typo}): check the path; nothing was created\n`,
        );
        expect(existsSync(typo)).toBe(false);
      }
    });

    it("so do they for AURORA_RESTORE_STATE_DIR", async () => {
      const typo = join(dir, "from-env");
      const before = process.env.AURORA_RESTORE_STATE_DIR;
      process.env.AURORA_RESTORE_STATE_DIR = typo;
      try {
        const b = buffers();
        expect(await runCli(["operations", "list"], b.io)).toBe(2);
        expect(b.stderr()).toContain(`(AURORA_RESTORE_STATE_DIR=${typo}): check the path`);
        expect(existsSync(typo)).toBe(false);
      } finally {
        if (before === undefined) delete process.env.AURORA_RESTORE_STATE_DIR;
        else process.env.AURORA_RESTORE_STATE_DIR = before;
      }
    });

    it("commands that create state refuse a path whose parent does not exist (exit 2)", async () => {
      const typo = join(dir, "no", "such", "state");
      const b = buffers();
      expect(await runCli(["demo", "--exit", "--state-dir", typo], b.io)).toBe(2);
      expect(b.stderr()).toBe(
        `aurora-restore demo: cannot create the state folder ${typo}: its parent ${join(dir, "no", "such")} does not exist (a typo?) (--state-dir ${typo})\n`,
      );
      const file = join(dir, "plan-for-typo.json");
      await writeFile(file, JSON.stringify(demoPlan(topicArn)));
      const c = buffers();
      const restore = ["restore", "--plan", file, "--target-cluster-id", "staging-db"];
      expect(
        await runCli([...restore, "--source-snapshot-date", "2025-02-03", "--state-dir", typo], c.io),
      ).toBe(2);
      expect(c.stderr()).toContain(`cannot create the state folder ${typo}: its parent`);
      expect(existsSync(join(dir, "no"))).toBe(false);
    });

    it("a state folder that is a file is refused", async () => {
      const file = join(dir, "a-file");
      await writeFile(file, "");
      const b = buffers();
      expect(await runCli(["operations", "list", "--state-dir", file], b.io)).toBe(2);
      expect(b.stderr()).toContain(`the state folder ${file} is not a folder`);
    });
  });

  describe("control characters", () => {
    it("escapeControl escapes C0, DEL and C1 characters JSON-style, and leaves the rest", () => {
      expect(escapeControl("a\u001b[31mb\u0007c\rd\ne\tf\u007fg\u009bh é ✓")).toBe(
        "a\\u001b[31mb\\u0007c\\u000dd\\u000ae\\u0009f\\u007fg\\u009bh é ✓",
      );
    });

    it("unknown options, commands and bad values are echoed escaped, never raw", async () => {
      const b = buffers();
      expect(await runCli(["operations", "list", "--\u001b[31mfoo", "--state-dir", stateDir], b.io)).toBe(2);
      expect(b.stderr()).toContain("unknown option '--\\u001b[31mfoo' (known:");
      const c = buffers();
      expect(await runCli(["\u001b]0;owned\u0007", "x\ry"], c.io)).toBe(2);
      expect(c.stderr()).toContain("unknown command '\\u001b]0;owned\\u0007'");
      const d = buffers();
      expect(await runCli(["demo", "--rows", "\u001b[2J\u009b"], d.io)).toBe(2);
      expect(d.stderr()).toContain("(got '\\u001b[2J\\u009b')");
      const e = buffers();
      expect(await runCli(["operations", "show", "op-\u001b[1m\n", "--state-dir", stateDir], e.io)).toBe(1);
      expect(e.stderr()).toContain("no operation op-\\u001b[1m\\u000a in");
      for (const x of [b, c, d, e]) expect(rawControls(x.stdout() + x.stderr())).toEqual([]);
    });

    it("plan keys with ESC, BEL, CR or C1 characters are escaped in plan validate; --json stays valid JSON", async () => {
      const plan = demoPlan(topicArn) as { targets: Record<string, unknown>[] } & Record<string, unknown>;
      const evil = "col\u001b[31mour\u0007\rfake\u009b";
      plan.targets[0]![evil] = "blue";
      plan[`x\u001b]8;;http://evil\u0007`] = 1;
      const file = join(dir, "evil\u001b[1m\u009b.json");
      await writeFile(file, JSON.stringify(plan));
      const b = buffers();
      expect(await runCli(["plan", "validate", file], b.io)).toBe(2);
      expect(rawControls(b.stderr())).toEqual([]);
      expect(b.stderr()).toContain("col\\u001b[31mour\\u0007\\u000dfake\\u009b");
      expect(b.stderr()).toContain("evil\\u001b[1m\\u009b.json is not a valid plan:\n  - ");
      const c = buffers();
      expect(await runCli(["plan", "validate", file, "--json"], c.io)).toBe(2);
      expect(rawControls(c.stdout())).toEqual([]);
      const parsed = JSON.parse(c.stdout()) as {
        valid: boolean;
        file: string;
        issues: { message: string }[];
      };
      expect(parsed.valid).toBe(false);
      // The escapes are JSON's own: a JSON reader gets the original text back (C1 character included).
      expect(parsed.file).toBe(file);
      const messages = parsed.issues.map((i) => i.message).join(" ");
      // The plan's own messages may name the key raw or already escaped; either way it is there.
      expect(messages.includes(evil) || messages.includes(escapeControl(evil))).toBe(true);
    });
  });
});
