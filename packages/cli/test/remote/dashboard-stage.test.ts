import "aws-sdk-client-mock-vitest/extend";
import { RetryRequested } from "@aurora-restore/core/events/domain";
import { stages } from "@aurora-restore/functions/stages";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { dashboardApp } from "../../src/dashboard/app";
import { stageSource } from "../../src/dashboard/stage-source";
import { fakeTables, names, operation, region, stage } from "./support";

const tables = fakeTables();
const events = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
const failed = operation("manual-9", {
  step: "failed",
  status: "failed",
  version: 5,
  error: { stage: "configure", code: "42703", message: 'Post-restore SQL "mask" failed' },
});

beforeEach(async () => {
  tables.reset({ empty: true });
  events.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: "arn:aws:sts::222222222222:assumed-role/Operator/jane" });
  await tables.putOperation(failed);
  await tables.putOperation(operation("manual-8"));
});
afterAll(() => {
  tables.mock.restore();
  events.restore();
  sts.restore();
});

const host = { host: "127.0.0.1:4000" };
const post = { method: "POST", headers: { ...host, origin: "http://127.0.0.1:4000" } };

async function appFor(allowActions: boolean) {
  const source = await stageSource({ stage, region }, allowActions);
  return { app: dashboardApp({ source, stages, benchFile: "/nonexistent/latest.json" }), source };
}

describe("dashboard --stage: the deployed stage's tables through the CLI's reader", () => {
  it("lists and shows the stage's operations, read-only without --allow-actions", async () => {
    const { app, source } = await appFor(false);
    try {
      const list = await app.request("/api/operations", { headers: host });
      expect(list.status).toBe(200);
      const body = JSON.stringify(await list.json());
      expect(body).toContain("manual-9");
      expect(body).toContain("manual-8");
      const one = await app.request("/api/operations/manual-9", { headers: host });
      expect(JSON.stringify(await one.json())).toContain("Post-restore SQL");
      const page = await app.request("/operations/manual-9", { headers: host });
      expect(await page.text()).toContain("manual-9");
      const retry = await app.request("/api/operations/manual-9/retry", post);
      expect(retry.status).toBe(403);
      expect(JSON.stringify(await retry.json())).toContain("--allow-actions");
      expect(events).not.toHaveReceivedAnyCommand();
    } finally {
      await source.close();
    }
  });

  it("with --allow-actions, retry publishes RetryRequested on the stage's bus", async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "ev-dash" }] });
    const { app, source } = await appFor(true);
    try {
      const retry = await app.request("/api/operations/manual-9/retry", post);
      expect(retry.status).toBeLessThan(300);
      expect(JSON.stringify(await retry.json())).toContain("ev-dash");
      const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
      expect(entry).toMatchObject({ DetailType: RetryRequested.detailType, EventBusName: names.bus });
      expect(JSON.parse(entry.Detail!)).toMatchObject({ operationId: "manual-9", fromStart: false });
    } finally {
      await source.close();
    }
  });
});
