/**
 * The `aurora-restore` command as a user runs it (the package's bin, in a new process): its version, its
 * help, its answers to bad usage, and how a running demo ends on SIGINT, SIGTERM and SIGHUP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli";
import { commands } from "../src/commands/index";

const bin = fileURLToPath(new URL("../bin/aurora-restore.js", import.meta.url));
const packageVersion = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NO_COLOR: "1" };

interface Run {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** Starts the bin from a folder outside the repository: it must work from anywhere. */
function start(args: string[], cwd = tmpdir()): Run {
  const child = spawn(bin, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
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

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = start(args);
  const { code } = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

function buffers() {
  let out = "";
  let err = "";
  return {
    io: { stdout: { write: (c: string) => (out += c) }, stderr: { write: (c: string) => (err += c) } },
    stdout: () => out,
    stderr: () => err,
  };
}

describe("the aurora-restore command", () => {
  it("--version prints the package's version", async () => {
    const r = await run(["--version"]);
    expect(r).toEqual({ code: 0, stdout: `${packageVersion}\n`, stderr: "" });
  });

  it("bad usage exits 2 and suggests the nearest command or option", async () => {
    const command = await run(["operatons", "list"]);
    expect(command.code).toBe(2);
    expect(command.stdout).toBe("");
    expect(command.stderr).toContain(
      "aurora-restore: unknown command 'operatons' (did you mean operations?)",
    );
    const option = await run(["demo", "--exti"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("aurora-restore demo: unknown option '--exti' (did you mean --exit?)");
    expect(option.stderr).toContain("Run 'aurora-restore demo --help' for its options and examples.");
  }, 60_000);

  it("--help of the program lists every command with the exit statuses", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.stdout).toContain(`  ${c.path.join(" ")}`);
    expect(r.stdout).toContain("130  interrupted (Ctrl-C)");
  });

  it("--help of every command has its options, an example and the exit statuses", async () => {
    for (const c of commands) {
      const b = buffers();
      expect(await runCli([...c.path, "--help"], b.io), c.path.join(" ")).toBe(0);
      const help = b.stdout();
      expect(help).toContain(`Usage: aurora-restore ${c.path.join(" ")}`);
      for (const option of c.options) expect(help).toContain(option.flags.split(" ")[0]!);
      expect(help).toMatch(new RegExp(`Examples:\\n {2}\\$ aurora-restore ${c.path.join(" ")}`));
      expect(help).toContain("Exit status:");
    }
  });
});

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

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (condition()) return true;
  }
  return condition();
}

describe.skipIf(process.platform !== "linux")("a running demo stopped by a signal", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-cli-signals-"));
    // Run as root, the servers run as 'postgres', which must pass through this folder.
    await chmod(dir, 0o711);
  });
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

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)(
    "%s stops every local server and exits %i",
    async (signal, exitCode) => {
      const stateDir = join(dir, signal);
      const demo = start(["demo", "--exit", "--rows", "20", "--state-dir", stateDir]);
      // A PostgreSQL server runs once a process names a cluster folder under the state's rds/.
      const servers = () => processesMentioning(join(stateDir, "rds"));
      expect(await waitUntil(() => servers().length > 0, 90_000), demo.stderr()).toBe(true);
      demo.child.kill(signal);
      expect(await demo.exited).toEqual({ code: exitCode, signal: null });
      expect(demo.stdout()).toBe("");
      // No PostgreSQL (nor anything else) naming the state folder is left running.
      expect(await waitUntil(() => processesMentioning(stateDir).length === 0, 5_000)).toBe(true);
    },
    150_000,
  );
});
