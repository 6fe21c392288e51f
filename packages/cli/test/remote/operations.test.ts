import "aws-sdk-client-mock-vitest/extend";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeTables, names, onStage, operation, run, sdkError, succeeded } from "./support";

const tables = fakeTables();

beforeEach(() => tables.reset({ empty: true }));
afterAll(() => tables.mock.restore());

describe("operations and audit on a deployed stage", () => {
  beforeEach(async () => {
    await tables.putOperation(operation("manual-running"));
    await tables.putOperation(
      operation("manual-failed", {
        step: "failed",
        status: "failed",
        createdAt: "2025-03-15T08:00:00.000Z",
        error: { stage: "copy", code: "KMSKeyNotAccessibleFault", message: "grant the target account" },
      }),
    );
    await tables.putOperation(succeeded("manual-done", { createdAt: "2025-03-13T08:00:00.000Z" }));
  });

  it("operations list renders what the state table's status index returns, newest first", async () => {
    const r = await run(["operations", "list", ...onStage]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^OPERATION\s+STATUS\s+STEP\s+TARGET\s+CREATED\s+PLAN$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ["manual-failed", "failed", "failed"],
      ["manual-running", "running", "copying"],
      ["manual-done", "succeeded", "completed"],
    ]);
    expect(r.stdout).toContain("222222222222/eu-west-1/staging-db");
    // Each status is one Query of the status index, on the stage's own table.
    expect(tables.mock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: names.stateTable,
      IndexName: "gsi2",
    });
  });

  it("--status queries that status only; --json prints the operations without the bookkeeping", async () => {
    const r = await run(["operations", "list", ...onStage, "--status", "failed", "--json"]);
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(listed.map((o) => o.operationId)).toEqual(["manual-failed"]);
    expect(listed[0]).toMatchObject({ status: "failed", error: { code: "KMSKeyNotAccessibleFault" } });
    expect(listed[0]).not.toHaveProperty("version");
    expect(listed[0]).not.toHaveProperty("claims");
    expect(tables.mock.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it("operations show prints the operation, its stage durations and error", async () => {
    const r = await run(["operations", "show", "manual-failed", ...onStage]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Operation manual-failed (plan orders-staging)");
    expect(r.stdout).toContain("status:   failed at step failed");
    expect(r.stdout).toContain("error:    copy: KMSKeyNotAccessibleFault: grant the target account");
    expect(r.stdout).toMatch(/prepare\s+2025-03-14T10:00:01.000Z\s+2m00s/);
  });

  it("operations show of an unknown id names the stage, exit 1", async () => {
    const r = await run(["operations", "show", "manual-nope", ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no operation manual-nope in stage 'test' in eu-west-1");
  });

  it("audit prints the trail the audit table holds, in order", async () => {
    const record = { operationId: "manual-running", targetKey: "222222222222/eu-west-1/staging-db" };
    await tables.audit.append(
      { ...record, stage: "prepare", action: "share snapshot", actor: "prepare", outcome: "succeeded" },
      { at: "2025-03-14T10:02:00.000Z", compliance: "default" },
    );
    await tables.audit.append(
      { ...record, stage: "trigger", action: "start-operation", actor: "trigger", outcome: "started" },
      { at: "2025-03-14T10:00:00.000Z", compliance: "default" },
    );
    const r = await run(["audit", "manual-running", ...onStage]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "2025-03-14T10:00:00.000Z  trigger   start-operation started by trigger",
      "2025-03-14T10:02:00.000Z  prepare   share snapshot succeeded by prepare",
    ]);
  });

  it("an empty stage says how to start an operation there", async () => {
    const r = await run(["operations", "list", "--stage", "other", "--region", "eu-west-1"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No operations in stage 'other' in eu-west-1. Start one with");
  });
});

describe("AWS failures name the fix", () => {
  const cases: [string, Error, RegExp][] = [
    [
      "a table that is not there",
      sdkError("ResourceNotFoundException", "Requested resource not found"),
      /no deployed stage 'test' in region eu-west-1: table aurora-restore-test-state does not exist/,
    ],
    [
      "access denied",
      sdkError("AccessDeniedException", "User: arn:aws:iam::2:user/x is not authorized"),
      /access denied: these credentials may not call dynamodb:Query on table aurora-restore-test-state .*README/,
    ],
    [
      "no credentials",
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
      /no AWS credentials for dynamodb:Query .*pass --profile <name>/,
    ],
    [
      "throttling past the SDK's retries",
      sdkError("ThrottlingException", "Rate exceeded"),
      /AWS throttled dynamodb:Query on table aurora-restore-test-state \(ThrottlingException\) through every retry/,
    ],
  ];
  it.each(cases)("%s: exit 1 with one clear line", async (_, error, message) => {
    tables.mock.on(QueryCommand).rejects(error);
    const r = await run(["operations", "list", ...onStage]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("deployed-stage arguments", () => {
  it("refuses --stage with --state-dir, a stage without region, a malformed stage or region: exit 2", async () => {
    const both = await run(["operations", "list", ...onStage, "--state-dir", "/tmp"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--stage and --state-dir exclude each other");
    vi.stubEnv("AWS_REGION", "");
    vi.stubEnv("AWS_DEFAULT_REGION", "");
    try {
      const noRegion = await run(["audit", "op-1", "--stage", "test"]);
      expect(noRegion.code).toBe(2);
      expect(noRegion.stderr).toContain("no region for stage 'test': pass --region");
    } finally {
      vi.unstubAllEnvs();
    }
    const badStage = await run(["operations", "list", "--stage", "Prod_1", "--region", "eu-west-1"]);
    expect(badStage.code).toBe(2);
    expect(badStage.stderr).toContain("--stage 'Prod_1' is not a stage name");
    const badRegion = await run(["operations", "list", "--stage", "test", "--region", "Ireland"]);
    expect(badRegion.code).toBe(2);
    const stray = await run(["operations", "list", "--profile", "ops"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--profile needs --stage <name>");
    expect(tables.mock.commandCalls(QueryCommand)).toHaveLength(0);
  });
});
