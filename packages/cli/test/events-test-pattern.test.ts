import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { RDS_SOURCE, rdsDetailTypes } from "@aurora-restore/core";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli";

function bufferIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (c: string) => out.push(c) }, stderr: { write: (c: string) => err.push(c) } },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

const event = {
  id: "1",
  source: RDS_SOURCE,
  "detail-type": rdsDetailTypes.clusterSnapshot,
  account: "123456789012",
  region: "eu-west-1",
  time: "2025-01-01T00:00:00Z",
  resources: [],
  detail: { EventID: "RDS-EVENT-0169", SourceIdentifier: "rds:prod-2025-01-01-00-00" },
};

async function run(...argv: string[]) {
  const b = bufferIo();
  const code = await runCli(["events", "test-pattern", ...argv], b.io);
  return { code, stdout: b.stdout(), stderr: b.stderr() };
}

describe("aurora-restore events test-pattern", () => {
  it("prints Result true for a matching event", async () => {
    const pattern = { source: [RDS_SOURCE], detail: { EventID: ["RDS-EVENT-0169"] } };
    const r = await run("--event-pattern", JSON.stringify(pattern), "--event", JSON.stringify(event));
    expect(r).toEqual({ code: 0, stdout: '{"Result": true}\n', stderr: "" });
  });

  it("prints Result false for a non-matching event, with --opt=value syntax", async () => {
    const pattern = { detail: { SourceIdentifier: [{ prefix: "manual-" }] } };
    const r = await run(`--event-pattern=${JSON.stringify(pattern)}`, `--event=${JSON.stringify(event)}`);
    expect(r).toEqual({ code: 0, stdout: '{"Result": false}\n', stderr: "" });
  });

  it("reads file:// arguments", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "events-test-pattern-"));
    writeFileSync(path.join(dir, "pattern.json"), JSON.stringify({ region: [{ prefix: "eu-" }] }));
    writeFileSync(path.join(dir, "event.json"), JSON.stringify(event));
    const r = await run(
      "--event-pattern",
      `file://${dir}/pattern.json`,
      "--event",
      `file://${dir}/event.json`,
    );
    expect(r.stdout).toBe('{"Result": true}\n');
    expect(r.code).toBe(0);
  });

  it("reports an invalid pattern as AWS does and exits 2", async () => {
    const r = await run("--event-pattern", '{"resources": []}', "--event", JSON.stringify(event));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "An error occurred (InvalidEventPatternException) when calling the TestEventPattern operation: Event pattern is not valid. Reason: Empty arrays are not allowed\n",
    );
  });

  it("reports malformed pattern JSON as an invalid pattern", async () => {
    const r = await run("--event-pattern", "{not json", "--event", JSON.stringify(event));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^An error occurred \(InvalidEventPatternException\) when calling the TestEventPattern operation: Event pattern is not valid\. Reason: /,
    );
  });

  it("reports an event without the envelope fields as ValidationException and exits 2", async () => {
    const r = await run("--event-pattern", '{"source": ["x"]}', "--event", '{"testEvent": "value"}');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "An error occurred (ValidationException) when calling the TestEventPattern operation: Parameter Event is not valid.\n",
    );
  });

  it("fails clearly on a missing argument", async () => {
    const r = await run("--event-pattern", '{"source": ["x"]}');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("aurora-restore events test-pattern: --event is required (the event to test)");
  });

  it("fails clearly on an unknown argument and on a missing value", async () => {
    const unknown = await run("--pattern", "{}");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--pattern' (known: --event-pattern, --event)");
    const noValue = await run("--event-pattern", '{"source": ["x"]}', "--event");
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain("option '--event <value>' argument missing");
  });

  it("fails clearly on an unreadable file", async () => {
    const r = await run(
      "--event-pattern",
      "file:///nonexistent/pattern.json",
      "--event",
      JSON.stringify(event),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--event-pattern: cannot read /nonexistent/pattern.json");
  });

  describe("bounded input", () => {
    const tempDir = () => mkdtempSync(path.join(tmpdir(), "events-test-pattern-"));
    const heapGrowth = async (fn: () => Promise<unknown>) => {
      const before = process.memoryUsage();
      await fn();
      const after = process.memoryUsage();
      return Math.max(after.heapUsed - before.heapUsed, after.arrayBuffers - before.arrayBuffers);
    };

    it("refuses file:///dev/zero before reading a byte", async () => {
      let r: Awaited<ReturnType<typeof run>> | undefined;
      const growth = await heapGrowth(async () => {
        r = await run("--event-pattern", "file:///dev/zero", "--event", JSON.stringify(event));
      });
      expect(r?.code).toBe(2);
      expect(r?.stdout).toBe("");
      expect(r?.stderr).toContain("--event-pattern: /dev/zero is not a regular file.");
      expect(growth).toBeLessThan(32 * 1024 * 1024);
    });

    it("refuses a 2 GB file without reading it, and a FIFO or a directory without waiting", async () => {
      const dir = tempDir();
      const huge = path.join(dir, "huge.json");
      writeFileSync(huge, "");
      truncateSync(huge, 2 * 1024 ** 3); // sparse: no disk used, but 2 GB to whoever reads it all
      let r: Awaited<ReturnType<typeof run>> | undefined;
      const growth = await heapGrowth(async () => {
        r = await run("--event-pattern", '{"source": ["x"]}', "--event", `file://${huge}`);
      });
      expect(r?.code).toBe(2);
      expect(r?.stderr).toContain(`--event: ${huge} is larger than 1048576 bytes`);
      expect(growth).toBeLessThan(32 * 1024 * 1024);

      const fifo = path.join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      const fromFifo = await run("--event-pattern", `file://${fifo}`, "--event", JSON.stringify(event));
      expect(fromFifo.stderr).toContain(`--event-pattern: ${fifo} is not a regular file.`);
      mkdirSync(path.join(dir, "folder"));
      const fromDir = await run("--event-pattern", `file://${dir}/folder`, "--event", JSON.stringify(event));
      expect(fromDir.stderr).toContain(`${dir}/folder is not a regular file.`);
    });

    it("reads a file up to the limit", async () => {
      const dir = tempDir();
      const padded = { ...event, detail: { ...event.detail, padding: "x".repeat(1024 * 1024 - 400) } };
      writeFileSync(path.join(dir, "event.json"), JSON.stringify(padded));
      const r = await run(
        "--event-pattern",
        JSON.stringify({ source: [RDS_SOURCE] }),
        "--event",
        `file://${dir}/event.json`,
      );
      expect(r).toEqual({ code: 0, stdout: '{"Result": true}\n', stderr: "" });
    });

    it("reports a pattern over 4096 characters and a too-deep event as AWS-style errors", async () => {
      const long = JSON.stringify({ source: ["x".repeat(4100)] });
      const r = await run("--event-pattern", long, "--event", JSON.stringify(event));
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        "An error occurred (ValidationException) when calling the TestEventPattern operation: 1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to 4096\n",
      );
      const deep = `{"id":"1","account":"1","source":"s","time":"t","region":"r","detail-type":"d","detail":${'{"a":'.repeat(3000)}1${"}".repeat(3000)}}`;
      const d = await run("--event-pattern", '{"source": ["s"]}', "--event", deep);
      expect(d.code).toBe(2);
      expect(d.stderr).toContain("(ValidationException) when calling the TestEventPattern operation");
      expect(d.stderr).toContain("nested more than 101 levels deep");
    });
  });

  it("is listed in the help", async () => {
    const b = bufferIo();
    expect(await runCli(["--help"], b.io)).toBe(0);
    expect(b.stdout()).toContain("  events test-pattern  ");
  });
});
