import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli";
import { parseReplayTime, replayWindow } from "../src/commands/replay-times";
import { UsageError } from "../src/io";

const now = new Date("2025-03-14T12:00:00.000Z");

describe("replay's time window", () => {
  it.each([
    ["now", "2025-03-14T12:00:00.000Z"],
    ["-2h", "2025-03-14T10:00:00.000Z"],
    ["-1d12h", "2025-03-13T00:00:00.000Z"],
    ["-90m", "2025-03-14T10:30:00.000Z"],
    ["-1w", "2025-03-07T12:00:00.000Z"],
    ["2025-03-14", "2025-03-14T00:00:00.000Z"],
    ["2025-03-14T09:30:00Z", "2025-03-14T09:30:00.000Z"],
    ["2025-03-14T09:30Z", "2025-03-14T09:30:00.000Z"],
    ["2025-03-14T11:30:00.250+02:00", "2025-03-14T09:30:00.250Z"],
    ["2025-03-14 11:30:00+0200", "2025-03-14T09:30:00.000Z"],
  ])("reads %s", (text, iso) => {
    expect(parseReplayTime(text, "from", now).toISOString()).toBe(iso);
  });

  it.each([
    ["yesterday", "not a time"],
    ["2h", "not a time"],
    ["-2x", "not a time"],
    ["2025-02-30", "no such date"],
    ["2025-13-01", "no such date"],
    ["2025-03-14T09:30", "give its time zone"],
    ["\u001b[31m", "not a time"],
  ])("refuses %s (exit 2)", (text, why) => {
    const error = (() => {
      try {
        parseReplayTime(text, "from", now);
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toContain(why);
    expect(error?.message).not.toContain("\u001b");
  });

  it("--to defaults to now; from must be before to", () => {
    expect(replayWindow({ from: "-1h", to: undefined }, now, 30)).toEqual({
      from: new Date("2025-03-14T11:00:00.000Z"),
      to: now,
    });
    expect(() => replayWindow({ from: "-1h", to: "-1h" }, now, 30)).toThrow("must be before --to");
    expect(() => replayWindow({ from: "now", to: undefined }, now, 30)).toThrow(
      "--from (2025-03-14T12:00:00.000Z) must be before --to (2025-03-14T12:00:00.000Z, now)",
    );
    expect(() => replayWindow({ from: undefined, to: undefined }, now, 30)).toThrow("--from is required");
  });

  it("refuses a window wholly older than the archives keep, and warns when it starts before", () => {
    expect(() => replayWindow({ from: "-40d", to: "-31d" }, now, 30)).toThrow(
      "before the oldest event the archives keep (2025-02-12T12:00:00.000Z: they keep 30 days)",
    );
    expect(replayWindow({ from: "-40d", to: undefined }, now, 30).warning).toContain(
      "events before 2025-02-12T12:00:00.000Z are no longer there",
    );
    expect(replayWindow({ from: "-400d", to: "-399d" }, now, 0).warning).toBeUndefined();
  });

  it("replay refuses bad usage with exit 2 before it starts anything", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aurora-replay-usage-"));
    try {
      const cases: [string[], string][] = [
        [[], "--from is required"],
        [["--from", "soon"], "--from 'soon': not a time"],
        [["--from", "-1h", "--to", "-2h"], "must be before --to"],
        [["--from", "2020-01-01", "--to", "2020-01-02"], "they keep 30 days"],
        [["--from", "-1h", "--archive", "everything"], "--archive must be rds, pipeline or all"],
        [["--from", "-1h"], "does not exist"],
      ];
      for (const [args, message] of cases) {
        const err: string[] = [];
        const io = { stdout: { write: () => undefined }, stderr: { write: (c: string) => err.push(c) } };
        expect(await runCli(["replay", ...args, "--state-dir", join(dir, "none")], io), args.join(" ")).toBe(
          2,
        );
        expect(err.join("")).toContain(message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
